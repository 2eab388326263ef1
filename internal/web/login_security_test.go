package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLoginUnusableHashCostsAVerification: an account whose stored hash
// cannot be verified (its scheme was removed from the configuration, or
// the row is corrupt) must not answer faster than an unknown account,
// which costs a dummy verification. Otherwise response times list the
// accounts still on a removed scheme, typically every migrated user.
func TestLoginUnusableHashCostsAVerification(t *testing.T) {
	// The pool counts every computation, dummy ones included, so the test
	// checks that a verification ran without measuring time.
	pw := cheapPasswords(t)
	e := newEnv(t, envOptions{passwords: pw})
	ctx := context.Background()
	for _, tc := range []struct {
		name, user, hash string
		version          int
	}{
		{"removed scheme", "migrated", "$pbkdf2-sha256$i=600000,l=32$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", 7},
		{"corrupt hash", "corrupt", "not a hash", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := e.store.Users().Add(ctx, tc.user)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.store.Passwords().Add(ctx, u.ID, tc.hash, tc.version, nil); err != nil {
				t.Fatal(err)
			}
			b := e.browser()
			form := url.Values{"csrf": {b.CSRF("/login")}, "username": {u.Username}, "password": {"guess"}}
			before := pw.Stats().Completed
			res := b.Post("/login", form)
			if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, catalogText(t, "login.error.invalid_credentials")) {
				t.Fatalf("status %d\n%s", res.Status, res.Body)
			}
			if ran := pw.Stats().Completed - before; ran != 1 {
				t.Errorf("%d password computations ran, want 1 (as for an unknown user)", ran)
			}
		})
	}
}

// A username or password that is not text (invalid UTF-8, NUL) is refused
// on the page before it reaches the store, where PostgreSQL would fail on
// it.
func TestLoginRefusesNonText(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice", "pw")
	for name, form := range map[string]url.Values{
		"NUL in the username":           {"username": {"ali\x00ce"}, "password": {"pw"}},
		"invalid UTF-8 in the username": {"username": {"\xffalice"}, "password": {"pw"}},
		"NUL in the password":           {"username": {"alice"}, "password": {"p\x00w"}},
	} {
		t.Run(name, func(t *testing.T) {
			b := e.browser()
			form.Set("csrf", b.CSRF("/login"))
			res := b.Post("/login", form)
			if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "characters that are not allowed") {
				t.Fatalf("status %d\n%s", res.Status, res.Body)
			}
		})
	}
}
