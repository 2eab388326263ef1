package storetest

import (
	"context"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("Users",
		test{"AddLookupFind", testUserAddLookup},
		test{"UsernameUniqueCaseInsensitive", func(t *testing.T, h *H) {
			ctx := context.Background()
			mustGet[*domain.User](t)(h.S.Users().Add(ctx, "alice"))
			_, err := h.S.Users().Add(ctx, "Alice")
			wantErr(t, err, store.ErrConflict)
		}},
		test{"UnknownID", func(t *testing.T, h *H) {
			_, err := h.S.Users().Lookup(context.Background(), domain.NewIDGenerator(zeroReader{}).New(Start))
			wantErr(t, err, store.ErrNotFound)
		}},
		test{"UpdateLockDeactivateAdmin", testUserUpdate},
		test{"Passwords", testPasswords},
		test{"Emails", testEmails},
	)
	register("BrowserSessions",
		test{"Lifecycle", testBrowserSessionLifecycle},
	)
}

// zeroReader is an entropy source of zeros, for IDs nobody else has.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// newUser creates a user or fails the test.
func newUser(t *testing.T, h *H, name string) *domain.User {
	t.Helper()
	return mustGet[*domain.User](t)(h.S.Users().Add(context.Background(), name))
}

func testUserAddLookup(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	sameTime(t, "created_at", u.CreatedAt, Start)
	got := mustGet[*domain.User](t)(h.S.Users().Lookup(ctx, u.ID))
	if got.Username != "alice" || got.ID != u.ID || !got.IsValid() || got.CanRequestAdmin || got.IsGuest {
		t.Fatalf("lookup = %+v", got)
	}
	sameTime(t, "created_at", got.CreatedAt, Start)
	byName := mustGet[*domain.User](t)(h.S.Users().FindByUsername(ctx, "ALICE"))
	if byName.ID != u.ID {
		t.Fatalf("find by username matched %v", byName.ID)
	}
	_, err := h.S.Users().FindByUsername(ctx, "bob")
	wantErr(t, err, store.ErrNotFound)
	if n := mustGet[int](t)(h.S.Users().Count(ctx)); n != 1 {
		t.Fatalf("count = %d", n)
	}
}

func testUserUpdate(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	newUser(t, h, "bob")
	h.Clock.Advance(time.Minute)
	u.Lock(h.Clock.Now())
	must(t, u.Deactivate(h.Clock.Now()))
	u.CanRequestAdmin = true
	must(t, h.S.Users().Update(ctx, u))
	got := mustGet[*domain.User](t)(h.S.Users().Lookup(ctx, u.ID))
	sameTimePtr(t, "locked_at", got.LockedAt, u.LockedAt)
	sameTimePtr(t, "deactivated_at", got.DeactivatedAt, u.DeactivatedAt)
	if got.IsValid() || !got.CanRequestAdmin {
		t.Fatalf("after update: %+v", got)
	}
	admins := mustGet[[]*domain.User](t)(h.S.Users().ListAdmins(ctx))
	if len(admins) != 1 || admins[0].ID != u.ID {
		t.Fatalf("admins = %v", admins)
	}
	got.Unlock()
	must(t, got.Reactivate())
	must(t, h.S.Users().Update(ctx, got))
	again := mustGet[*domain.User](t)(h.S.Users().Lookup(ctx, u.ID))
	if !again.IsValid() {
		t.Fatalf("still invalid after unlock and reactivate: %+v", again)
	}
}

func testPasswords(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	_, err := h.S.Passwords().Active(ctx, u.ID)
	wantErr(t, err, store.ErrNotFound)
	first := mustGet[*domain.Password](t)(h.S.Passwords().Add(ctx, u.ID, "$bcrypt$old", 1, nil))
	h.Clock.Advance(time.Second)
	second := mustGet[*domain.Password](t)(h.S.Passwords().Add(ctx, u.ID, "$argon2id$new", 2, &first.ID))
	active := mustGet[*domain.Password](t)(h.S.Passwords().Active(ctx, u.ID))
	if active.ID != second.ID || active.Version != 2 || active.HashedPassword != "$argon2id$new" ||
		active.UpgradedFromID == nil || *active.UpgradedFromID != first.ID {
		t.Fatalf("active = %+v", active)
	}
}

func testEmails(t *testing.T, h *H) {
	ctx := context.Background()
	alice := newUser(t, h, "alice")
	bob := newUser(t, h, "bob")
	e1 := mustGet[*domain.UserEmail](t)(h.S.UserEmails().Add(ctx, alice.ID, "alice@example.com"))
	mustGet[*domain.UserEmail](t)(h.S.UserEmails().Add(ctx, alice.ID, "alice2@example.com"))
	_, err := h.S.UserEmails().Add(ctx, bob.ID, "ALICE@example.com")
	wantErr(t, err, store.ErrConflict)
	found := mustGet[*domain.UserEmail](t)(h.S.UserEmails().FindByEmail(ctx, "Alice@Example.com"))
	if found.ID != e1.ID || found.UserID != alice.ID {
		t.Fatalf("find by email = %+v", found)
	}
	list := mustGet[[]*domain.UserEmail](t)(h.S.UserEmails().ListForUser(ctx, alice.ID))
	if len(list) != 2 {
		t.Fatalf("list = %d emails", len(list))
	}
	must(t, h.S.UserEmails().Remove(ctx, e1.ID))
	wantErr(t, h.S.UserEmails().Remove(ctx, e1.ID), store.ErrNotFound)
	if n := mustGet[int](t)(h.S.UserEmails().RemoveAllForUser(ctx, alice.ID)); n != 1 {
		t.Fatalf("removed %d", n)
	}
}

func testBrowserSessionLifecycle(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	s := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, "Mozilla/5.0"))
	other := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	h.Clock.Advance(time.Hour)
	must(t, h.S.BrowserSessions().RecordActivity(ctx, s.ID, h.Clock.Now(), "192.0.2.1"))
	got := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Lookup(ctx, s.ID))
	if got.UserAgent != "Mozilla/5.0" || got.LastActiveIP != "192.0.2.1" || !got.Active() {
		t.Fatalf("lookup = %+v", got)
	}
	sameTimePtr(t, "last_active_at", got.LastActiveAt, ptr(h.Clock.Now()))
	withUser, owner, err := h.S.BrowserSessions().LookupWithUser(ctx, s.ID)
	must(t, err)
	if withUser.ID != s.ID || withUser.UserAgent != "Mozilla/5.0" || withUser.LastActiveIP != "192.0.2.1" ||
		owner.ID != u.ID || owner.Username != "alice" {
		t.Fatalf("lookup with user = %+v, %+v", withUser, owner)
	}
	sameTimePtr(t, "last_active_at with user", withUser.LastActiveAt, got.LastActiveAt)
	_, _, err = h.S.BrowserSessions().LookupWithUser(ctx, u.ID) // no session has that ID
	wantErr(t, err, store.ErrNotFound)
	must(t, h.S.BrowserSessions().Finish(ctx, got))
	wantErr(t, h.S.BrowserSessions().Finish(ctx, got), domain.ErrInvalidTransition)
	// A stale copy that still believes the session is active loses the race.
	wantErr(t, h.S.BrowserSessions().Finish(ctx, s), store.ErrConflict)
	active := mustGet[[]*domain.BrowserSession](t)(h.S.BrowserSessions().ListActiveForUser(ctx, u.ID))
	if len(active) != 1 || active[0].ID != other.ID {
		t.Fatalf("active = %v", active)
	}
	if n := mustGet[int](t)(h.S.BrowserSessions().FinishAllForUser(ctx, u.ID)); n != 1 {
		t.Fatalf("finished %d", n)
	}
}

func ptr[T any](v T) *T { return &v }
