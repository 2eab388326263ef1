package compat_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"mas/internal/browsertest"
	"mas/internal/compat"
	"mas/internal/domain"
	"mas/internal/homeserver/homeservertest"
)

func TestSSORedirectErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, tc := range []struct {
		name   string
		query  string
		want   string
		status int // 400 when zero
	}{
		{"no redirectUrl", "", "Missing redirectUrl", 0},
		{"no redirectUrl, only an action", "?action=login", "Missing redirectUrl", 0},
		{"empty", "?redirectUrl=", "invalid redirectUrl", 0},
		{"relative", "?redirectUrl=%2Fcallback", "invalid redirectUrl", 0},
		{"no scheme", "?redirectUrl=client.example%2Fcallback", "invalid redirectUrl", 0},
		{"user info", "?redirectUrl=" + url.QueryEscape("https://user@client.example/"), "invalid redirectUrl", 0},
		{"password", "?redirectUrl=" + url.QueryEscape("https://:secret@client.example/"), "invalid redirectUrl", 0},
		{"http without host", "?redirectUrl=" + url.QueryEscape("http:///callback"), "invalid redirectUrl", 0},
		{"https without host", "?redirectUrl=" + url.QueryEscape("https://:443/"), "invalid redirectUrl", 0},
		{"unparsable", "?redirectUrl=" + url.QueryEscape("https://client example/"), "invalid redirectUrl", 0},
		{"invalid UTF-8", "?redirectUrl=https%3A%2F%2Fclient.example%2F%FF", "invalid redirectUrl", 0},
		{"NUL", "?redirectUrl=https%3A%2F%2Fclient.example%2F%00", "invalid redirectUrl", 0},
		// Stored for anyone who asks, so bounded.
		{"too long", "?redirectUrl=" + url.QueryEscape("https://client.example/?"+strings.Repeat("a", compat.MaxRedirectURLBytes)), "redirectUrl is too long", http.StatusRequestURITooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(e.request("GET", ssoPath+tc.query, ""))
			if tc.status == 0 {
				tc.status = http.StatusBadRequest
			}
			if res.status != tc.status || !strings.Contains(res.raw, tc.want) {
				t.Fatalf("%d %s", res.status, res.raw)
			}
			if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if res.header.Get("X-Frame-Options") != "DENY" {
				t.Error("no X-Frame-Options")
			}
		})
	}
}

func TestSSORedirect(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		path       string
		redirect   string
		extra      string
		wantAction string // "" for no action parameters
		wantStored string
	}{
		{name: "plain", path: ssoPath, redirect: "https://client.example/cb?state=1", wantStored: "https://client.example/cb?state=1"},
		{name: "root path added", path: ssoPath, redirect: "http://localhost:8080", wantStored: "http://localhost:8080/"},
		{name: "private-use scheme", path: ssoPath, redirect: "im.example.app:/sso", wantStored: "im.example.app:/sso"},
		{name: "trailing slash", path: ssoPath + "/", redirect: "https://client.example/", wantStored: "https://client.example/"},
		{name: "identity provider ignored", path: ssoPath + "/oidc-github", redirect: "https://client.example/", wantStored: "https://client.example/"},
		{name: "r0", path: "/_matrix/client/r0/login/sso/redirect", redirect: "https://client.example/", wantStored: "https://client.example/"},
		{name: "register", path: ssoPath, redirect: "https://client.example/", extra: "&action=register", wantAction: "register", wantStored: "https://client.example/"},
		{name: "unstable action", path: ssoPath, redirect: "https://client.example/", extra: "&org.matrix.msc3824.action=register", wantAction: "register", wantStored: "https://client.example/"},
		{
			name: "stable action wins", path: ssoPath, redirect: "https://client.example/",
			extra: "&action=login&org.matrix.msc3824.action=register", wantAction: "login", wantStored: "https://client.example/",
		},
		{name: "unknown action", path: ssoPath, redirect: "https://client.example/", extra: "&action=signup", wantAction: "unknown", wantStored: "https://client.example/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(e.request("GET", tc.path+"?redirectUrl="+url.QueryEscape(tc.redirect)+tc.extra, ""))
			if res.status != http.StatusSeeOther {
				t.Fatalf("%d %s", res.status, res.raw)
			}
			loc, err := url.Parse(res.location)
			if err != nil || !loc.IsAbs() || !strings.HasPrefix(loc.Path, "/complete-compat-sso/") {
				t.Fatalf("Location %q", res.location)
			}
			q := loc.Query()
			if q.Get("action") != tc.wantAction || q.Get("org.matrix.msc3824.action") != tc.wantAction {
				t.Errorf("Location %q, want action %q", res.location, tc.wantAction)
			}
			id, err := domain.ParseID(strings.TrimPrefix(loc.Path, "/complete-compat-sso/"))
			if err != nil {
				t.Fatal(err)
			}
			login, err := e.store.CompatSSOLogins().Lookup(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if login.RedirectURI != tc.wantStored || len(login.LoginToken) != 32 || login.Stage() != domain.StagePending {
				t.Errorf("stored login %+v", login)
			}
		})
	}
}

func TestSSOCompleteWithoutSession(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	for _, tc := range []struct {
		extra string
		want  string
	}{
		{"", "/login"},
		{"&action=login", "/login"},
		{"&action=register", "/register"},
		{"&org.matrix.msc3824.action=register", "/register"},
		{"&action=other", "/login"},
	} {
		complete := e.ssoStart("https://client.example/", tc.extra)
		id := strings.TrimPrefix(strings.SplitN(complete, "?", 2)[0], "/complete-compat-sso/")
		res := b.Get(complete)
		want := tc.want + "?id=" + id + "&kind=continue_compat_sso_login"
		if res.Status != http.StatusSeeOther || res.Location != want {
			t.Errorf("%s: %d Location %q, want %q", complete, res.Status, res.Location, want)
		}
	}
}

func TestSSOComplete(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	alice := e.user("alice", "correct horse")
	b := e.browser()
	bs := e.loginAs(b, alice)

	complete := e.ssoStart("https://client.example/after?state=xyz#frag", "&action=login")
	page := b.Get(complete)
	if page.Status != http.StatusOK {
		t.Fatalf("%d %s", page.Status, page.Body)
	}
	for _, want := range []string{"Continue to client.example", "@alice:example.com", `name="csrf"`, `action="` + strings.ReplaceAll(complete, "&", "&amp;") + `"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("page lacks %q:\n%s", want, page.Body)
		}
	}
	if page.Header.Get("Cache-Control") != "no-store" {
		t.Error("consent page cacheable")
	}

	// Without a valid CSRF token nothing happens.
	if res := b.Post(complete, url.Values{"csrf": {"forged"}}); res.Status != http.StatusForbidden {
		t.Errorf("forged CSRF: %d", res.Status)
	}

	res := b.Post(complete, url.Values{"csrf": {browsertest.CSRFOf(t, page)}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	loc, err := url.Parse(res.Location)
	if err != nil {
		t.Fatal(err)
	}
	token := loc.Query().Get("loginToken")
	if loc.Host != "client.example" || loc.Path != "/after" || loc.Query().Get("state") != "xyz" || loc.Fragment != "frag" || len(token) != 32 {
		t.Fatalf("redirected to %q", res.Location)
	}
	if !strings.HasPrefix(res.Location, "https://client.example/after?state=xyz&loginToken=") {
		t.Errorf("existing query not kept first: %q", res.Location)
	}
	login, err := e.store.CompatSSOLogins().FindByToken(ctx, token)
	if err != nil || login.Stage() != domain.StageFulfilled || *login.BrowserSessionID != bs.ID {
		t.Fatalf("login %+v, %v", login, err)
	}

	// Approving twice is not possible.
	if res := b.Post(complete, url.Values{"csrf": {browsertest.CSRFOf(t, page)}}); res.Status != http.StatusOK || !strings.Contains(res.Body, "This login session expired.") {
		t.Errorf("second approval: %d %s", res.Status, res.Body)
	}

	// The client redeems the token, with a device of its choice.
	e.clock.Advance(10 * time.Second)
	tok := e.postJSON(loginPath, obj{"type": "m.login.token", "token": token, "device_id": "SSODEVICE", "refresh_token": true})
	if tok.status != http.StatusOK {
		t.Fatalf("token login: %d %s", tok.status, tok.raw)
	}
	if tok.str("user_id") != "@alice:example.com" || tok.str("device_id") != "SSODEVICE" || tok.str("refresh_token") == "" {
		t.Errorf("token login %s", tok.raw)
	}
	sessions := e.activeCompatSessions(alice)
	if len(sessions) != 1 || sessions[0].BrowserSessionID == nil || *sessions[0].BrowserSessionID != bs.ID {
		t.Fatalf("sessions %+v", sessions)
	}
	if !contains(e.hs.Devices("alice"), "SSODEVICE") {
		t.Errorf("devices %v", e.hs.Devices("alice"))
	}
	login, _ = e.store.CompatSSOLogins().FindByToken(ctx, token)
	if login.Stage() != domain.StageExchanged || *login.SessionID != sessions[0].ID {
		t.Errorf("login after exchange %+v", login)
	}

	// Single use.
	e.postJSON(loginPath, obj{"type": "m.login.token", "token": token}).wantError(t, 403, "M_FORBIDDEN", "Invalid login token")
}

func TestSSOTokenLoginErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	b := e.browser()
	e.loginAs(b, alice)
	tokenLogin := func(token string) response {
		return e.postJSON(loginPath, obj{"type": "m.login.token", "token": token})
	}

	t.Run("not approved", func(t *testing.T) {
		complete := e.ssoStart("https://client.example/", "")
		id, _ := domain.ParseID(strings.TrimPrefix(complete, "/complete-compat-sso/"))
		login, err := e.store.CompatSSOLogins().Lookup(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		tokenLogin(login.LoginToken).wantError(t, 403, "M_FORBIDDEN", "Invalid login token")
	})
	t.Run("too late", func(t *testing.T) {
		token := e.ssoApprove(b, e.ssoStart("https://client.example/", ""))
		e.clock.Advance(31 * time.Second)
		tokenLogin(token).wantError(t, 403, "M_FORBIDDEN", "Login token expired")
		if n := len(e.activeCompatSessions(alice)); n != 0 {
			t.Errorf("%d sessions", n)
		}
	})
	t.Run("just in time", func(t *testing.T) {
		token := e.ssoApprove(b, e.ssoStart("https://client.example/", ""))
		e.clock.Advance(30 * time.Second)
		if res := tokenLogin(token); res.status != http.StatusOK {
			t.Fatalf("%d %s", res.status, res.raw)
		}
	})
	t.Run("browser session ended", func(t *testing.T) {
		other := e.browser()
		otherSession := e.loginAs(other, alice)
		token := e.ssoApprove(other, e.ssoStart("https://client.example/", ""))
		if err := e.store.BrowserSessions().Finish(context.Background(), otherSession); err != nil {
			t.Fatal(err)
		}
		tokenLogin(token).wantError(t, 403, "M_FORBIDDEN", "Invalid login token")
	})
	t.Run("user locked after approval", func(t *testing.T) {
		token := e.ssoApprove(b, e.ssoStart("https://client.example/", ""))
		e.updateUser(alice, func(u *domain.User) { u.Lock(e.clock.Now()) })
		defer e.updateUser(alice, func(u *domain.User) { u.Unlock() })
		tokenLogin(token).wantError(t, 401, "M_USER_LOCKED", "User account has been locked")
	})
	t.Run("homeserver failure keeps the token usable", func(t *testing.T) {
		token := e.ssoApprove(b, e.ssoStart("https://client.example/", ""))
		e.hs.SetDown(true)
		tokenLogin(token).wantError(t, 500, "M_UNKNOWN", "Internal server error")
		e.hs.SetDown(false)
		if res := tokenLogin(token); res.status != http.StatusOK {
			t.Fatalf("retry: %d %s", res.status, res.raw)
		}
	})
}

func TestSSOCompleteExpiry(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	b := e.browser()
	e.loginAs(b, alice)
	complete := e.ssoStart("https://client.example/", "")
	page := b.Get(complete)
	csrf := browsertest.CSRFOf(t, page)
	e.clock.Advance(31 * time.Minute)
	for _, res := range []*browsertest.Response{b.Get(complete), b.Post(complete, url.Values{"csrf": {csrf}})} {
		if !strings.Contains(res.Body, "This login session expired.") || !strings.Contains(res.Body, "compat_sso_login_expired") {
			t.Errorf("%d %s", res.Status, res.Body)
		}
	}
	// Unknown and malformed IDs.
	for _, p := range []string{"/complete-compat-sso/01ARZ3NDEKTSV4RRFFQ69G5FAV", "/complete-compat-sso/nope"} {
		if res := b.Get(p); res.Status != http.StatusNotFound {
			t.Errorf("%s: %d", p, res.Status)
		}
	}
}

func TestSSOCompletePolicy(t *testing.T) {
	e := newEnv(t, envOptions{policy: sessionLimit(t, 1, 3)})
	alice := e.user("alice", "correct horse")
	e.login("alice", "correct horse", nil)
	b := e.browser()
	e.loginAs(b, alice)
	complete := e.ssoStart("https://client.example/", "")
	page := b.Get(complete)
	if page.Status != http.StatusForbidden || !strings.Contains(page.Body, "user has too many active sessions (soft limit)") ||
		!strings.Contains(page.Body, "/account") {
		t.Fatalf("%d %s", page.Status, page.Body)
	}
	res := b.Post(complete, url.Values{"csrf": {browsertest.CSRFOf(t, page)}})
	if res.Status != http.StatusForbidden {
		t.Fatalf("POST: %d %s", res.Status, res.Body)
	}
	id, _ := domain.ParseID(strings.TrimPrefix(complete, "/complete-compat-sso/"))
	if login, _ := e.store.CompatSSOLogins().Lookup(context.Background(), id); login.Stage() != domain.StagePending {
		t.Errorf("login %s despite the policy", login.Stage())
	}
}

// TestSSOTokenLoginHardLimit: the interactive step applies the soft limit,
// the token redemption the hard one.
func TestSSOTokenLoginHardLimit(t *testing.T) {
	e := newEnv(t, envOptions{policy: sessionLimit(t, 2, 2)})
	alice := e.user("alice", "correct horse")
	e.login("alice", "correct horse", nil)
	b := e.browser()
	e.loginAs(b, alice)
	token := e.ssoApprove(b, e.ssoStart("https://client.example/", ""))
	e.login("alice", "correct horse", nil)
	e.postJSON(loginPath, obj{"type": "m.login.token", "token": token}).wantError(t, 403, "M_FORBIDDEN",
		"You have reached your hard device limit. Please visit your account page to sign some out.")
}

// TestSSOTokenLoginRace: two clients redeem the same token at once. Both
// pass the checks and create their device; one wins the exchange, the
// other is refused and its orphan device is scheduled for removal.
func TestSSOTokenLoginRace(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	b := e.browser()
	e.loginAs(b, alice)
	token := e.ssoApprove(b, e.ssoStart("https://client.example/", ""))

	arrived, release := make(chan struct{}), make(chan struct{})
	e.hs.SetHook("/_synapse/mas/upsert_device", func(_ *http.Request, body []byte) *homeservertest.Response {
		if strings.Contains(string(body), `"SLOW"`) {
			close(arrived)
			<-release
		}
		return nil
	})
	slow := make(chan response, 1)
	go func() {
		slow <- e.postJSON(loginPath, obj{"type": "m.login.token", "token": token, "device_id": "SLOW"})
	}()
	<-arrived
	fast := e.postJSON(loginPath, obj{"type": "m.login.token", "token": token, "device_id": "FAST"})
	if fast.status != http.StatusOK {
		t.Fatalf("fast: %d %s", fast.status, fast.raw)
	}
	close(release)
	(<-slow).wantError(t, 403, "M_FORBIDDEN", "Invalid login token")

	sessions := e.activeCompatSessions(alice)
	if len(sessions) != 1 || sessions[0].DeviceID != "FAST" {
		t.Fatalf("sessions %+v", sessions)
	}
	if got := e.hs.Devices("alice"); !slices.Equal(got, []string{"FAST", "SLOW"}) {
		t.Errorf("devices %v", got)
	}
	if n := e.jobs("sync-devices", alice); n != 1 {
		t.Errorf("%d sync jobs, want 1 to remove the orphan device", n)
	}
}
