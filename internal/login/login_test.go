package login_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/login"
	"mas/internal/passwords"
	"mas/internal/ratelimit"
	"mas/internal/requestctx"
	"mas/internal/store"
	"mas/internal/testdb"
)

type env struct {
	t       *testing.T
	store   store.Store
	clock   *clocktest.Fake
	checker *login.Checker
}

func newEnv(t *testing.T, limits ratelimit.Config) *env {
	t.Helper()
	clk := clocktest.New(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))
	s := testdb.Open(t, clk)
	// Version 1 is an older scheme than 2, so that a login upgrades it.
	pw, err := passwords.New([]passwords.Scheme{
		{Version: 1, Algorithm: passwords.AlgorithmPBKDF2, PBKDF2Iterations: 1},
		{Version: 2, Algorithm: passwords.AlgorithmPBKDF2, PBKDF2Iterations: 2},
	}, passwords.Options{})
	if err != nil {
		t.Fatal(err)
	}
	set, err := ratelimit.NewSet(limits, ratelimit.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, store: s, clock: clk, checker: &login.Checker{
		Store: s, Passwords: pw, Limits: set, ServerName: "example.org",
	}}
}

var roomy = ratelimit.Config{
	LoginPerIP:      ratelimit.Rate{Burst: 1000, PerSecond: 1},
	LoginPerAccount: ratelimit.Rate{Burst: 1000, PerSecond: 1},
}

// user adds a user whose password (if not "") is hashed with scheme 1;
// hash, when given, is stored instead.
func (e *env) user(name, password string, edit func(*domain.User)) *domain.User {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.store.Users().Add(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	if edit != nil {
		edit(u)
		if err := e.store.Users().Update(ctx, u); err != nil {
			e.t.Fatal(err)
		}
	}
	if password != "" {
		hash := "$pbkdf2-sha256$i=1,l=32$c2FsdHNhbHQ$" // overwritten below unless malformed
		if password != "malformed" {
			_, h, err := e.checker.Passwords.Hash(ctx, password)
			if err != nil {
				e.t.Fatal(err)
			}
			hash = h
		}
		if _, err := e.store.Passwords().Add(ctx, u.ID, hash, 1, nil); err != nil {
			e.t.Fatal(err)
		}
	}
	return u
}

func ctxFrom(ip string) context.Context {
	return requestctx.WithClientIP(context.Background(), netip.MustParseAddr(ip))
}

func TestCheckPasswordOutcomes(t *testing.T) {
	e := newEnv(t, roomy)
	now := e.clock.Now()
	e.user("alice", "alice's password", nil)
	e.user("nopass", "", nil)
	e.user("gone", "gone's password", func(u *domain.User) { u.DeactivatedAt = &now })
	e.user("locked", "locked's password", func(u *domain.User) { u.LockedAt = &now })
	e.user("broken", "malformed", nil)

	for _, tc := range []struct {
		name, typed, password string
		want                  login.Outcome
	}{
		{"right password", "alice", "alice's password", login.OK},
		{"full Matrix ID", "@alice:example.org", "alice's password", login.OK},
		{"another server's ID", "@alice:elsewhere.org", "alice's password", login.BadCredentials},
		{"wrong password", "alice", "wrong", login.BadCredentials},
		{"unknown user", "nobody", "whatever", login.BadCredentials},
		{"name with a colon", "a:b", "whatever", login.BadCredentials},
		{"no password", "nopass", "whatever", login.BadCredentials},
		{"deactivated", "gone", "gone's password", login.BadCredentials},
		{"unusable hash", "broken", "whatever", login.BadCredentials},
		{"locked, right password", "locked", "locked's password", login.Locked},
		{"locked, wrong password, told only after", "locked", "wrong", login.BadCredentials},
		{"too long, existing user", "alice", strings.Repeat("x", login.MaxPasswordBytes+1), login.BadCredentials},
		{"too long, unknown user", "nobody", strings.Repeat("x", 2<<20), login.BadCredentials},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.checker.Passwords.Stats().Completed
			res, err := e.checker.CheckPassword(ctxFrom("192.0.2.1"), tc.typed, tc.password)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.want {
				t.Fatalf("outcome %v, want %v", res.Outcome, tc.want)
			}
			if (res.Outcome == login.OK || res.Outcome == login.Locked) != (res.User != nil) {
				t.Fatalf("user %v with outcome %v", res.User, res.Outcome)
			}
			// One computation whatever the outcome (a right password of
			// an older scheme also computes the rehash: not a failure).
			if ran := e.checker.Passwords.Stats().Completed - before; ran != 1 && res.Outcome != login.OK {
				t.Errorf("%d password computations, want 1", ran)
			}
		})
	}
}

// An OK check of a password hashed with an older scheme carries the
// rehash, which StoreUpgrade stores as the new active password.
func TestStoreUpgrade(t *testing.T) {
	e := newEnv(t, roomy)
	ctx := ctxFrom("192.0.2.1")
	u := e.user("alice", "alice's password", nil)
	res, err := e.checker.CheckPassword(ctx, "alice", "alice's password")
	if err != nil || res.Outcome != login.OK || res.Upgrade == nil {
		t.Fatalf("check = %+v, %v; want OK with an upgrade", res, err)
	}
	var id domain.ID
	err = store.WithTx(ctx, e.store, func(tx store.Tx) error {
		id, err = login.StoreUpgrade(ctx, tx, res)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	active, err := e.store.Passwords().Active(ctx, u.ID)
	if err != nil || active.ID != id || active.Version != 2 || active.UpgradedFromID == nil || *active.UpgradedFromID != res.Password.ID {
		t.Fatalf("active password = %+v, %v; want the version 2 upgrade %s", active, err, id)
	}
	// Checked again, nothing is left to upgrade.
	res, err = e.checker.CheckPassword(ctx, "alice", "alice's password")
	if err != nil || res.Outcome != login.OK || res.Upgrade != nil {
		t.Fatalf("second check = %+v, %v; want OK without an upgrade", res, err)
	}
	if id, err := login.StoreUpgrade(ctx, e.store, res); err != nil || id != res.Password.ID {
		t.Fatalf("StoreUpgrade without an upgrade = %s, %v", id, err)
	}
}

// The per-account limit applies to names that match no account too, so a
// refusal does not tell existing accounts apart; the per-IP limit applies
// to everything from one address.
func TestCheckPasswordRateLimits(t *testing.T) {
	e := newEnv(t, ratelimit.Config{
		LoginPerIP:      ratelimit.Rate{Burst: 3, PerSecond: 0.001},
		LoginPerAccount: ratelimit.Rate{Burst: 2, PerSecond: 0.001},
	})
	e.user("alice", "alice's password", nil)
	check := func(ip, typed string) login.Outcome {
		t.Helper()
		res, err := e.checker.CheckPassword(ctxFrom(ip), typed, "wrong")
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome == login.RateLimited && res.RetryAfter <= 0 {
			t.Fatalf("rate limited without a delay: %+v", res)
		}
		return res.Outcome
	}
	for _, name := range []string{"alice", "nobody"} {
		for i, ip := range []string{"192.0.2.10", "192.0.2.11", "192.0.2.12"} {
			want := login.BadCredentials
			if i == 2 {
				want = login.RateLimited
			}
			if got := check(ip, name); got != want {
				t.Fatalf("%s attempt %d: %v, want %v", name, i+1, got, want)
			}
		}
	}
	// Case does not make a new account key for unknown names either.
	if got := check("192.0.2.13", "NOBODY"); got != login.RateLimited {
		t.Fatalf("NOBODY after nobody was limited: %v", got)
	}
	for i := range 3 {
		if got := check("192.0.2.20", "x"+string(rune('a'+i))); got != login.BadCredentials {
			t.Fatalf("address attempt %d: %v", i+1, got)
		}
	}
	if got := check("192.0.2.20", "xz"); got != login.RateLimited {
		t.Fatalf("fourth attempt from one address: %v, want rate limited", got)
	}
}

func TestLocalpartAndHints(t *testing.T) {
	c := &login.Checker{ServerName: "example.org"}
	for _, tc := range []struct {
		typed, want string
		ok          bool
	}{
		{"alice", "alice", true},
		{"@alice:example.org", "alice", true},
		{"@alice:example.org:8448", "", false},
		{"@alice:other.org", "", false},
		{"alice:example.org", "alice:example.org", false},
		{"al@ice", "al@ice", false},
		{"", "", false},
	} {
		got, ok := c.Localpart(tc.typed)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("Localpart(%q) = %q, %v; want %q, %v", tc.typed, got, ok, tc.want, tc.ok)
		}
	}
	for hint, want := range map[string]string{
		"alice": "alice", "mxid:@alice:example.org": "alice", "@alice:example.org": "alice",
		" alice ": "alice", "mxid:@alice:other.org": "", "email:a@example.org": "", "": "",
	} {
		if got := c.UsernameFromHint(hint); got != want {
			t.Errorf("UsernameFromHint(%q) = %q, want %q", hint, got, want)
		}
	}
}

// Only the personal sessions the user owns count against the session
// limit; those an administrator made for the user do not, nor do revoked
// ones.
func TestSessionCounts(t *testing.T) {
	e := newEnv(t, roomy)
	ctx := context.Background()
	alice := e.user("alice", "", nil)
	admin := e.user("admin", "", nil)
	personal := func(owner *domain.ID, revoked bool) {
		t.Helper()
		s := &domain.PersonalSession{OwnerUserID: owner, ActorUserID: alice.ID, Scope: []string{domain.ScopeMatrixAPI}}
		if err := e.store.PersonalSessions().Add(ctx, s); err != nil {
			t.Fatal(err)
		}
		if revoked {
			if err := e.store.PersonalSessions().Revoke(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
	}
	personal(&alice.ID, false)
	personal(&alice.ID, false)
	personal(&alice.ID, true)
	personal(&admin.ID, false)
	if err := e.store.CompatSessions().Add(ctx, &domain.CompatSession{UserID: alice.ID, DeviceID: "DEVICEONE1"}); err != nil {
		t.Fatal(err)
	}
	got, err := login.SessionCounts(ctx, e.store, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Personal != 2 || got.Compat != 1 || got.OAuth2 != 0 || got.Total != 3 {
		t.Fatalf("counts = %+v, want 2 self-owned personal + 1 compat", got)
	}
}

// A password beyond argon2's input limit (1 MiB) once made the check fail
// with an error for existing accounts only (a 500 where unknown accounts
// got a 403): with the cap it is a wrong password for both, at the same
// cost.
func TestOverlongPasswordWithArgon2(t *testing.T) {
	e := newEnv(t, roomy)
	pw, err := passwords.New([]passwords.Scheme{{Version: 1, Algorithm: passwords.AlgorithmArgon2id,
		Argon2: &passwords.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}}}, passwords.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.checker.Passwords = pw
	e.user("alice", "alice's password", nil)
	huge := strings.Repeat("x", 1<<20+1)
	for _, name := range []string{"alice", "nobody"} {
		before := pw.Stats().Completed
		res, err := e.checker.CheckPassword(ctxFrom("192.0.2.1"), name, huge)
		if err != nil || res.Outcome != login.BadCredentials {
			t.Errorf("%s: %v, %v; want bad credentials", name, res.Outcome, err)
		}
		if ran := pw.Stats().Completed - before; ran != 1 {
			t.Errorf("%s: %d computations, want 1", name, ran)
		}
	}
}
