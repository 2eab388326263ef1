package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mas/internal/browsertest"
	"mas/internal/passwords"
)

// changePassword posts the password form.
func (a *accountEnv) changePassword(current, password, confirm string) *browsertest.Response {
	a.t.Helper()
	return a.submit("/account/password/change", "/account/password/change", url.Values{
		"current_password": {current}, "new_password": {password}, "new_password_confirm": {confirm},
	})
}

// TestAccountChangePassword: the well-known URL leads to the form; the
// new password is stored with the newest scheme and is the one that signs
// in from then on.
func TestAccountChangePassword(t *testing.T) {
	pw := cheapPasswords(t,
		passwords.Scheme{Version: 1, Algorithm: passwords.AlgorithmPBKDF2, PBKDF2Iterations: 1},
		passwords.Scheme{Version: 2, Algorithm: passwords.AlgorithmPBKDF2, PBKDF2Iterations: 2},
	)
	a := newAccountEnv(t, envOptions{passwords: pw})
	wantRedirect(t, "well-known", a.b.Get("/.well-known/change-password"), "/auth/account/password/change")
	want(t, "form", a.b.Get("/account/password/change"), http.StatusOK, `name="current_password"`, `name="new_password"`, `autocomplete="username"`)

	const next = "another orbit of velvet 42 quasars"
	wantRedirect(t, "change", a.changePassword(strongPassword, next, next), "/auth/account/password/change?done=password")
	want(t, "done", a.b.Get("/account/password/change?done=password"), http.StatusOK, "Your password was changed.")
	p, err := a.store.Passwords().Active(context.Background(), a.alice.ID)
	if err != nil || p.Version != 2 {
		t.Fatalf("active password %+v, %v", p, err)
	}
	logIn(t, a.browser(), "alice", next)
	b := a.browser()
	res := b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {"alice"}, "password": {strongPassword}})
	if res.Status != http.StatusBadRequest {
		t.Fatalf("old password still signs in: %d", res.Status)
	}
}

// TestAccountChangePasswordRefusals: a wrong current password, a weak or
// mismatched new one, a missing CSRF token, too many attempts: each is
// said on the page and the password stays.
func TestAccountChangePasswordRefusals(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	ctx := context.Background()
	before, err := a.store.Passwords().Active(ctx, a.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	const next = "another orbit of velvet 42 quasars"
	for _, tt := range []struct {
		name, current, password, confirm string
		status                           int
		message                          string
	}{
		{"wrong current", "wrong", next, next, http.StatusBadRequest, "That is not your current password."},
		{"no current", "", next, next, http.StatusBadRequest, "Enter your current password."},
		{"weak", strongPassword, "password1", "password1", http.StatusBadRequest, "too easy to guess"},
		{"username", strongPassword, "alice", "alice", http.StatusBadRequest, "too easy to guess"},
		{"empty", strongPassword, "", "", http.StatusBadRequest, "Enter a new password."},
		{"mismatch", strongPassword, next, next + "!", http.StatusBadRequest, "The passwords do not match."},
	} {
		res := a.changePassword(tt.current, tt.password, tt.confirm)
		if res.Status != tt.status || !strings.Contains(res.Body, tt.message) {
			t.Errorf("%s: %d\n%s", tt.name, res.Status, res.Body)
		}
	}
	want(t, "no CSRF", a.b.Post("/account/password/change", url.Values{
		"current_password": {strongPassword}, "new_password": {next}, "new_password_confirm": {next},
	}), http.StatusForbidden)

	// The password check's limits (login.per_account) apply here too.
	exhaust(a.limits.LoginPerAccount, a.alice.ID.String())
	res := a.changePassword(strongPassword, next, next)
	want(t, "limited", res, http.StatusTooManyRequests, "Too many attempts.")
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}

	after, err := a.store.Passwords().Active(ctx, a.alice.ID)
	if err != nil || after.ID != before.ID {
		t.Fatalf("password changed by a refused form: %+v, %v", after, err)
	}
}

// TestAccountChangePasswordUnavailable: password_change_allowed off,
// passwords off, or a user without a password: no form, and a post is
// refused.
func TestAccountChangePasswordUnavailable(t *testing.T) {
	s := accountSettings()
	s.PasswordChangeAllowed = false
	a := newAccountEnv(t, envOptions{settings: s})
	if res := a.b.Get("/account/"); strings.Contains(res.Body, "/account/password/change") {
		t.Fatalf("password tab without password_change_allowed:\n%s", res.Body)
	}
	res := a.b.Get("/account/password/change")
	want(t, "page", res, http.StatusOK, "Passwords cannot be changed on this server.")
	if strings.Contains(res.Body, `name="new_password"`) {
		t.Fatalf("form shown:\n%s", res.Body)
	}
	want(t, "post", a.changePassword(strongPassword, "another orbit of velvet 42 quasars", "another orbit of velvet 42 quasars"), http.StatusForbidden)
	logIn(t, a.browser(), "alice", strongPassword)

	// A user without a password (say, from an upstream provider) has none
	// to confirm a change with, as upstream.
	n := newEnv(t, envOptions{settings: accountSettings()})
	b := n.signedInWithoutPassword("nopass")
	res = b.Get("/account/password/change")
	want(t, "no password", res, http.StatusOK, "Your account has no password to change.")
	res = b.Post("/account/password/change", url.Values{
		"csrf": {b.CSRF("/account/password/change")}, "current_password": {""},
		"new_password": {"another orbit of velvet 42 quasars"}, "new_password_confirm": {"another orbit of velvet 42 quasars"},
	})
	want(t, "no password post", res, http.StatusForbidden)
}
