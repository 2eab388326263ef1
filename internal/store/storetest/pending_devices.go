package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"slices"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("PendingDevices",
		test{"AddListRemove", testPendingDevicesAddListRemove},
		test{"Expiry", testPendingDevicesExpiry},
		test{"AddExtendsNeverShortens", testPendingDevicesAddExtends},
		test{"InTransaction", testPendingDevicesInTransaction},
		test{"DeleteExpired", testPendingDevicesDeleteExpired},
		test{"UserMustExist", testPendingDevicesUserMustExist},
		test{"DeletedWithUser", testPendingDevicesDeletedWithUser},
		test{"BadInput", func(t *testing.T, h *H) {
			alice := mustGet[*domain.User](t)(h.S.Users().Add(context.Background(), "alice"))
			if err := h.S.PendingDevices().Add(context.Background(), alice.ID, "", h.Clock.Now().Add(time.Minute)); err == nil {
				t.Fatal("an empty device ID was accepted")
			}
		}},
	)
	registerConcurrency(test{"PendingDeviceAddRace", testPendingDevicesAddRace})
}

// pendingDevices lists the user's devices pending at the suite clock's now.
func pendingDevices(t *testing.T, h *H, userID domain.ID) []string {
	t.Helper()
	return mustGet[[]string](t)(h.S.PendingDevices().ListActive(context.Background(), userID, h.Clock.Now()))
}

func wantPending(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: pending devices = %q, want %q", what, got, want)
	}
}

func testPendingDevicesAddListRemove(t *testing.T, h *H) {
	ctx := context.Background()
	alice := mustGet[*domain.User](t)(h.S.Users().Add(ctx, "alice"))
	bob := mustGet[*domain.User](t)(h.S.Users().Add(ctx, "bob"))
	exp := h.Clock.Now().Add(5 * time.Minute)
	repo := h.S.PendingDevices()

	wantPending(t, "nothing marked", pendingDevices(t, h, alice.ID))
	// Device IDs are opaque and case-sensitive; the list is sorted
	// byte-wise on both backends.
	for _, d := range []string{"phone", "LAPTOP", "Laptop", "tablet"} {
		must(t, repo.Add(ctx, alice.ID, d, exp))
	}
	must(t, repo.Add(ctx, bob.ID, "phone", exp))
	wantPending(t, "alice", pendingDevices(t, h, alice.ID), "LAPTOP", "Laptop", "phone", "tablet")
	wantPending(t, "bob", pendingDevices(t, h, bob.ID), "phone")

	must(t, repo.Remove(ctx, alice.ID, "phone"))
	must(t, repo.Remove(ctx, alice.ID, "LAPTOP"))
	wantPending(t, "alice after removals", pendingDevices(t, h, alice.ID), "Laptop", "tablet")
	// Removing is per user and idempotent.
	wantPending(t, "bob after alice's removals", pendingDevices(t, h, bob.ID), "phone")
	must(t, repo.Remove(ctx, alice.ID, "phone"))
	must(t, repo.Remove(ctx, alice.ID, "never-marked"))

	// A removed device can be marked again.
	must(t, repo.Add(ctx, alice.ID, "phone", exp))
	wantPending(t, "alice after re-adding", pendingDevices(t, h, alice.ID), "Laptop", "phone", "tablet")
}

func testPendingDevicesExpiry(t *testing.T, h *H) {
	ctx := context.Background()
	alice := mustGet[*domain.User](t)(h.S.Users().Add(ctx, "alice"))
	start := h.Clock.Now()
	must(t, h.S.PendingDevices().Add(ctx, alice.ID, "short", start.Add(time.Minute)))
	must(t, h.S.PendingDevices().Add(ctx, alice.ID, "long", start.Add(time.Hour)))

	// The listing instant is the caller's, not the store clock's.
	list := func(at time.Time) []string {
		return mustGet[[]string](t)(h.S.PendingDevices().ListActive(ctx, alice.ID, at))
	}
	wantPending(t, "at the start", list(start), "long", "short")
	// A mark still protects its device at its expiry instant.
	wantPending(t, "at the expiry", list(start.Add(time.Minute)), "long", "short")
	wantPending(t, "just after the expiry", list(start.Add(time.Minute+time.Microsecond)), "long")
	wantPending(t, "after both", list(start.Add(2*time.Hour)))
	// Expired marks are ignored, not deleted, by listing.
	wantPending(t, "back at the start", list(start), "long", "short")
}

func testPendingDevicesAddExtends(t *testing.T, h *H) {
	ctx := context.Background()
	alice := mustGet[*domain.User](t)(h.S.Users().Add(ctx, "alice"))
	start := h.Clock.Now()
	repo := h.S.PendingDevices()
	list := func(at time.Time) []string {
		return mustGet[[]string](t)(repo.ListActive(ctx, alice.ID, at))
	}

	must(t, repo.Add(ctx, alice.ID, "dev", start.Add(time.Minute)))
	must(t, repo.Add(ctx, alice.ID, "dev", start.Add(5*time.Minute)))
	wantPending(t, "after extending", list(start.Add(3*time.Minute)), "dev")
	// A second login marking the device with an earlier expiry must not
	// cut the first one's protection short.
	must(t, repo.Add(ctx, alice.ID, "dev", start.Add(2*time.Minute)))
	wantPending(t, "after an earlier expiry", list(start.Add(4*time.Minute)), "dev")
	wantPending(t, "after the latest expiry", list(start.Add(6*time.Minute)))

	// An expired mark is renewed by a new one.
	h.Clock.Advance(10 * time.Minute)
	must(t, repo.Add(ctx, alice.ID, "dev", h.Clock.Now().Add(time.Minute)))
	wantPending(t, "renewed", pendingDevices(t, h, alice.ID), "dev")
}

func testPendingDevicesInTransaction(t *testing.T, h *H) {
	ctx := context.Background()
	alice := mustGet[*domain.User](t)(h.S.Users().Add(ctx, "alice"))
	exp := h.Clock.Now().Add(5 * time.Minute)

	// A rolled back mark never existed.
	tx, err := h.S.Begin(ctx)
	must(t, err)
	must(t, tx.PendingDevices().Add(ctx, alice.ID, "dev", exp))
	wantPending(t, "inside the transaction",
		mustGet[[]string](t)(tx.PendingDevices().ListActive(ctx, alice.ID, h.Clock.Now())), "dev")
	must(t, tx.Rollback())
	wantPending(t, "after rollback", pendingDevices(t, h, alice.ID))

	// A removal commits or rolls back with the transaction it is part of,
	// which is what lets a login swap its mark for its session atomically.
	must(t, h.S.PendingDevices().Add(ctx, alice.ID, "dev", exp))
	tx, err = h.S.Begin(ctx)
	must(t, err)
	must(t, tx.PendingDevices().Remove(ctx, alice.ID, "dev"))
	must(t, tx.Rollback())
	wantPending(t, "after a rolled back removal", pendingDevices(t, h, alice.ID), "dev")
	must(t, store.WithTx(ctx, h.S, func(tx store.Tx) error {
		return tx.PendingDevices().Remove(ctx, alice.ID, "dev")
	}))
	wantPending(t, "after a committed removal", pendingDevices(t, h, alice.ID))
}

func testPendingDevicesDeleteExpired(t *testing.T, h *H) {
	ctx := context.Background()
	alice := mustGet[*domain.User](t)(h.S.Users().Add(ctx, "alice"))
	bob := mustGet[*domain.User](t)(h.S.Users().Add(ctx, "bob"))
	now := h.Clock.Now()
	repo := h.S.PendingDevices()
	must(t, repo.Add(ctx, alice.ID, "short", now.Add(time.Minute)))
	must(t, repo.Add(ctx, bob.ID, "short", now.Add(time.Minute)))
	must(t, repo.Add(ctx, alice.ID, "long", now.Add(time.Hour)))

	if n := mustGet[int](t)(repo.DeleteExpired(ctx, now.Add(time.Minute))); n != 0 {
		t.Fatalf("deleted %d marks expiring at the cut-off, want 0", n)
	}
	if n := mustGet[int](t)(repo.DeleteExpired(ctx, now.Add(2*time.Minute))); n != 2 {
		t.Fatalf("deleted %d marks, want 2", n)
	}
	// The deleted marks are gone even when listed at an earlier instant.
	wantPending(t, "alice", pendingDevices(t, h, alice.ID), "long")
	wantPending(t, "bob", pendingDevices(t, h, bob.ID))
	if n := mustGet[int](t)(repo.DeleteExpired(ctx, now.Add(2*time.Minute))); n != 0 {
		t.Fatalf("deleted %d marks twice", n)
	}
}

func testPendingDevicesUserMustExist(t *testing.T, h *H) {
	ctx := context.Background()
	ghost := domain.NewIDGenerator(rand.Reader).New(h.Clock.Now())
	if err := h.S.PendingDevices().Add(ctx, ghost, "dev", h.Clock.Now().Add(time.Minute)); err == nil {
		t.Fatal("a device of an unknown user was marked pending")
	}
}

// testPendingDevicesDeletedWithUser deletes the user with SQL of its own:
// the store never deletes users, but an operator may, and the marks must
// not block that.
func testPendingDevicesDeletedWithUser(t *testing.T, h *H) {
	db, ok := h.S.(interface{ DB() *sql.DB })
	if !ok {
		t.Skipf("%T has no database handle", h.S)
	}
	ctx := context.Background()
	alice := mustGet[*domain.User](t)(h.S.Users().Add(ctx, "alice"))
	exp := h.Clock.Now().Add(time.Minute)
	must(t, h.S.PendingDevices().Add(ctx, alice.ID, "dev", exp))
	if _, err := db.DB().ExecContext(ctx, `DELETE FROM users WHERE user_id = $1`, alice.ID.String()); err != nil {
		t.Fatalf("deleting a user with pending devices: %v", err)
	}
	if n := mustGet[int](t)(h.S.PendingDevices().DeleteExpired(ctx, exp.Add(time.Hour))); n != 0 {
		t.Fatalf("%d marks of a deleted user survived", n)
	}
}

// testPendingDevicesAddRace has many logins mark the same device at once
// with different expiries: every write succeeds and the latest expiry wins.
func testPendingDevicesAddRace(t *testing.T, h *H) {
	ctx := context.Background()
	alice := mustGet[*domain.User](t)(h.S.Users().Add(ctx, "alice"))
	start := h.Clock.Now()
	won := oauth2Race(t, oauth2Racers, nil, func(i int) error {
		return store.WithTx(ctx, h.S, func(tx store.Tx) error {
			return tx.PendingDevices().Add(ctx, alice.ID, "contested", start.Add(time.Duration(i+1)*time.Minute))
		})
	})
	if won != oauth2Racers {
		t.Fatalf("%d of %d marks succeeded", won, oauth2Racers)
	}
	latest := start.Add(oauth2Racers * time.Minute)
	wantPending(t, "at the latest expiry",
		mustGet[[]string](t)(h.S.PendingDevices().ListActive(ctx, alice.ID, latest)), "contested")
	wantPending(t, "after it",
		mustGet[[]string](t)(h.S.PendingDevices().ListActive(ctx, alice.ID, latest.Add(time.Microsecond))))
}
