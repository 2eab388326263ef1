package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/policy"
)

// startAddEmail posts the add form and returns the code page's path.
func (a *accountEnv) startAddEmail(email string) string {
	a.t.Helper()
	res := a.submit("/account/emails", "/account/emails", url.Values{"email": {email}, "current_password": {strongPassword}})
	if res.Status != http.StatusSeeOther || !strings.HasSuffix(res.Location, "/verify?done=code-sent") {
		a.t.Fatalf("adding %s: %d %q\n%s", email, res.Status, res.Location, res.Body)
	}
	u, _ := url.Parse(res.Location)
	return strings.TrimPrefix(u.Path, "/auth")
}

// mailedCode gives the email authentication of a code page a code, the
// way the send-email-authentication-code job draws one (AddCode, valid
// five minutes), and returns it as the mail would show it.
func (a *accountEnv) mailedCode(verifyPath string, code string) string {
	a.t.Helper()
	id, err := domain.ParseID(path.Base(path.Dir(verifyPath)))
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.store.EmailAuthentications().AddCode(context.Background(), id, code, a.clock.Now().Add(5*time.Minute)); err != nil {
		a.t.Fatal(err)
	}
	return code
}

// TestAccountAddEmail: an address is added once the code mailed to it
// comes back; the code is queued for the right authentication and
// language, and the homeserver is told through a provisioning job.
func TestAccountAddEmail(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	want(t, "page", a.b.Get("/account/emails"), http.StatusOK, "There is no email address on your account.", `name="current_password"`)

	verify := a.startAddEmail("alice@example.org")
	jobs := a.jobs("send-email-authentication-code")
	if len(jobs) != 1 || !strings.Contains(verify, jobs[0]["user_email_authentication_id"].(string)) || jobs[0]["language"] != "en" {
		t.Fatalf("code jobs %v for %s", jobs, verify)
	}
	want(t, "code page", a.b.Get(verify+"?done=code-sent"), http.StatusOK, "alice@example.org", "A new code is on its way.", `name="code"`)

	code := a.mailedCode(verify, "123456")
	want(t, "wrong code", a.submit(verify, verify, url.Values{"code": {"654321"}}), http.StatusBadRequest, "That code is not right.")
	want(t, "malformed code", a.submit(verify, verify, url.Values{"code": {"12a456"}}), http.StatusBadRequest, "That code is not right.")
	if got := a.userEmails(a.alice.ID); len(got) != 0 {
		t.Fatalf("addresses after wrong codes: %v", got)
	}

	res := a.submit(verify, verify, url.Values{"code": {" " + code + " "}})
	wantRedirect(t, "right code", res, "/auth/account/emails?done=email-added")
	if got := a.userEmails(a.alice.ID); !slices.Equal(got, []string{"alice@example.org"}) {
		t.Fatalf("addresses = %v", got)
	}
	if jobs := a.jobs("provision-user"); len(jobs) != 1 || jobs[0]["user_id"] != a.alice.ID.String() {
		t.Fatalf("provision jobs %v", jobs)
	}
	want(t, "list", a.b.Get(res.Location), http.StatusOK, "alice@example.org", "The email address was added")
	// The code is spent: the page now just leads back.
	wantRedirect(t, "again", a.b.Get(verify), "/auth/account/emails")
	wantRedirect(t, "code again", a.submit("/account/emails", verify, url.Values{"code": {code}}), "/auth"+verify)
}

// TestAccountAddEmailRefusals: a malformed, banned or already own address,
// a wrong or missing password, an expired code, another browser's code
// page, too many codes: each is a clear message and nothing is added.
func TestAccountAddEmailRefusals(t *testing.T) {
	engine, err := policy.New(json.RawMessage(`{"banned_domains": ["banned.example"]}`))
	if err != nil {
		t.Fatal(err)
	}
	a := newAccountEnv(t, envOptions{policy: engine})
	ctx := context.Background()
	if _, err := a.store.UserEmails().Add(ctx, a.alice.ID, "alice@example.org"); err != nil {
		t.Fatal(err)
	}
	add := func(email, password string) (int, string) {
		res := a.submit("/account/emails", "/account/emails", url.Values{"email": {email}, "current_password": {password}})
		return res.Status, res.Body
	}
	for _, tt := range []struct {
		name, email, password string
		status                int
		message               string
	}{
		{"malformed", "not an address", strongPassword, http.StatusBadRequest, "Enter a valid email address."},
		{"display name", "Alice <a@example.org>", strongPassword, http.StatusBadRequest, "Enter a valid email address."},
		{"banned domain", "x@banned.example", strongPassword, http.StatusBadRequest, "Addresses of this domain are not allowed"},
		{"own already", "ALICE@example.org", strongPassword, http.StatusBadRequest, "already on your account"},
		{"wrong password", "new@example.org", "not it", http.StatusBadRequest, "That is not your current password."},
		{"no password", "new@example.org", "", http.StatusBadRequest, "Enter your current password."},
	} {
		status, body := add(tt.email, tt.password)
		if status != tt.status || !strings.Contains(body, tt.message) {
			t.Errorf("%s: %d\n%s", tt.name, status, body)
		}
	}
	if jobs := a.jobs("send-email-authentication-code"); len(jobs) != 0 {
		t.Fatalf("refused additions queued codes: %v", jobs)
	}
	want(t, "no CSRF", a.b.Post("/account/emails", url.Values{"email": {"new@example.org"}, "current_password": {strongPassword}}), http.StatusForbidden)

	// An expired code.
	verify := a.startAddEmail("new@example.org")
	code := a.mailedCode(verify, "111111")
	a.clock.Advance(6 * time.Minute)
	want(t, "expired", a.submit(verify, verify, url.Values{"code": {code}}), http.StatusBadRequest, "That code has expired.")

	// Resending queues another code.
	wantRedirect(t, "resend", a.submit(verify, verify, url.Values{"action": {"resend"}}), "/auth"+verify+"?done=code-sent")
	if jobs := a.jobs("send-email-authentication-code"); len(jobs) != 2 {
		t.Fatalf("code jobs after resend: %v", jobs)
	}

	// Another browser of alice cannot use this code page.
	other := a.browser()
	logIn(t, other, "alice", strongPassword)
	want(t, "other browser", other.Get(verify), http.StatusNotFound, "does not exist or has already been used")
	res := other.Post(verify, url.Values{"csrf": {other.CSRF("/account/emails")}, "code": {code}})
	want(t, "other browser posts", res, http.StatusNotFound)
	want(t, "unknown id", a.b.Get("/account/emails/not-an-id/verify"), http.StatusNotFound)

	if got := a.userEmails(a.alice.ID); !slices.Equal(got, []string{"alice@example.org"}) {
		t.Fatalf("addresses = %v", got)
	}
}

// TestAccountAddEmailInUse: an address of another account is refused
// only once the code came back, so that nobody learns who has an address
// without owning it.
func TestAccountAddEmailInUse(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	bob := a.user("bob", "")
	if _, err := a.store.UserEmails().Add(context.Background(), bob.ID, "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	verify := a.startAddEmail("Bob@example.org")
	res := a.submit(verify, verify, url.Values{"code": {a.mailedCode(verify, "222222")}})
	wantRedirect(t, "right code", res, "/auth"+verify)
	want(t, "in use", a.b.Get(verify), http.StatusConflict, "is already used by another account")
	if got := a.userEmails(a.alice.ID); len(got) != 0 {
		t.Fatalf("alice's addresses = %v", got)
	}
	if got := a.userEmails(bob.ID); !slices.Equal(got, []string{"bob@example.org"}) {
		t.Fatalf("bob's addresses = %v", got)
	}
}

// TestAccountAddEmailLimited: email_authentication limits apply to the
// account page's codes.
func TestAccountAddEmailLimited(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	exhaust(a.limits.EmailAuthenticationPerAddress, "new@example.org")
	res := a.submit("/account/emails", "/account/emails", url.Values{"email": {"new@example.org"}, "current_password": {strongPassword}})
	want(t, "limited", res, http.StatusTooManyRequests, "Too many attempts.")
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if jobs := a.jobs("send-email-authentication-code"); len(jobs) != 0 {
		t.Fatalf("limited addition queued codes: %v", jobs)
	}
}

// TestAccountRemoveEmail: removing needs the password, never takes the
// last address, only takes the user's own, and tells the homeserver.
func TestAccountRemoveEmail(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	ctx := context.Background()
	first, err := a.store.UserEmails().Add(ctx, a.alice.ID, "first@example.org")
	if err != nil {
		t.Fatal(err)
	}
	// One address: no remove link, and a posted removal is refused.
	if res := a.b.Get("/account/emails"); strings.Contains(res.Body, "/remove") {
		t.Fatalf("the last address is removable:\n%s", res.Body)
	}
	removeFirst := "/account/emails/" + first.ID.String() + "/remove"
	want(t, "last", a.submit(removeFirst, removeFirst, url.Values{"current_password": {strongPassword}}), http.StatusConflict, "only address")

	second, err := a.store.UserEmails().Add(ctx, a.alice.ID, "second@example.org")
	if err != nil {
		t.Fatal(err)
	}
	bob := a.user("bob", "")
	bobs, err := a.store.UserEmails().Add(ctx, bob.ID, "bob@example.org")
	if err != nil {
		t.Fatal(err)
	}
	want(t, "list", a.b.Get("/account/emails"), http.StatusOK, removeFirst)
	want(t, "confirm page", a.b.Get(removeFirst), http.StatusOK, "Remove first@example.org from your account?", `name="current_password"`)
	want(t, "wrong password", a.submit(removeFirst, removeFirst, url.Values{"current_password": {"nope"}}), http.StatusBadRequest, "That is not your current password.")
	want(t, "no CSRF", a.b.Post(removeFirst, url.Values{"current_password": {strongPassword}}), http.StatusForbidden)
	removeBobs := "/account/emails/" + bobs.ID.String() + "/remove"
	want(t, "someone else's", a.submit("/account/emails", removeBobs, url.Values{"current_password": {strongPassword}}),
		http.StatusNotFound, "This email address is not on your account.")
	want(t, "someone else's page", a.b.Get(removeBobs), http.StatusNotFound)
	if got := a.userEmails(a.alice.ID); len(got) != 2 || len(a.userEmails(bob.ID)) != 1 || len(a.jobs("provision-user")) != 0 {
		t.Fatalf("refusals changed something: alice %v, bob %v", got, a.userEmails(bob.ID))
	}

	wantRedirect(t, "remove", a.submit(removeFirst, removeFirst, url.Values{"current_password": {strongPassword}}), "/auth/account/emails?done=email-removed")
	if got := a.userEmails(a.alice.ID); !slices.Equal(got, []string{second.Email}) {
		t.Fatalf("addresses = %v", got)
	}
	if jobs := a.jobs("provision-user"); len(jobs) != 1 || jobs[0]["user_id"] != a.alice.ID.String() {
		t.Fatalf("provision jobs %v", jobs)
	}
}

// TestAccountEmailsDisabled: without email_change_allowed the addresses
// are listed and nothing else.
func TestAccountEmailsDisabled(t *testing.T) {
	s := accountSettings()
	s.EmailChangeAllowed = false
	a := newAccountEnv(t, envOptions{settings: s})
	ctx := context.Background()
	e1, _ := a.store.UserEmails().Add(ctx, a.alice.ID, "one@example.org")
	if _, err := a.store.UserEmails().Add(ctx, a.alice.ID, "two@example.org"); err != nil {
		t.Fatal(err)
	}
	res := a.b.Get("/account/emails")
	want(t, "list", res, http.StatusOK, "one@example.org", "two@example.org", "cannot be changed on this server")
	if strings.Contains(res.Body, `name="email"`) || strings.Contains(res.Body, "/remove") {
		t.Fatalf("forms without email_change_allowed:\n%s", res.Body)
	}
	want(t, "add", a.submit("/account/emails", "/account/emails", url.Values{"email": {"x@example.org"}, "current_password": {strongPassword}}), http.StatusForbidden)
	remove := "/account/emails/" + e1.ID.String() + "/remove"
	want(t, "remove", a.submit("/account/emails", remove, url.Values{"current_password": {strongPassword}}), http.StatusForbidden)
	if got := a.userEmails(a.alice.ID); len(got) != 2 || len(a.jobs("send-email-authentication-code")) != 0 {
		t.Fatalf("addresses %v", got)
	}
}
