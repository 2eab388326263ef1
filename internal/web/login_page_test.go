package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mas/internal/i18n"
	"mas/internal/session"
	"mas/internal/web"
)

// catalogText is the English text of a catalog message as a page shows it
// (HTML-escaped), so that tests follow the catalog rather than repeat it.
func catalogText(t *testing.T, key string, args ...any) string {
	t.Helper()
	s, err := i18n.Default.Match("en").T(key, args...)
	if err != nil {
		t.Fatal(err)
	}
	return html.EscapeString(s)
}

// The login page names the homeserver, and links to registration and
// recovery exactly when they are enabled; the registration link keeps the
// post-authentication action, so an authorization continues after it.
func TestLoginPageLinks(t *testing.T) {
	const next = "?kind=continue_authorization_grant&id=01ARZ3NDEKTSV4RRFFQ69G5FAV"
	for _, tc := range []struct {
		name                   string
		settings               web.Settings
		disabled               bool
		wantRegister, wantReco bool
	}{
		{"both off", web.Settings{}, false, false, false},
		{"registration", web.Settings{PasswordRegistrationEnabled: true}, false, true, false},
		{"recovery", web.Settings{PasswordRecoveryEnabled: true}, false, false, true},
		{"both", web.Settings{PasswordRegistrationEnabled: true, PasswordRecoveryEnabled: true}, false, true, true},
		{"passwords disabled", web.Settings{PasswordRegistrationEnabled: true, PasswordRecoveryEnabled: true}, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{settings: tc.settings, disabled: tc.disabled})
			b := e.browser()
			for _, path := range []string{"/login", "/login" + next} {
				res := b.Get(path)
				if res.Status != http.StatusOK {
					t.Fatalf("GET %s: %d", path, res.Status)
				}
				if !strings.Contains(res.Body, "<h1>"+catalogText(t, "login.heading_server", "server", serverName)+"</h1>") {
					t.Errorf("GET %s: no heading naming %s:\n%s", path, serverName, res.Body)
				}
				wantHref := `href="/auth/register"`
				if path != "/login" {
					q := session.ParsePostAuthAction(mustQuery(t, next)).Query()
					wantHref = `href="` + html.EscapeString("/auth/register?"+q.Encode()) + `"`
				}
				hasRegister := strings.Contains(res.Body, wantHref) && strings.Contains(res.Body, catalogText(t, "login.create_account"))
				hasReco := strings.Contains(res.Body, `href="/auth/recover"`) && strings.Contains(res.Body, catalogText(t, "login.forgot_password"))
				if hasRegister != tc.wantRegister || hasReco != tc.wantReco {
					t.Errorf("GET %s: create account %v (want %v), forgot password %v (want %v):\n%s",
						path, hasRegister, tc.wantRegister, hasReco, tc.wantReco, res.Body)
				}
				if !tc.wantRegister && strings.Contains(res.Body, "/auth/register") {
					t.Errorf("GET %s links to registration while it is off", path)
				}
			}
			// The start page offers registration on the same condition.
			res := b.Get("/")
			if got := strings.Contains(res.Body, `href="/auth/register"`); got != tc.wantRegister {
				t.Errorf("start page links to registration: %v, want %v", got, tc.wantRegister)
			}
		})
	}
}

func mustQuery(t *testing.T, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(strings.TrimPrefix(q, "?"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// With account.login_with_email_allowed, the login form takes a confirmed
// address and says so in its label; without it, an address fails like any
// unknown name.
func TestLoginWithEmail(t *testing.T) {
	for _, allowed := range []bool{true, false} {
		t.Run(map[bool]string{true: "allowed", false: "not allowed"}[allowed], func(t *testing.T) {
			e := newEnv(t, envOptions{settings: web.Settings{LoginWithEmailAllowed: allowed}})
			e.h.Login.LoginWithEmail = allowed
			alice := e.user("alice", "pw")
			if _, err := e.store.UserEmails().Add(context.Background(), alice.ID, "alice@example.org"); err != nil {
				t.Fatal(err)
			}
			b := e.browser()
			label := catalogText(t, "login.username_or_email")
			if got := strings.Contains(b.Get("/login").Body, label); got != allowed {
				t.Errorf("label %q shown: %v", label, got)
			}
			for _, typed := range []string{"alice@example.org", "ALICE@example.org"} {
				res := b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {typed}, "password": {"pw"}})
				if allowed && res.Status != http.StatusSeeOther {
					t.Fatalf("login as %s: %d\n%s", typed, res.Status, res.Body)
				}
				if !allowed && (res.Status != http.StatusBadRequest || !strings.Contains(res.Body, catalogText(t, "login.error.invalid_credentials"))) {
					t.Fatalf("login as %s while not allowed: %d\n%s", typed, res.Status, res.Body)
				}
				b = e.browser()
			}
			for _, typed := range []string{"bob@example.org", "alice@example.net"} {
				res := b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {typed}, "password": {"pw"}})
				if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, catalogText(t, "login.error.invalid_credentials")) {
					t.Errorf("login as unknown %s: %d\n%s", typed, res.Status, res.Body)
				}
			}
		})
	}
}

// Each missing credential is named next to its own field.
func TestLoginMissingFieldErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	res := b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {""}, "password": {""}})
	for _, want := range []string{
		`<p class="field-error" id="error-username">` + catalogText(t, "login.error.username_missing") + `</p>`,
		`<p class="field-error" id="error-password">` + catalogText(t, "login.error.password_missing") + `</p>`,
		`aria-describedby="error-username"`, `aria-describedby="error-password"`,
	} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("missing %s in\n%s", want, res.Body)
		}
	}
}
