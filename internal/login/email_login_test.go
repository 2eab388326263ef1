package login_test

import (
	"context"
	"testing"

	"mas/internal/domain"
	"mas/internal/login"
)

// TestCheckLoginWithEmail: with LoginWithEmail, CheckLogin takes a
// confirmed address for the account (any case); every address that names
// no usable account fails like an unknown username, after exactly one
// password computation. CheckPassword (the legacy Matrix API) never takes
// addresses, as upstream's does not.
func TestCheckLoginWithEmail(t *testing.T) {
	e := newEnv(t, roomy)
	ctx := context.Background()
	now := e.clock.Now()
	alice := e.user("alice", "alice's password", nil)
	gone := e.user("gone", "gone's password", func(u *domain.User) { u.DeactivatedAt = &now })
	for _, a := range []struct {
		user  *domain.User
		email string
	}{{alice, "alice@example.org"}, {gone, "gone@example.org"}} {
		if _, err := e.store.UserEmails().Add(ctx, a.user.ID, a.email); err != nil {
			t.Fatal(err)
		}
	}
	// An address alice started to add but never confirmed.
	bs, err := e.store.BrowserSessions().Add(ctx, alice.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.EmailAuthentications().Add(ctx, &domain.EmailAuthentication{Email: "pending@example.org", BrowserSessionID: &bs.ID}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, typed, password string
		enabled               bool
		want                  login.Outcome
	}{
		{"confirmed address", "alice@example.org", "alice's password", true, login.OK},
		{"confirmed address, other case", "Alice@Example.ORG", "alice's password", true, login.OK},
		{"confirmed address, wrong password", "alice@example.org", "wrong", true, login.BadCredentials},
		{"unconfirmed address", "pending@example.org", "alice's password", true, login.BadCredentials},
		{"unknown address", "nobody@example.org", "alice's password", true, login.BadCredentials},
		{"deactivated user's address", "gone@example.org", "gone's password", true, login.BadCredentials},
		{"username still works", "alice", "alice's password", true, login.OK},
		{"Matrix ID still works", "@alice:example.org", "alice's password", true, login.OK},
		{"address when not allowed", "alice@example.org", "alice's password", false, login.BadCredentials},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.checker.LoginWithEmail = tc.enabled
			before := e.checker.Passwords.Stats().Completed
			res, err := e.checker.CheckLogin(ctxFrom("192.0.2.1"), tc.typed, tc.password)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.want {
				t.Fatalf("outcome %v, want %v", res.Outcome, tc.want)
			}
			if res.Outcome == login.OK && res.User.ID != alice.ID {
				t.Fatalf("logged in as %s, want alice", res.User.Username)
			}
			if ran := e.checker.Passwords.Stats().Completed - before; ran != 1 && res.Outcome != login.OK {
				t.Errorf("%d password computations, want 1", ran)
			}
		})
	}

	e.checker.LoginWithEmail = true
	res, err := e.checker.CheckPassword(ctxFrom("192.0.2.1"), "alice@example.org", "alice's password")
	if err != nil || res.Outcome != login.BadCredentials {
		t.Errorf("CheckPassword with an address = %v, %v; want bad credentials", res.Outcome, err)
	}
}

// An address and the username of one account share its per-account
// limit, so switching names does not buy more guesses.
func TestCheckLoginEmailSharesAccountLimit(t *testing.T) {
	e := newEnv(t, roomy)
	alice := e.user("alice", "alice's password", nil)
	if _, err := e.store.UserEmails().Add(context.Background(), alice.ID, "alice@example.org"); err != nil {
		t.Fatal(err)
	}
	e.checker.LoginWithEmail = true
	for e.checker.Limits.LoginPerAccount.Allow(alice.ID.String()) {
	}
	res, err := e.checker.CheckLogin(ctxFrom("192.0.2.1"), "alice@example.org", "alice's password")
	if err != nil || res.Outcome != login.RateLimited {
		t.Errorf("CheckLogin by address after the account's limit = %v, %v; want rate limited", res.Outcome, err)
	}
}
