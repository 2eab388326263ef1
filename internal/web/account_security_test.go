package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mas/internal/homeserver/homeservertest"
	"mas/internal/session"
)

// TestAccountDeactivate: with the password and the box ticked, the user
// is deactivated at once, the deactivate-user job is queued (with the
// erase choice), and the browser is signed out onto the deactivated page.
func TestAccountDeactivate(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	ctx := context.Background()
	want(t, "page", a.b.Get("/account/deactivate"), http.StatusOK, `name="confirm"`, `name="current_password"`, `name="erase"`)

	res := a.submit("/account/deactivate", "/account/deactivate", url.Values{
		"current_password": {strongPassword}, "confirm": {"on"}, "erase": {"on"},
	})
	want(t, "deactivate", res, http.StatusForbidden, "Account deactivated", "@alice:example.com")
	if c := a.b.Cookie(session.CookieSession); c != nil {
		t.Errorf("session cookie kept: %v", c)
	}
	u, err := a.store.Users().Lookup(ctx, a.alice.ID)
	if err != nil || u.DeactivatedAt == nil {
		t.Fatalf("user after deactivation: %+v, %v", u, err)
	}
	jobs := a.jobs("deactivate-user")
	if len(jobs) != 1 || jobs[0]["user_id"] != a.alice.ID.String() || jobs[0]["hs_erase"] != true {
		t.Fatalf("deactivate jobs %v", jobs)
	}
	if list, _ := a.store.BrowserSessions().ListActiveForUser(ctx, a.alice.ID); len(list) != 0 {
		t.Fatalf("browser sessions left: %v", list)
	}
	wantRedirect(t, "after", a.b.Get("/account/"), "/auth/login?kind=manage_account")
	b := a.browser()
	res = b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {"alice"}, "password": {strongPassword}})
	if res.Status != http.StatusBadRequest {
		t.Fatalf("a deactivated user signed in: %d", res.Status)
	}
}

// TestAccountDeactivateRefusals: no confirmation, a wrong or missing
// password, a missing CSRF token, deactivation not allowed: the account
// stays as it was.
func TestAccountDeactivateRefusals(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	for _, tt := range []struct {
		name    string
		form    url.Values
		message string
	}{
		{"unconfirmed", url.Values{"current_password": {strongPassword}}, "Tick the box to confirm."},
		{"wrong password", url.Values{"current_password": {"nope"}, "confirm": {"on"}}, "That is not your current password."},
		{"no password", url.Values{"confirm": {"on"}}, "Enter your current password."},
	} {
		want(t, tt.name, a.submit("/account/deactivate", "/account/deactivate", tt.form), http.StatusBadRequest, tt.message)
	}
	want(t, "no CSRF", a.b.Post("/account/deactivate", url.Values{"current_password": {strongPassword}, "confirm": {"on"}}), http.StatusForbidden)

	s := accountSettings()
	s.AccountDeactivationAllowed = false
	off := newAccountEnv(t, envOptions{settings: s})
	if res := off.b.Get("/account/"); strings.Contains(res.Body, "/account/deactivate") {
		t.Fatalf("deactivation offered:\n%s", res.Body)
	}
	want(t, "disabled page", off.b.Get("/account/deactivate"), http.StatusForbidden)
	want(t, "disabled", off.submit("/account/", "/account/deactivate", url.Values{"current_password": {strongPassword}, "confirm": {"on"}}),
		http.StatusForbidden, "This is not available on this server.")

	for _, e := range []*accountEnv{a, off} {
		if u, _ := e.store.Users().Lookup(context.Background(), e.alice.ID); u.DeactivatedAt != nil {
			t.Fatal("deactivated by a refused form")
		}
		if jobs := e.jobs("deactivate-user"); len(jobs) != 0 {
			t.Fatalf("deactivate jobs %v", jobs)
		}
	}
	want(t, "still signed in", a.b.Get("/account/"), http.StatusOK)
}

// TestAccountWithoutPassword: a user without a password (an upstream
// provider's) is not asked for one, as upstream.
func TestAccountWithoutPassword(t *testing.T) {
	e := newEnv(t, envOptions{settings: accountSettings()})
	b := e.signedInWithoutPassword("nopass")
	if res := b.Get("/account/emails"); strings.Contains(res.Body, `name="current_password"`) {
		t.Fatalf("asked for a password it has not:\n%s", res.Body)
	}
	res := b.Post("/account/emails", url.Values{"csrf": {b.CSRF("/account/emails")}, "email": {"nopass@example.org"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("add: %d\n%s", res.Status, res.Body)
	}
	res = b.Post("/account/deactivate", url.Values{"csrf": {b.CSRF("/account/deactivate")}, "confirm": {"on"}})
	want(t, "deactivate", res, http.StatusForbidden, "Account deactivated")
}

// TestAccountCrossSigningReset: after the password, the homeserver lets
// the user replace the cross-signing keys; a wrong password or a failing
// homeserver allows nothing.
func TestAccountCrossSigningReset(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	allowed := func() bool {
		u, _ := a.hs.User("alice")
		return !u.CrossSigningResetAllowedUntil.IsZero()
	}
	const page = "/account/reset-cross-signing"
	want(t, "page", a.b.Get(page), http.StatusOK, "Reset your identity", `name="current_password"`)
	want(t, "wrong password", a.submit(page, page, url.Values{"current_password": {"nope"}}), http.StatusBadRequest, "That is not your current password.")
	want(t, "no CSRF", a.b.Post(page, url.Values{"current_password": {strongPassword}}), http.StatusForbidden)
	a.hs.SetHook("/_synapse/mas/allow_cross_signing_reset", func(*http.Request, []byte) *homeservertest.Response {
		return homeservertest.MatrixErrorResponse(http.StatusInternalServerError, "M_UNKNOWN", "boom")
	})
	want(t, "homeserver failure", a.submit(page, page, url.Values{"current_password": {strongPassword}}), http.StatusBadGateway, "could not be reached")
	a.hs.SetHook("/_synapse/mas/allow_cross_signing_reset", nil)
	if allowed() {
		t.Fatal("reset allowed by a refused form")
	}

	res := a.submit(page, page, url.Values{"current_password": {strongPassword}})
	wantRedirect(t, "allow", res, "/auth"+page+"?done=cross-signing")
	if !allowed() {
		t.Fatal("the homeserver was not told")
	}
	want(t, "allowed", a.b.Get(res.Location), http.StatusOK, "The reset is allowed for the next 10 minutes.", "Go back to your app")
}

// TestAccountPasswordsDisabled: with passwords.enabled off there is no
// password section, and nothing asks for a password.
func TestAccountPasswordsDisabled(t *testing.T) {
	e := newEnv(t, envOptions{settings: accountSettings(), disabled: true})
	b := e.signedInWithoutPassword("sso")
	if res := b.Get("/account/"); res.Status != http.StatusOK || strings.Contains(res.Body, "/account/password/change") {
		t.Fatalf("profile: %d\n%s", res.Status, res.Body)
	}
	want(t, "password page", b.Get("/account/password/change"), http.StatusOK, "Passwords cannot be changed on this server.")
	if res := b.Get("/account/reset-cross-signing"); strings.Contains(res.Body, `name="current_password"`) {
		t.Fatalf("asked for a password:\n%s", res.Body)
	}
	res := b.Post("/account/reset-cross-signing", url.Values{"csrf": {b.CSRF("/account/reset-cross-signing")}})
	wantRedirect(t, "reset", res, "/auth/account/reset-cross-signing?done=cross-signing")
}
