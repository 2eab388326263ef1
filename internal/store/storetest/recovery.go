package storetest

import (
	"context"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("Recovery",
		test{"SessionRoundTrip", testRecoverySessionRoundTrip},
		test{"ConsumeOnce", testRecoverySessionConsume},
		test{"Tickets", testRecoveryTickets},
		test{"NotFound", func(t *testing.T, h *H) {
			ctx := context.Background()
			_, err := h.S.Recovery().LookupSession(ctx, nonexistentID())
			wantErr(t, err, store.ErrNotFound)
			_, err = h.S.Recovery().FindTicket(ctx, "no-such-ticket")
			wantErr(t, err, store.ErrNotFound)
		}},
	)
}

func sameRecoverySession(t *testing.T, got, want *domain.RecoverySession) {
	t.Helper()
	if got.ID != want.ID || got.Email != want.Email || got.UserAgent != want.UserAgent ||
		got.IPAddress != want.IPAddress || got.Locale != want.Locale {
		t.Fatalf("recovery session = %+v\nwant %+v", got, want)
	}
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "consumed_at", got.ConsumedAt, want.ConsumedAt)
}

func testRecoverySessionRoundTrip(t *testing.T, h *H) {
	ctx := context.Background()
	h.Clock.Advance(5 * time.Microsecond)
	full := &domain.RecoverySession{Email: "Alice@Example.com", UserAgent: "Mozilla/5.0", IPAddress: "198.51.100.7", Locale: "pt-BR"}
	must(t, h.S.Recovery().AddSession(ctx, full))
	if full.ID == domain.ZeroID {
		t.Fatal("AddSession did not assign an ID")
	}
	sameTime(t, "created_at", full.CreatedAt, h.Clock.Now())
	minimal := &domain.RecoverySession{Email: "bob@example.com"}
	must(t, h.S.Recovery().AddSession(ctx, minimal))
	for _, want := range []*domain.RecoverySession{full, minimal} {
		sameRecoverySession(t, mustGet[*domain.RecoverySession](t)(h.S.Recovery().LookupSession(ctx, want.ID)), want)
	}
}

func testRecoverySessionConsume(t *testing.T, h *H) {
	ctx := context.Background()
	s := &domain.RecoverySession{Email: "alice@example.com"}
	must(t, h.S.Recovery().AddSession(ctx, s))
	stale := *s
	h.Clock.Advance(3 * time.Minute)
	must(t, h.S.Recovery().ConsumeSession(ctx, s))
	sameTimePtr(t, "consumed_at", s.ConsumedAt, ptr(h.Clock.Now()))
	got := mustGet[*domain.RecoverySession](t)(h.S.Recovery().LookupSession(ctx, s.ID))
	sameRecoverySession(t, got, s)
	wantErr(t, h.S.Recovery().ConsumeSession(ctx, got), store.ErrConflict)
	wantErr(t, h.S.Recovery().ConsumeSession(ctx, &stale), store.ErrConflict)
	if stale.ConsumedAt != nil {
		t.Fatalf("failed ConsumeSession changed the copy: %+v", stale)
	}
	sameRecoverySession(t, mustGet[*domain.RecoverySession](t)(h.S.Recovery().LookupSession(ctx, s.ID)), s)
}

func testRecoveryTickets(t *testing.T, h *H) {
	ctx := context.Background()
	alice := newUser(t, h, "alice")
	bob := newUser(t, h, "bob")
	ea := mustGet[*domain.UserEmail](t)(h.S.UserEmails().Add(ctx, alice.ID, "alice@example.com"))
	eb := mustGet[*domain.UserEmail](t)(h.S.UserEmails().Add(ctx, bob.ID, "bob@example.com"))
	s := &domain.RecoverySession{Email: "alice@example.com"}
	must(t, h.S.Recovery().AddSession(ctx, s))
	other := &domain.RecoverySession{Email: "bob@example.com"}
	must(t, h.S.Recovery().AddSession(ctx, other))

	h.Clock.Advance(time.Second)
	expires := h.Clock.Now().Add(10*time.Minute + 999*time.Nanosecond)
	tk := mustGet[*domain.RecoveryTicket](t)(h.S.Recovery().AddTicket(ctx, s.ID, ea.ID, "ticket-A", expires))
	if tk.RecoverySessionID != s.ID || tk.UserEmailID != ea.ID || tk.Ticket != "ticket-A" || tk.ID == domain.ZeroID {
		t.Fatalf("ticket = %+v", tk)
	}
	sameTime(t, "created_at", tk.CreatedAt, h.Clock.Now())
	sameTime(t, "expires_at", tk.ExpiresAt, expires.Truncate(time.Microsecond))

	got := mustGet[*domain.RecoveryTicket](t)(h.S.Recovery().FindTicket(ctx, "ticket-A"))
	if got.ID != tk.ID || got.RecoverySessionID != s.ID || got.UserEmailID != ea.ID || got.Ticket != "ticket-A" {
		t.Fatalf("found ticket = %+v, want %+v", got, tk)
	}
	sameTime(t, "stored created_at", got.CreatedAt, tk.CreatedAt)
	sameTime(t, "stored expires_at", got.ExpiresAt, tk.ExpiresAt)

	// Ticket strings are unique across sessions, and compared exactly.
	_, err := h.S.Recovery().AddTicket(ctx, other.ID, eb.ID, "ticket-A", expires)
	wantErr(t, err, store.ErrConflict)
	_, err = h.S.Recovery().FindTicket(ctx, "TICKET-A")
	wantErr(t, err, store.ErrNotFound)
	// One session mails a ticket to each matching address.
	mustGet[*domain.RecoveryTicket](t)(h.S.Recovery().AddTicket(ctx, s.ID, eb.ID, "ticket-B", expires))

	// Tickets follow the address they were sent to.
	must(t, h.S.UserEmails().Remove(ctx, ea.ID))
	_, err = h.S.Recovery().FindTicket(ctx, "ticket-A")
	wantErr(t, err, store.ErrNotFound)
	mustGet[*domain.RecoveryTicket](t)(h.S.Recovery().FindTicket(ctx, "ticket-B"))
}
