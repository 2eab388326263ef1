package web_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/browsertest"
	"mas/internal/domain"
	"mas/internal/ratelimit"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/web"
)

// The tickets below are made through the store the way the
// send-account-recovery-email job makes them: one per matching address,
// valid for ten minutes.

const (
	recoveryTicketTTL = 10 * time.Minute
	oldPassword       = "the old password"
	// newPassword scores 4 with zxcvbn, above any minimum.
	newPassword = "quartz lantern meadow 1987 copper"
)

// recoveryEnv is an env with recovery on and alice, who has an address.
type recoveryEnv struct {
	*env
	alice *domain.User
	email *domain.UserEmail
}

func newRecoveryEnv(t *testing.T, opts envOptions) *recoveryEnv {
	t.Helper()
	opts.settings.PasswordRecoveryEnabled = true
	e := &recoveryEnv{env: newEnv(t, opts)}
	e.alice = e.user("alice", oldPassword)
	var err error
	if e.email, err = e.store.UserEmails().Add(context.Background(), e.alice.ID, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	return e
}

// startRecovery submits /recover's form with email and returns the
// answer (a redirect to the progress page when accepted).
func startRecovery(t *testing.T, b *browsertest.Browser, email string) *browsertest.Response {
	t.Helper()
	page := b.Get("/recover")
	if page.Status != http.StatusOK {
		t.Fatalf("/recover: %d\n%s", page.Status, page.Body)
	}
	return b.Submit(page, map[string]string{"email": email}, "")
}

var csrfValue = regexp.MustCompile(`name="csrf" value="[^"]+"`)

var progressPath = regexp.MustCompile(`^/auth/recover/progress/([0-9A-Z]{26})$`)

// recoverySessionOf reads the recovery session a start answer redirected
// to.
func (e *recoveryEnv) recoverySessionOf(res *browsertest.Response) *domain.RecoverySession {
	e.t.Helper()
	m := progressPath.FindStringSubmatch(res.Location)
	if res.Status != http.StatusSeeOther || m == nil {
		e.t.Fatalf("start recovery: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	id, err := domain.ParseID(m[1])
	if err != nil {
		e.t.Fatal(err)
	}
	rs, err := e.store.Recovery().LookupSession(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

// ticket stores a recovery ticket for rs and the address, as the job
// does, and returns the link's path.
func (e *recoveryEnv) ticket(rs *domain.RecoverySession, email *domain.UserEmail) string {
	e.t.Helper()
	ticket := rand.Text()
	if _, err := e.store.Recovery().AddTicket(context.Background(), rs.ID, email.ID, ticket,
		e.clock.Now().Add(recoveryTicketTTL)); err != nil {
		e.t.Fatal(err)
	}
	return "/account/password/recovery?" + url.Values{"ticket": {ticket}}.Encode()
}

// recoveryLink runs the start form for alice's address and returns the
// link the mail would carry.
func (e *recoveryEnv) recoveryLink() (string, *domain.RecoverySession) {
	e.t.Helper()
	rs := e.recoverySessionOf(startRecovery(e.t, e.browser(), e.email.Email))
	return e.ticket(rs, e.email), rs
}

// setNewPassword opens link in b and submits the new-password form.
func setNewPassword(t *testing.T, b *browsertest.Browser, link, password, confirm string, signOut bool) *browsertest.Response {
	t.Helper()
	form := b.Get(link)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `name="password_confirm"`) {
		t.Fatalf("recovery link: %d\n%s", form.Status, form.Body)
	}
	return submitFinish(t, b, form, password, confirm, signOut)
}

// submitFinish posts the new-password form of page. The checkbox is sent
// only when ticked, as a browser does (browsertest sends every input).
func submitFinish(t *testing.T, b *browsertest.Browser, page *browsertest.Response, password, confirm string, signOut bool) *browsertest.Response {
	t.Helper()
	action, values, err := browsertest.FindForm(page.Body, "")
	if err != nil {
		t.Fatalf("%s: %v\n%s", page.URL, err, page.Body)
	}
	values.Set("password", password)
	values.Set("password_confirm", confirm)
	values.Del("sign_out_everywhere")
	if signOut {
		values.Set("sign_out_everywhere", "on")
	}
	return b.Post(b.URL(page.URL, action).String(), values)
}

// activePasswordID is the ID of the user's current password.
func (e *recoveryEnv) activePasswordID(u *domain.User) domain.ID {
	e.t.Helper()
	p, err := e.store.Passwords().Active(context.Background(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return p.ID
}

func (e *recoveryEnv) canLogIn(username, password string) bool {
	e.t.Helper()
	b := e.browser()
	return b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {username}, "password": {password}}).Status == http.StatusSeeOther
}

func TestRecoveryFlow(t *testing.T) {
	e := newRecoveryEnv(t, envOptions{settings: web.Settings{MinimumPasswordComplexity: 3}})
	ctx := context.Background()
	// alice is signed in somewhere; without the option that stays so.
	elsewhere := e.browser()
	logIn(t, elsewhere, "alice", oldPassword)

	b := e.browser()
	start := b.Get("/recover")
	if start.Status != http.StatusOK || !strings.Contains(start.Body, `name="email"`) || !strings.Contains(start.Body, `type="email"`) {
		t.Fatalf("start page: %d\n%s", start.Status, start.Body)
	}
	res := b.Submit(start, map[string]string{"email": "  Alice@Example.com "}, "")
	rs := e.recoverySessionOf(res)
	if rs.Email != "Alice@Example.com" || rs.Locale != "en" || rs.UserAgent == "" || rs.ConsumedAt != nil {
		t.Errorf("recovery session = %+v", rs)
	}
	if c := b.Cookie("user-recovery-sessions"); c == nil {
		t.Error("no recovery cookie")
	}
	jobs := e.jobs(domain.SendAccountRecoveryEmailsJob{}.Kind())
	if len(jobs) != 1 || jobs[0]["user_recovery_session_id"] != rs.ID.String() {
		t.Fatalf("recovery jobs = %v", jobs)
	}

	progress := b.Get(res.Location)
	if progress.Status != http.StatusOK || !strings.Contains(progress.Body, "Alice@Example.com") || !strings.Contains(progress.Body, "Check your email") {
		t.Fatalf("progress page: %d\n%s", progress.Status, progress.Body)
	}

	// The link is opened elsewhere (the mail app's browser): no cookie
	// of the recovery is needed.
	link := e.ticket(rs, e.email)
	phone := e.browser()
	form := phone.Get(link)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, "@alice:example.com") ||
		!strings.Contains(form.Body, `autocomplete="new-password"`) || !strings.Contains(form.Body, `name="sign_out_everywhere"`) {
		t.Fatalf("new password form: %d\n%s", form.Status, form.Body)
	}
	done := submitFinish(t, phone, form, newPassword, newPassword, false)
	if done.Status != http.StatusOK || !strings.Contains(done.Body, "Your password has been reset") || !strings.Contains(done.Body, `href="/auth/login"`) {
		t.Fatalf("after setting the password: %d\n%s", done.Status, done.Body)
	}
	if strings.Contains(done.Body, "signed out") {
		t.Error("the page says sessions were signed out, but the option was off")
	}

	if !e.canLogIn("alice", newPassword) {
		t.Error("the new password does not log in")
	}
	if e.canLogIn("alice", oldPassword) {
		t.Error("the old password still logs in")
	}
	got, err := e.store.Recovery().LookupSession(ctx, rs.ID)
	if err != nil || got.ConsumedAt == nil {
		t.Errorf("recovery session not consumed: %+v, %v", got, err)
	}
	if res := elsewhere.Get("/"); !strings.Contains(res.Body, "@alice:example.com") {
		t.Error("the other browser was signed out although the option was off")
	}
	if jobs := e.jobs(domain.SyncDevicesJob{}.Kind()); len(jobs) != 0 {
		t.Errorf("device sync queued without signing out: %v", jobs)
	}

	// The link works once; the progress page says so too.
	if res := phone.Get(link); res.Status != http.StatusGone || !strings.Contains(res.Body, "already been used") {
		t.Errorf("link after use: %d\n%s", res.Status, res.Body)
	}
	if res := b.Get(res.Location); res.Status != http.StatusGone || !strings.Contains(res.Body, "already been used") {
		t.Errorf("progress page after use: %d\n%s", res.Status, res.Body)
	}
}

// TestRecoveryDoesNotRevealAddresses: an address of nobody, of a user,
// and of a user in another case all get the same answers, cookies and
// pages, and all queue the job (which alone decides whom to mail).
func TestRecoveryDoesNotRevealAddresses(t *testing.T) {
	e := newRecoveryEnv(t, envOptions{})
	type answer struct {
		status   int
		location string
		cookies  []string
		headers  []string
		body     string
		progress string
	}
	run := func(email string) answer {
		b := e.browser()
		res := startRecovery(t, b, email)
		rs := e.recoverySessionOf(res)
		progress := b.Get(res.Location)
		if progress.Status != http.StatusOK {
			t.Fatalf("progress for %s: %d", email, progress.Status)
		}
		a := answer{
			status:   res.Status,
			location: strings.ReplaceAll(res.Location, rs.ID.String(), "ID"),
			body:     res.Body,
			progress: csrfValue.ReplaceAllString(
				strings.ReplaceAll(strings.ReplaceAll(progress.Body, rs.ID.String(), "ID"), email, "EMAIL"), "CSRF"),
		}
		for name := range res.Header {
			a.headers = append(a.headers, name)
		}
		slices.Sort(a.headers)
		for _, c := range (&http.Response{Header: res.Header}).Cookies() {
			c.Value, c.Expires, c.RawExpires, c.Raw = "", time.Time{}, "", ""
			a.cookies = append(a.cookies, c.String())
		}
		slices.Sort(a.cookies)
		return a
	}
	want := run("nobody@example.com")
	if len(want.cookies) == 0 {
		t.Fatal("the start form set no cookie")
	}
	for _, email := range []string{"alice@example.com", "ALICE@example.com"} {
		got := run(email)
		if got.status != want.status || got.location != want.location || got.body != want.body ||
			!slices.Equal(got.cookies, want.cookies) || !slices.Equal(got.headers, want.headers) {
			t.Errorf("%s answered differently:\n%+v\nwant\n%+v", email, got, want)
		}
		if got.progress != want.progress {
			t.Errorf("%s: the progress page differs:\n%s\nwant\n%s", email, got.progress, want.progress)
		}
	}
	if jobs := e.jobs(domain.SendAccountRecoveryEmailsJob{}.Kind()); len(jobs) != 3 {
		t.Errorf("%d recovery jobs queued, want one per request", len(jobs))
	}
}

func TestRecoveryBadAddress(t *testing.T) {
	e := newRecoveryEnv(t, envOptions{})
	for email, want := range map[string]string{
		"":                          "Enter your email address.",
		"   ":                       "Enter your email address.",
		"alice":                     "This is not a valid email address.",
		"Alice <alice@example.com>": "This is not a valid email address.",
		"a@b, c@d":                  "This is not a valid email address.",
		strings.Repeat("a", 250) + "@example.com": "This is not a valid email address.",
	} {
		res := startRecovery(t, e.browser(), email)
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, want) || !strings.Contains(res.Body, `aria-invalid="true"`) {
			t.Errorf("%q: %d\n%s", email, res.Status, res.Body)
		}
	}
	if jobs := e.jobs(domain.SendAccountRecoveryEmailsJob{}.Kind()); len(jobs) != 0 {
		t.Errorf("bad addresses queued jobs: %v", jobs)
	}
	// Without the form's token nothing happens either.
	b := e.browser()
	b.Get("/recover")
	if res := b.Post("/recover", url.Values{"email": {"alice@example.com"}}); res.Status != http.StatusForbidden {
		t.Errorf("POST without CSRF: %d", res.Status)
	}
	if jobs := e.jobs(domain.SendAccountRecoveryEmailsJob{}.Kind()); len(jobs) != 0 {
		t.Errorf("a forged form queued jobs: %v", jobs)
	}
}

func TestRecoveryRateLimits(t *testing.T) {
	kind := domain.SendAccountRecoveryEmailsJob{}.Kind()
	refused := func(t *testing.T, res *browsertest.Response) {
		t.Helper()
		if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
			!strings.Contains(res.Body, "Too many password reset requests") {
			t.Fatalf("want a refusal: %d %v\n%s", res.Status, res.Header, res.Body)
		}
	}

	t.Run("per IP", func(t *testing.T) {
		e := newRecoveryEnv(t, envOptions{})
		exhaust(e.limits.AccountRecoveryPerIP, ratelimit.RequesterKey(netip.Addr{}))
		res := startRecovery(t, e.browser(), "nobody@example.com")
		refused(t, res)
		if !strings.Contains(res.Body, `value="nobody@example.com"`) {
			t.Error("the refused address is not kept in the form")
		}
		if jobs := e.jobs(kind); len(jobs) != 0 {
			t.Errorf("jobs queued while limited: %v", jobs)
		}
	})

	t.Run("per address, in any case", func(t *testing.T) {
		e := newRecoveryEnv(t, envOptions{})
		exhaust(e.limits.AccountRecoveryPerAddress, "alice@example.com")
		refused(t, startRecovery(t, e.browser(), "ALICE@example.com"))
		// Another address is still fine.
		e.recoverySessionOf(startRecovery(t, e.browser(), "bob@example.com"))
		if jobs := e.jobs(kind); len(jobs) != 1 {
			t.Errorf("jobs = %v, want bob's only", jobs)
		}
	})

	t.Run("upstream defaults", func(t *testing.T) {
		cfg := ratelimit.DefaultConfig()
		e := newRecoveryEnv(t, envOptions{limits: &cfg})
		for i := range 3 {
			e.recoverySessionOf(startRecovery(t, e.browser(), "user"+string(rune('a'+i))+"@example.com"))
		}
		refused(t, startRecovery(t, e.browser(), "userd@example.com"))
	})

	t.Run("resend", func(t *testing.T) {
		e := newRecoveryEnv(t, envOptions{})
		b := e.browser()
		res := startRecovery(t, b, "alice@example.com")
		e.recoverySessionOf(res)
		exhaust(e.limits.AccountRecoveryPerAddress, "alice@example.com")
		page := b.Submit(b.Get(res.Location), nil, "")
		refused(t, page)
		if !strings.Contains(page.Body, "alice@example.com") {
			t.Error("the refused resend lost the progress page")
		}
		if jobs := e.jobs(kind); len(jobs) != 1 {
			t.Errorf("jobs = %v, want the first one only", jobs)
		}
	})
}

func TestRecoveryResend(t *testing.T) {
	e := newRecoveryEnv(t, envOptions{})
	b := e.browser()
	res := startRecovery(t, b, "alice@example.com")
	rs := e.recoverySessionOf(res)
	again := b.Submit(b.Get(res.Location), nil, "")
	if again.Status != http.StatusSeeOther || again.Location != res.Location+"?resent=1" {
		t.Fatalf("resend: %d %q\n%s", again.Status, again.Location, again.Body)
	}
	if page := b.Get(again.Location); !strings.Contains(page.Body, "The link was sent again.") {
		t.Errorf("resent page:\n%s", page.Body)
	}
	jobs := e.jobs(domain.SendAccountRecoveryEmailsJob{}.Kind())
	if len(jobs) != 2 || jobs[1]["user_recovery_session_id"] != rs.ID.String() {
		t.Errorf("jobs after resend = %v", jobs)
	}
}

// TestRecoveryProgressOnlyForItsBrowser: the progress page's URL is not
// enough to see the address or to send more mail.
func TestRecoveryProgressOnlyForItsBrowser(t *testing.T) {
	e := newRecoveryEnv(t, envOptions{})
	b := e.browser()
	res := startRecovery(t, b, "alice@example.com")
	rs := e.recoverySessionOf(res)

	other := e.browser()
	for _, target := range []string{res.Location, "/recover/progress/not-an-id", "/recover/progress/" + strings.Repeat("0", 26)} {
		page := other.Get(target)
		if page.Status != http.StatusNotFound || strings.Contains(page.Body, "alice@example.com") ||
			!strings.Contains(page.Body, "not started in this browser") || !strings.Contains(page.Body, `name="email"`) {
			t.Errorf("%s from another browser: %d\n%s", target, page.Status, page.Body)
		}
	}
	// Even with a valid form of its own, the other browser cannot resend;
	// nor can it by copying the cookie of another recovery's name.
	if res := other.Post(res.Location, url.Values{"csrf": {other.CSRF("/recover")}}); res.Status != http.StatusNotFound {
		t.Errorf("resend from another browser: %d", res.Status)
	}
	other.SetCookies([]*http.Cookie{{Name: "user-recovery-sessions", Value: rs.ID.String()}})
	if res := other.Get(res.Location); res.Status != http.StatusNotFound {
		t.Errorf("a forged cookie was accepted: %d", res.Status)
	}
	if jobs := e.jobs(domain.SendAccountRecoveryEmailsJob{}.Kind()); len(jobs) != 1 {
		t.Errorf("jobs = %v", jobs)
	}
	// The browser that started it still sees it.
	if page := b.Get(res.Location); page.Status != http.StatusOK {
		t.Errorf("own progress page: %d", page.Status)
	}
}

func TestRecoveryLinkProblems(t *testing.T) {
	e := newRecoveryEnv(t, envOptions{})
	ctx := context.Background()
	check := func(t *testing.T, b *browsertest.Browser, target string, status int, text string) {
		t.Helper()
		res := b.Get(target)
		if res.Status != status || !strings.Contains(res.Body, text) || !strings.Contains(res.Body, `href="/auth/recover"`) {
			t.Errorf("%s: %d\n%s", target, res.Status, res.Body)
		}
		if strings.Contains(res.Body, `name="password"`) {
			t.Errorf("%s shows the password form", target)
		}
	}
	b := e.browser()

	t.Run("unknown", func(t *testing.T) {
		for _, target := range []string{
			"/account/password/recovery",
			"/account/password/recovery?ticket=",
			"/account/password/recovery?ticket=no-such-ticket",
			"/account/password/recovery?ticket=" + strings.Repeat("x", 300),
		} {
			check(t, b, target, http.StatusNotFound, "This link does not work")
		}
		// Posting a made-up ticket changes nothing either.
		res := b.Post("/account/password/recovery", url.Values{
			"csrf": {b.CSRF("/recover")}, "ticket": {"no-such-ticket"}, "password": {newPassword}, "password_confirm": {newPassword},
		})
		if res.Status != http.StatusNotFound {
			t.Errorf("POST with an unknown ticket: %d", res.Status)
		}
	})

	t.Run("expired", func(t *testing.T) {
		link, rs := e.recoveryLink()
		e.clock.Advance(recoveryTicketTTL - time.Second)
		form := b.Get(link)
		if form.Status != http.StatusOK {
			t.Fatalf("link just before expiry: %d", form.Status)
		}
		e.clock.Advance(time.Second)
		check(t, b, link, http.StatusGone, "This link has expired")
		before := e.activePasswordID(e.alice)
		res := submitFinish(t, b, form, newPassword, newPassword, false)
		if res.Status != http.StatusGone || !strings.Contains(res.Body, "This link has expired") {
			t.Errorf("submitting an expired link: %d\n%s", res.Status, res.Body)
		}
		if e.activePasswordID(e.alice) != before {
			t.Error("an expired link changed the password")
		}
		if got, _ := e.store.Recovery().LookupSession(ctx, rs.ID); got.ConsumedAt != nil {
			t.Error("an expired link consumed the session")
		}
	})

	t.Run("consumed", func(t *testing.T) {
		link, rs := e.recoveryLink()
		// A second address of the same request got its own ticket.
		second, err := e.store.UserEmails().Add(ctx, e.alice.ID, "alice@work.example")
		if err != nil {
			t.Fatal(err)
		}
		other := e.ticket(rs, second)
		form := b.Get(other)
		if res := setNewPassword(t, b, link, newPassword, newPassword, false); res.Status != http.StatusOK {
			t.Fatalf("first use: %d\n%s", res.Status, res.Body)
		}
		check(t, b, link, http.StatusGone, "already been used")
		check(t, b, other, http.StatusGone, "already been used")
		before := e.activePasswordID(e.alice)
		res := submitFinish(t, b, form, "another "+newPassword, "another "+newPassword, false)
		if res.Status != http.StatusGone {
			t.Errorf("second use through another ticket: %d\n%s", res.Status, res.Body)
		}
		if e.activePasswordID(e.alice) != before {
			t.Error("a consumed recovery changed the password")
		}
	})

	t.Run("address removed", func(t *testing.T) {
		extra, err := e.store.UserEmails().Add(ctx, e.alice.ID, "alice@old.example")
		if err != nil {
			t.Fatal(err)
		}
		rs := e.recoverySessionOf(startRecovery(t, e.browser(), extra.Email))
		link := e.ticket(rs, extra)
		if err := e.store.UserEmails().Remove(ctx, extra.ID); err != nil {
			t.Fatal(err)
		}
		check(t, b, link, http.StatusNotFound, "This link does not work")
	})
}

func TestRecoveryNewPasswordRefused(t *testing.T) {
	e := newRecoveryEnv(t, envOptions{settings: web.Settings{MinimumPasswordComplexity: 3}})
	ctx := context.Background()
	link, rs := e.recoveryLink()
	before := e.activePasswordID(e.alice)
	b := e.browser()
	for _, tc := range []struct {
		name, password, confirm, want string
	}{
		{"empty", "", "", "Enter a new password."},
		{"weak", "password1", "password1", "too easy to guess"},
		{"the username", "alice", "alice", "too easy to guess"},
		{"mismatch", newPassword, newPassword + "!", "The passwords do not match."},
		{"too long", strings.Repeat("x", 5000), strings.Repeat("x", 5000), "This password is too long."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := setNewPassword(t, b, link, tc.password, tc.confirm, true)
			if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, tc.want) {
				t.Fatalf("%d\n%s", res.Status, res.Body)
			}
			// The form comes back, the option kept, the passwords not.
			if !strings.Contains(res.Body, `name="password_confirm"`) || !strings.Contains(res.Body, `value="on" checked`) {
				t.Errorf("the form did not come back as posted:\n%s", res.Body)
			}
			if strings.Contains(res.Body, `name="password" type="password" value=`) ||
				strings.Contains(res.Body, `name="password_confirm" type="password" value=`) {
				t.Error("the refused password is echoed into the page")
			}
		})
	}
	if e.activePasswordID(e.alice) != before {
		t.Error("a refused password was stored")
	}
	if got, _ := e.store.Recovery().LookupSession(ctx, rs.ID); got.ConsumedAt != nil {
		t.Error("a refused password consumed the recovery")
	}
	if jobs := e.jobs(domain.SyncDevicesJob{}.Kind()); len(jobs) != 0 {
		t.Errorf("a refused password ended sessions: %v", jobs)
	}
	// The link still works afterwards.
	if res := setNewPassword(t, b, link, newPassword, newPassword, false); res.Status != http.StatusOK {
		t.Errorf("valid password after refusals: %d\n%s", res.Status, res.Body)
	}
}

func TestRecoverySignOutEverywhere(t *testing.T) {
	e := newRecoveryEnv(t, envOptions{})
	ctx := context.Background()
	bob := e.user("bob", "bob's password")
	signedIn := e.browser()
	logIn(t, signedIn, "alice", oldPassword)
	bobBrowser := e.browser()
	logIn(t, bobBrowser, "bob", "bob's password")

	client := &domain.Client{RedirectURIs: []string{"https://app.example/cb"}, GrantAuthorizationCode: true, ClientName: "App"}
	if err := e.store.Clients().Add(ctx, client); err != nil {
		t.Fatal(err)
	}
	oauth := &domain.Session{ClientID: client.ID, UserID: &e.alice.ID, Scope: []string{"openid", "urn:matrix:client:device:ALICEDEV"}}
	bobOAuth := &domain.Session{ClientID: client.ID, UserID: &bob.ID, Scope: []string{"openid"}}
	compat := &domain.CompatSession{UserID: e.alice.ID, DeviceID: "ALICECOMPAT"}
	for _, err := range []error{
		e.store.Sessions().Add(ctx, oauth), e.store.Sessions().Add(ctx, bobOAuth), e.store.CompatSessions().Add(ctx, compat),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}

	link, _ := e.recoveryLink()
	done := setNewPassword(t, e.browser(), link, newPassword, newPassword, true)
	if done.Status != http.StatusOK || !strings.Contains(done.Body, "has been signed out") {
		t.Fatalf("after setting the password: %d\n%s", done.Status, done.Body)
	}

	if res := signedIn.Get("/"); strings.Contains(res.Body, "@alice:example.com") {
		t.Error("alice's browser is still signed in")
	}
	if s, err := e.store.Sessions().Lookup(ctx, oauth.ID); err != nil || s.Active() {
		t.Errorf("OAuth session still active: %+v, %v", s, err)
	}
	if s, err := e.store.CompatSessions().Lookup(ctx, compat.ID); err != nil || s.Active() {
		t.Errorf("compat session still active: %+v, %v", s, err)
	}
	jobs := e.jobs(domain.SyncDevicesJob{}.Kind())
	if len(jobs) != 1 || jobs[0]["user_id"] != e.alice.ID.String() {
		t.Errorf("device sync jobs = %v", jobs)
	}
	// Nobody else was touched.
	if res := bobBrowser.Get("/"); !strings.Contains(res.Body, "@bob:example.com") {
		t.Error("bob was signed out")
	}
	if s, err := e.store.Sessions().Lookup(ctx, bobOAuth.ID); err != nil || !s.Active() {
		t.Errorf("bob's OAuth session ended: %+v, %v", s, err)
	}
	// The new password opens a fresh session.
	if !e.canLogIn("alice", newPassword) {
		t.Error("the new password does not log in")
	}
}

// TestRecoveryConcurrentSubmits: of several submissions of the same link
// at once, exactly one sets a password.
func TestRecoveryConcurrentSubmits(t *testing.T) {
	e := newRecoveryEnv(t, envOptions{})
	link, _ := e.recoveryLink()
	b := e.browser()
	form := b.Get(link)
	action, values, err := browsertest.FindForm(form.Body, "")
	if err != nil {
		t.Fatal(err)
	}
	target := b.URL(form.URL, action).String()
	const n = 6
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		v := url.Values{}
		for k, vs := range values {
			v[k] = slices.Clone(vs)
		}
		pw := newPassword + " " + string(rune('a'+i))
		v.Set("password", pw)
		v.Set("password_confirm", pw)
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(v.Encode()))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			resp, err := b.Client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	won := 0
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			won++
			if !e.canLogIn("alice", newPassword+" "+string(rune('a'+i))) {
				t.Error("the winning password does not log in")
			}
		case http.StatusGone:
		default:
			t.Errorf("submission %d: status %d", i, s)
		}
	}
	if won != 1 {
		t.Errorf("%d submissions set a password, want exactly one (%v)", won, statuses)
	}
}

func TestRecoveryLockedOrDeactivatedUser(t *testing.T) {
	e := newRecoveryEnv(t, envOptions{})
	ctx := context.Background()
	link, rs := e.recoveryLink()
	b := e.browser()
	form := b.Get(link)
	before := e.activePasswordID(e.alice)

	e.alice.Lock(e.clock.Now())
	if err := e.store.Users().Update(ctx, e.alice); err != nil {
		t.Fatal(err)
	}
	if res := b.Get(link); res.Status != http.StatusForbidden || !strings.Contains(res.Body, "locked") || strings.Contains(res.Body, `name="password"`) {
		t.Errorf("link of a locked user: %d\n%s", res.Status, res.Body)
	}
	// A form opened before the lock does not get through either.
	res := submitFinish(t, b, form, newPassword, newPassword, true)
	if res.Status != http.StatusForbidden {
		t.Errorf("submitting for a locked user: %d\n%s", res.Status, res.Body)
	}
	if e.activePasswordID(e.alice) != before {
		t.Error("a locked user's password was changed")
	}
	if got, _ := e.store.Recovery().LookupSession(ctx, rs.ID); got.ConsumedAt != nil {
		t.Error("a locked user's recovery was consumed")
	}

	e.alice.Unlock()
	if err := e.alice.Deactivate(e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Users().Update(ctx, e.alice); err != nil {
		t.Fatal(err)
	}
	if res := b.Get(link); res.Status != http.StatusNotFound || strings.Contains(res.Body, `name="password"`) {
		t.Errorf("link of a deactivated user: %d\n%s", res.Status, res.Body)
	}
	if e.activePasswordID(e.alice) != before {
		t.Error("a deactivated user's password was changed")
	}
}

func TestRecoveryDisabled(t *testing.T) {
	for name, opts := range map[string]envOptions{
		"setting off":        {},
		"passwords disabled": {disabled: true, settings: web.Settings{PasswordRecoveryEnabled: true}},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, opts)
			ctx := context.Background()
			alice, err := e.store.Users().Add(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			email, err := e.store.UserEmails().Add(ctx, alice.ID, "alice@example.com")
			if err != nil {
				t.Fatal(err)
			}
			// A link mailed while recovery was on no longer works.
			rs := &domain.RecoverySession{Email: email.Email}
			if err := e.store.Recovery().AddSession(ctx, rs); err != nil {
				t.Fatal(err)
			}
			re := &recoveryEnv{env: e, alice: alice, email: email}
			link := re.ticket(rs, email)

			b := e.browser()
			for _, target := range []string{"/recover", "/recover/progress/" + rs.ID.String(), link} {
				res := b.Get(target)
				if res.Status != http.StatusOK || !strings.Contains(res.Body, "Password reset is not available") || strings.Contains(res.Body, "<form") {
					t.Errorf("GET %s: %d\n%s", target, res.Status, res.Body)
				}
			}
			for _, target := range []string{"/recover", "/recover/progress/" + rs.ID.String(), "/account/password/recovery"} {
				res := b.Post(target, url.Values{"email": {"alice@example.com"}, "ticket": {strings.TrimPrefix(link, "/account/password/recovery?ticket=")},
					"password": {newPassword}, "password_confirm": {newPassword}})
				if res.Status != http.StatusOK || !strings.Contains(res.Body, "Password reset is not available") {
					t.Errorf("POST %s: %d\n%s", target, res.Status, res.Body)
				}
			}
			if jobs := e.jobs(domain.SendAccountRecoveryEmailsJob{}.Kind()); len(jobs) != 0 {
				t.Errorf("jobs queued while disabled: %v", jobs)
			}
			if _, err := e.store.Passwords().Active(ctx, alice.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a password was set while disabled: %v", err)
			}
		})
	}
}

// TestRecoveryCookieScope: the recovery cookie is sealed, HttpOnly and
// limited to the service's path, like the session cookie.
func TestRecoveryCookieScope(t *testing.T) {
	e := newRecoveryEnv(t, envOptions{})
	b := e.browser()
	res := startRecovery(t, b, "alice@example.com")
	var found *http.Cookie
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == "user-recovery-sessions" {
			found = c
		}
	}
	if found == nil || !found.HttpOnly || found.Path != "/auth/" || found.SameSite != http.SameSiteLaxMode ||
		strings.Contains(found.Value, path.Base(res.Location)) {
		t.Errorf("recovery cookie = %+v", found)
	}
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == session.CookieSession {
			t.Error("starting a recovery touched the session cookie")
		}
	}
}
