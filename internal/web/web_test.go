package web_test

import (
	"context"
	"html"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"mas/internal/browsertest"
	"mas/internal/passwords"
	"mas/internal/ratelimit"
	"mas/internal/session"
)

func TestLoginAndLogout(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	b := e.browser()

	res := b.Get("/")
	if res.Status != http.StatusOK || !strings.Contains(res.Body, catalogText(t, "index.subtitle")) || !strings.Contains(res.Body, `href="/auth/login"`) {
		t.Fatalf("index before login: %d\n%s", res.Status, res.Body)
	}

	res = b.Get("/login")
	if res.Status != http.StatusOK || !strings.Contains(res.Body, `action="/auth/login"`) || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("login page: %d %v\n%s", res.Status, res.Header, res.Body)
	}

	res = logIn(t, b, "alice", "correct horse")
	if res.Location != "/auth/" {
		t.Errorf("after login: Location %q", res.Location)
	}
	c := b.Cookie(session.CookieSession)
	if c == nil {
		t.Fatal("no session cookie")
	}

	res = b.Get("/")
	if !strings.Contains(res.Body, "@alice:example.com") {
		t.Fatalf("index after login:\n%s", res.Body)
	}
	sessions, err := e.store.BrowserSessions().ListActiveForUser(context.Background(), alice.ID)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("active sessions: %v, %v", sessions, err)
	}
	auth, err := e.store.BrowserSessions().LastAuthentication(context.Background(), sessions[0].ID)
	if err != nil || auth.PasswordID == nil {
		t.Errorf("authentication: %+v, %v", auth, err)
	}

	// Logging in again while logged in just moves on.
	if res := b.Get("/login"); res.Status != http.StatusSeeOther || res.Location != "/auth/" {
		t.Errorf("login page while logged in: %d %q", res.Status, res.Location)
	}

	// Logout needs the CSRF token of a page.
	if res := b.Post("/logout", url.Values{}); res.Status != http.StatusForbidden {
		t.Errorf("logout without CSRF: %d", res.Status)
	}
	res = b.Post("/logout", url.Values{"csrf": {b.CSRF("/")}})
	if res.Status != http.StatusSeeOther || res.Location != "/auth/login" {
		t.Fatalf("logout: %d %q", res.Status, res.Location)
	}
	if res := b.Get("/"); !strings.Contains(res.Body, catalogText(t, "index.subtitle")) {
		t.Errorf("index after logout:\n%s", res.Body)
	}
	got, err := e.store.BrowserSessions().Lookup(context.Background(), sessions[0].ID)
	if err != nil || got.Active() {
		t.Errorf("browser session not finished: %+v, %v", got, err)
	}
}

func TestLoginWithMatrixID(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice", "pw")
	logIn(t, e.browser(), "@alice:example.com", "pw")
	logIn(t, e.browser(), "ALICE", "pw") // usernames match case-insensitively

	b := e.browser()
	res := b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {"@alice:other.example"}, "password": {"pw"}})
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, catalogText(t, "login.error.invalid_credentials")) {
		t.Errorf("MXID of another server: %d\n%s", res.Status, res.Body)
	}
}

func TestLoginFailuresAreGeneric(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	e.user("alice", "pw")
	e.user("nopass", "")
	gone := e.user("gone", "pw")
	if err := gone.Deactivate(e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Users().Update(ctx, gone); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, username, password string
		status                   int
		message                  string
	}{
		{"wrong password", "alice", "nope", http.StatusBadRequest, "login.error.invalid_credentials"},
		{"unknown user", "bob", "pw", http.StatusBadRequest, "login.error.invalid_credentials"},
		{"user without password", "nopass", "pw", http.StatusBadRequest, "login.error.invalid_credentials"},
		{"deactivated user", "gone", "pw", http.StatusBadRequest, "login.error.invalid_credentials"},
		{"empty password", "alice", "", http.StatusBadRequest, "login.error.password_missing"},
		{"empty username", " ", "pw", http.StatusBadRequest, "login.error.username_missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			res := b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {tt.username}, "password": {tt.password}})
			if res.Status != tt.status || !strings.Contains(res.Body, catalogText(t, tt.message)) {
				t.Errorf("status %d\n%s", res.Status, res.Body)
			}
			if b.Cookie(session.CookieSession) != nil {
				t.Error("a failed login set a session cookie")
			}
			// The form comes back with the username, never the password.
			if tt.password != "" && strings.Contains(res.Body, `value="`+tt.password+`"`) {
				t.Error("password echoed")
			}
		})
	}
}

func TestLoginLockedUser(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.user("mallory", "pw")
	u.Lock(e.clock.Now())
	if err := e.store.Users().Update(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	res := b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {"mallory"}, "password": {"wrong"}})
	if res.Status != http.StatusBadRequest || strings.Contains(res.Body, "locked") {
		t.Errorf("locked user, wrong password: %d\n%s", res.Status, res.Body)
	}
	res = b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {"mallory"}, "password": {"pw"}})
	if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "This account is locked") {
		t.Errorf("locked user, right password: %d\n%s", res.Status, res.Body)
	}
	if b.Cookie(session.CookieSession) != nil {
		t.Error("locked user got a session")
	}
}

func TestLoginRateLimited(t *testing.T) {
	for _, name := range []string{"login.per_ip", "login.per_account", "unknown account"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			alice := e.user("alice", "pw")
			username := "Alice"
			switch name {
			case "login.per_ip":
				// The test server has no client address middleware.
				exhaust(e.limits.LoginPerIP, ratelimit.RequesterKey(netip.Addr{}))
			case "login.per_account":
				exhaust(e.limits.LoginPerAccount, alice.ID.String())
			default:
				username = "@Nobody:example.com"
				exhaust(e.limits.LoginPerAccount, "nobody")
			}
			b := e.browser()
			res := b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {username}, "password": {"pw"}})
			if res.Status != http.StatusTooManyRequests || !strings.Contains(res.Body, catalogText(t, "login.error.rate_limited")) || res.Header.Get("Retry-After") == "" {
				t.Errorf("status %d\n%s", res.Status, res.Body)
			}
			if b.Cookie(session.CookieSession) != nil {
				t.Error("rate-limited login succeeded")
			}
		})
	}
}

func TestCSRFRequired(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice", "pw")
	b := e.browser()
	token := b.CSRF("/login")
	other := e.browser()
	otherToken := other.CSRF("/login")

	// Change the first character (to one it is not, so the test cannot
	// pass by chance when the token happens to start with it).
	wrong := "x" + token[1:]
	if token[0] == 'x' {
		wrong = "y" + token[1:]
	}
	tests := []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"missing", url.Values{}, nil},
		{"wrong", url.Values{"csrf": {wrong}}, nil},
		{"another browser's", url.Values{"csrf": {otherToken}}, nil},
		{"cross-site", url.Values{"csrf": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	}
	for _, tt := range tests {
		tt.form.Set("username", "alice")
		tt.form.Set("password", "pw")
		req, _ := http.NewRequest("POST", e.srv.URL+"/auth/login", strings.NewReader(tt.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		if res := b.Do(req); res.Status != http.StatusForbidden {
			t.Errorf("%s CSRF token: status %d", tt.name, res.Status)
		}
	}
	if b.Cookie(session.CookieSession) != nil {
		t.Error("a forged login succeeded")
	}
}

func TestTamperedSessionCookieIgnored(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice", "pw")
	b := e.browser()
	logIn(t, b, "alice", "pw")
	c := b.Cookie(session.CookieSession)
	v := []byte(c.Value)
	v[10] ^= 0x01
	b.SetCookies([]*http.Cookie{{Name: session.CookieSession, Value: string(v), Path: "/auth/"}})
	if res := b.Get("/"); res.Status != http.StatusOK || !strings.Contains(res.Body, catalogText(t, "index.subtitle")) {
		t.Errorf("tampered cookie: %d\n%s", res.Status, res.Body)
	}
}

func TestLoginContinuesPostAuthAction(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice", "pw")
	id := "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	tests := []struct{ query, target string }{
		{"kind=continue_authorization_grant&id=" + id, "/auth/consent/" + id},
		{"kind=continue_device_code_grant&id=" + id, "/auth/device/" + id},
		{"kind=continue_compat_sso_login&id=" + id, "/auth/complete-compat-sso/" + id},
		{"kind=manage_account", "/auth/account/"},
		{"kind=evil&url=https://evil.example", "/auth/"},
		{"kind=continue_authorization_grant&id=https://evil.example", "/auth/"},
	}
	for _, tt := range tests {
		b := e.browser()
		page := b.Get("/login?" + tt.query)
		q, _ := url.ParseQuery(tt.query)
		if a := session.ParsePostAuthAction(q); a != nil {
			action := html.EscapeString("/auth/login?" + a.Query().Encode())
			if !strings.Contains(page.Body, `action="`+action+`"`) {
				t.Errorf("%s: form does not carry the action %s:\n%s", tt.query, action, page.Body)
			}
		}
		res := b.Post("/login?"+tt.query, url.Values{"csrf": {browsertest.CSRFOf(t, page)}, "username": {"alice"}, "password": {"pw"}})
		if res.Status != http.StatusSeeOther || res.Location != tt.target {
			t.Errorf("%s: %d %q, want %q", tt.query, res.Status, res.Location, tt.target)
		}
		// Already logged in, the login page forwards at once.
		if res := b.Get("/login?" + tt.query); res.Location != tt.target {
			t.Errorf("%s, logged in: %q", tt.query, res.Location)
		}
	}
}

func TestLoginHintPrefills(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct{ hint, want string }{
		{"@alice:example.com", "alice"},
		{"mxid:@alice:example.com", "alice"},
		{"bob", "bob"},
		{"@carol:other.example", ""},
		{"dave@mail.example", ""},
	}
	for _, tt := range tests {
		res := e.browser().Get("/login?login_hint=" + url.QueryEscape(tt.hint))
		want := `name="username" value="` + tt.want + `"`
		if tt.want == "" {
			want = `name="username" type="text"` // no value at all
		}
		if !strings.Contains(res.Body, want) {
			t.Errorf("login_hint %q: want username %q in\n%s", tt.hint, tt.want, res.Body)
		}
	}
}

func TestPasswordsDisabled(t *testing.T) {
	e := newEnv(t, envOptions{disabled: true})
	b := e.browser()
	res := b.Get("/login")
	if res.Status != http.StatusOK || strings.Contains(res.Body, `type="password"`) || !strings.Contains(res.Body, "not available") {
		t.Errorf("login page: %d\n%s", res.Status, res.Body)
	}
	if res := b.Post("/login", url.Values{"username": {"a"}, "password": {"b"}}); res.Status != http.StatusMethodNotAllowed {
		t.Errorf("POST /login: %d", res.Status)
	}
}

func TestPasswordUpgradedOnLogin(t *testing.T) {
	ctx := context.Background()
	old := cheapPasswords(t, passwords.Scheme{Version: 1, Algorithm: passwords.AlgorithmPBKDF2, PBKDF2Iterations: 2})
	both := cheapPasswords(t,
		passwords.Scheme{Version: 1, Algorithm: passwords.AlgorithmPBKDF2, PBKDF2Iterations: 2},
		passwords.Scheme{Version: 2, Algorithm: passwords.AlgorithmArgon2id, Argon2: &passwords.Argon2Params{MemoryKiB: 8, Iterations: 1, Parallelism: 1}},
	)
	e := newEnv(t, envOptions{passwords: both})
	u, err := e.store.Users().Add(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	version, hash, err := old.Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	first, err := e.store.Passwords().Add(ctx, u.ID, hash, version, nil)
	if err != nil {
		t.Fatal(err)
	}

	logIn(t, e.browser(), "alice", "pw")
	active, err := e.store.Passwords().Active(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if active.Version != 2 || active.UpgradedFromID == nil || *active.UpgradedFromID != first.ID || !strings.HasPrefix(active.HashedPassword, "$argon2id$") {
		t.Fatalf("active password after login: %+v", active)
	}
	sessions, _ := e.store.BrowserSessions().ListActiveForUser(ctx, u.ID)
	auth, err := e.store.BrowserSessions().LastAuthentication(ctx, sessions[0].ID)
	if err != nil || auth.PasswordID == nil || *auth.PasswordID != active.ID {
		t.Errorf("authentication should name the upgraded password: %+v, %v", auth, err)
	}
	// The upgraded hash works, and is not upgraded again.
	logIn(t, e.browser(), "alice", "pw")
	again, _ := e.store.Passwords().Active(ctx, u.ID)
	if again.ID != active.ID {
		t.Errorf("password rehashed twice: %+v", again)
	}
}

func TestChangePasswordWellKnown(t *testing.T) {
	e := newEnv(t, envOptions{})
	res := e.browser().Get("/.well-known/change-password")
	if res.Status != http.StatusSeeOther || res.Location != "/auth/account/password/change" {
		t.Errorf("%d %q", res.Status, res.Location)
	}
}
