package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mas/internal/passwords"
)

// TestLoginUnusableHashCostsAVerification: an account whose stored hash
// cannot be verified (its scheme was removed from the configuration, or
// the row is corrupt) must not answer faster than an unknown account,
// which costs a dummy verification. Otherwise response times list the
// accounts still on a removed scheme, typically every migrated user.
func TestLoginUnusableHashCostsAVerification(t *testing.T) {
	// bcrypt at cost 10 takes about 60 ms, far above the few milliseconds
	// a login without any hashing takes.
	const floor = 25 * time.Millisecond
	pw := cheapPasswords(t, passwords.Scheme{Version: 1, Algorithm: passwords.AlgorithmBcrypt, Cost: 10})
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
			form := url.Values{"csrf": {b.csrf("/login")}, "username": {u.Username}, "password": {"guess"}}
			start := time.Now()
			res := b.post("/login", form)
			elapsed := time.Since(start)
			if res.status != http.StatusBadRequest || !strings.Contains(res.body, "Invalid username or password.") {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			if elapsed < floor {
				t.Errorf("login answered in %v, faster than a password verification (>= %v)", elapsed, floor)
			}
		})
	}
}
