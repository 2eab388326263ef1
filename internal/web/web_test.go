package web_test

import (
	"context"
	"html"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"mas/internal/passwords"
	"mas/internal/ratelimit"
	"mas/internal/session"
)

func TestLoginAndLogout(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	b := e.browser()

	res := b.get("/")
	if res.status != http.StatusOK || !strings.Contains(res.body, "not signed in") || !strings.Contains(res.body, `href="/auth/login"`) {
		t.Fatalf("index before login: %d\n%s", res.status, res.body)
	}

	res = b.get("/login")
	if res.status != http.StatusOK || !strings.Contains(res.body, `action="/auth/login"`) || res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("login page: %d %v\n%s", res.status, res.header, res.body)
	}

	res = b.login("alice", "correct horse")
	if res.location != "/auth/" {
		t.Errorf("after login: Location %q", res.location)
	}
	c := b.cookie(session.CookieSession)
	if c == nil {
		t.Fatal("no session cookie")
	}

	res = b.get("/")
	if !strings.Contains(res.body, "@alice:example.com") {
		t.Fatalf("index after login:\n%s", res.body)
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
	if res := b.get("/login"); res.status != http.StatusSeeOther || res.location != "/auth/" {
		t.Errorf("login page while logged in: %d %q", res.status, res.location)
	}

	// Logout needs the CSRF token of a page.
	if res := b.post("/logout", url.Values{}); res.status != http.StatusForbidden {
		t.Errorf("logout without CSRF: %d", res.status)
	}
	res = b.post("/logout", url.Values{"csrf": {b.csrf("/")}})
	if res.status != http.StatusSeeOther || res.location != "/auth/login" {
		t.Fatalf("logout: %d %q", res.status, res.location)
	}
	if res := b.get("/"); !strings.Contains(res.body, "not signed in") {
		t.Errorf("index after logout:\n%s", res.body)
	}
	got, err := e.store.BrowserSessions().Lookup(context.Background(), sessions[0].ID)
	if err != nil || got.Active() {
		t.Errorf("browser session not finished: %+v, %v", got, err)
	}
}

func TestLoginWithMatrixID(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice", "pw")
	e.browser().login("@alice:example.com", "pw")
	e.browser().login("ALICE", "pw") // usernames match case-insensitively

	b := e.browser()
	res := b.post("/login", url.Values{"csrf": {b.csrf("/login")}, "username": {"@alice:other.example"}, "password": {"pw"}})
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, "Invalid username or password.") {
		t.Errorf("MXID of another server: %d\n%s", res.status, res.body)
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
		{"wrong password", "alice", "nope", http.StatusBadRequest, "Invalid username or password."},
		{"unknown user", "bob", "pw", http.StatusBadRequest, "Invalid username or password."},
		{"user without password", "nopass", "pw", http.StatusBadRequest, "Invalid username or password."},
		{"deactivated user", "gone", "pw", http.StatusBadRequest, "Invalid username or password."},
		{"empty password", "alice", "", http.StatusBadRequest, "Enter your username and password."},
		{"empty username", " ", "pw", http.StatusBadRequest, "Enter your username and password."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			res := b.post("/login", url.Values{"csrf": {b.csrf("/login")}, "username": {tt.username}, "password": {tt.password}})
			if res.status != tt.status || !strings.Contains(res.body, tt.message) {
				t.Errorf("status %d\n%s", res.status, res.body)
			}
			if b.cookie(session.CookieSession) != nil {
				t.Error("a failed login set a session cookie")
			}
			// The form comes back with the username, never the password.
			if tt.password != "" && strings.Contains(res.body, `value="`+tt.password+`"`) {
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
	res := b.post("/login", url.Values{"csrf": {b.csrf("/login")}, "username": {"mallory"}, "password": {"wrong"}})
	if res.status != http.StatusBadRequest || strings.Contains(res.body, "locked") {
		t.Errorf("locked user, wrong password: %d\n%s", res.status, res.body)
	}
	res = b.post("/login", url.Values{"csrf": {b.csrf("/login")}, "username": {"mallory"}, "password": {"pw"}})
	if res.status != http.StatusForbidden || !strings.Contains(res.body, "This account is locked") {
		t.Errorf("locked user, right password: %d\n%s", res.status, res.body)
	}
	if b.cookie(session.CookieSession) != nil {
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
			res := b.post("/login", url.Values{"csrf": {b.csrf("/login")}, "username": {username}, "password": {"pw"}})
			if res.status != http.StatusTooManyRequests || !strings.Contains(res.body, "Too many attempts") || res.header.Get("Retry-After") == "" {
				t.Errorf("status %d\n%s", res.status, res.body)
			}
			if b.cookie(session.CookieSession) != nil {
				t.Error("rate-limited login succeeded")
			}
		})
	}
}

func TestCSRFRequired(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice", "pw")
	b := e.browser()
	token := b.csrf("/login")
	other := e.browser()
	otherToken := other.csrf("/login")

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
		if res := b.do(req); res.status != http.StatusForbidden {
			t.Errorf("%s CSRF token: status %d", tt.name, res.status)
		}
	}
	if b.cookie(session.CookieSession) != nil {
		t.Error("a forged login succeeded")
	}
}

func TestTamperedSessionCookieIgnored(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice", "pw")
	b := e.browser()
	b.login("alice", "pw")
	c := b.cookie(session.CookieSession)
	v := []byte(c.Value)
	v[10] ^= 0x01
	u, _ := url.Parse(e.srv.URL + "/auth/")
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: session.CookieSession, Value: string(v), Path: "/auth/"}})
	if res := b.get("/"); res.status != http.StatusOK || !strings.Contains(res.body, "not signed in") {
		t.Errorf("tampered cookie: %d\n%s", res.status, res.body)
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
		page := b.get("/login?" + tt.query)
		q, _ := url.ParseQuery(tt.query)
		if a := session.ParsePostAuthAction(q); a != nil {
			action := html.EscapeString("/auth/login?" + a.Query().Encode())
			if !strings.Contains(page.body, `action="`+action+`"`) {
				t.Errorf("%s: form does not carry the action %s:\n%s", tt.query, action, page.body)
			}
		}
		m := csrfField.FindStringSubmatch(page.body)
		res := b.post("/login?"+tt.query, url.Values{"csrf": {m[1]}, "username": {"alice"}, "password": {"pw"}})
		if res.status != http.StatusSeeOther || res.location != tt.target {
			t.Errorf("%s: %d %q, want %q", tt.query, res.status, res.location, tt.target)
		}
		// Already logged in, the login page forwards at once.
		if res := b.get("/login?" + tt.query); res.location != tt.target {
			t.Errorf("%s, logged in: %q", tt.query, res.location)
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
		res := e.browser().get("/login?login_hint=" + url.QueryEscape(tt.hint))
		if !strings.Contains(res.body, `name="username" value="`+tt.want+`"`) {
			t.Errorf("login_hint %q: want username %q in\n%s", tt.hint, tt.want, res.body)
		}
	}
}

func TestPasswordsDisabled(t *testing.T) {
	e := newEnv(t, envOptions{disabled: true})
	b := e.browser()
	res := b.get("/login")
	if res.status != http.StatusOK || strings.Contains(res.body, `type="password"`) || !strings.Contains(res.body, "not available") {
		t.Errorf("login page: %d\n%s", res.status, res.body)
	}
	if res := b.post("/login", url.Values{"username": {"a"}, "password": {"b"}}); res.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /login: %d", res.status)
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

	e.browser().login("alice", "pw")
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
	e.browser().login("alice", "pw")
	again, _ := e.store.Passwords().Active(ctx, u.ID)
	if again.ID != active.ID {
		t.Errorf("password rehashed twice: %+v", again)
	}
}

func TestChangePasswordWellKnown(t *testing.T) {
	e := newEnv(t, envOptions{})
	res := e.browser().get("/.well-known/change-password")
	if res.status != http.StatusSeeOther || res.location != "/auth/account/password/change" {
		t.Errorf("%d %q", res.status, res.location)
	}
}
