package storetest

import (
	"context"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// The housekeeping batches of registrations, email verifications, password
// recoveries and upstream logins: what a flow leaves behind goes whatever
// its stage, taking what belongs to it along and unlinking what merely
// points at it.

func init() {
	register("HousekeepingFlows",
		test{"Registrations", testHousekeepingRegistrations},
		test{"EmailAuthentications", testHousekeepingEmailAuthentications},
		test{"RecoverySessions", testHousekeepingRecoverySessions},
		test{"UpstreamSessions", testHousekeepingUpstreamSessions},
		test{"UpstreamLinks", testHousekeepingUpstreamLinks},
		test{"NothingToDo", testHousekeepingNothingToDo},
	)
}

// newRegistrationWithEmail starts a registration whose email verification
// (with a code) points back at it, as the registration pages make them.
func newRegistrationWithEmail(t *testing.T, h *H, username string) (*domain.UserRegistration, *domain.EmailAuthentication) {
	t.Helper()
	ctx := context.Background()
	r := &domain.UserRegistration{Username: username}
	must(t, h.S.Registrations().Add(ctx, r))
	a := &domain.EmailAuthentication{Email: username + "@example.com", UserRegistrationID: &r.ID}
	must(t, h.S.EmailAuthentications().Add(ctx, a))
	must(t, ignore(h.S.EmailAuthentications().AddCode(ctx, a.ID, "123456", h.Clock.Now().Add(time.Hour))))
	r.EmailAuthenticationID = &a.ID
	must(t, h.S.Registrations().Update(ctx, r))
	return r, a
}

func testHousekeepingRegistrations(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.Registrations()
	old, oldEmail := newRegistrationWithEmail(t, h, "alice")
	done := &domain.UserRegistration{Username: "bob"}
	must(t, repo.Add(ctx, done))
	must(t, repo.Complete(ctx, done))
	h.Clock.Advance(time.Hour)
	cutoff := h.Clock.Now()
	atCutoff, _ := newRegistrationWithEmail(t, h, "carol")

	drainBatches(t, "DeleteCreatedBefore", 2, func(limit int) (int, error) { return repo.DeleteCreatedBefore(ctx, cutoff, limit) })
	for _, gone := range []*domain.UserRegistration{old, done} {
		cleanupWantGone(t, gone.Username, func() (*domain.UserRegistration, error) { return repo.Lookup(ctx, gone.ID) })
	}
	cleanupWantKept(t, atCutoff.Username, func() (*domain.UserRegistration, error) { return repo.Lookup(ctx, atCutoff.ID) })
	cleanupWantGone(t, "email verification of a deleted registration", func() (*domain.EmailAuthentication, error) {
		return h.S.EmailAuthentications().Lookup(ctx, oldEmail.ID)
	})
}

func testHousekeepingEmailAuthentications(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.EmailAuthentications()
	u := newUser(t, h, "alice")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	reg, ofRegistration := newRegistrationWithEmail(t, h, "bob")
	ofSession := &domain.EmailAuthentication{Email: "alice@example.com", BrowserSessionID: &bs.ID}
	must(t, repo.Add(ctx, ofSession))
	must(t, ignore(repo.AddCode(ctx, ofSession.ID, "654321", h.Clock.Now().Add(time.Hour))))
	must(t, repo.Complete(ctx, ofSession))
	h.Clock.Advance(time.Hour)
	cutoff := h.Clock.Now()
	atCutoff := &domain.EmailAuthentication{Email: "carol@example.com", BrowserSessionID: &bs.ID}
	must(t, repo.Add(ctx, atCutoff))

	drainBatches(t, "DeleteCreatedBefore", 2, func(limit int) (int, error) { return repo.DeleteCreatedBefore(ctx, cutoff, limit) })
	for _, gone := range []*domain.EmailAuthentication{ofRegistration, ofSession} {
		cleanupWantGone(t, gone.Email, func() (*domain.EmailAuthentication, error) { return repo.Lookup(ctx, gone.ID) })
	}
	_, err := repo.FindCode(ctx, ofSession.ID, "654321")
	wantErr(t, err, store.ErrNotFound)
	cleanupWantKept(t, atCutoff.Email, func() (*domain.EmailAuthentication, error) { return repo.Lookup(ctx, atCutoff.ID) })
	got := cleanupWantKept(t, "registration of a deleted verification", func() (*domain.UserRegistration, error) {
		return h.S.Registrations().Lookup(ctx, reg.ID)
	})
	if got.EmailAuthenticationID != nil {
		t.Fatalf("registration still names deleted verification %v", *got.EmailAuthenticationID)
	}
}

func testHousekeepingRecoverySessions(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.Recovery()
	u := newUser(t, h, "alice")
	email := mustGet[*domain.UserEmail](t)(h.S.UserEmails().Add(ctx, u.ID, "alice@example.com"))
	old := &domain.RecoverySession{Email: email.Email}
	must(t, repo.AddSession(ctx, old))
	must(t, ignore(repo.AddTicket(ctx, old.ID, email.ID, "ticket-old", h.Clock.Now().Add(10*time.Minute))))
	consumed := &domain.RecoverySession{Email: email.Email}
	must(t, repo.AddSession(ctx, consumed))
	must(t, repo.ConsumeSession(ctx, consumed))
	h.Clock.Advance(time.Hour)
	cutoff := h.Clock.Now()
	atCutoff := &domain.RecoverySession{Email: email.Email}
	must(t, repo.AddSession(ctx, atCutoff))

	drainBatches(t, "DeleteSessionsCreatedBefore", 2, func(limit int) (int, error) {
		return repo.DeleteSessionsCreatedBefore(ctx, cutoff, limit)
	})
	for _, gone := range []*domain.RecoverySession{old, consumed} {
		cleanupWantGone(t, "recovery session", func() (*domain.RecoverySession, error) { return repo.LookupSession(ctx, gone.ID) })
	}
	_, err := repo.FindTicket(ctx, "ticket-old")
	wantErr(t, err, store.ErrNotFound)
	cleanupWantKept(t, "recovery session at the cut-off", func() (*domain.RecoverySession, error) { return repo.LookupSession(ctx, atCutoff.ID) })
	cleanupWantKept(t, "email address", func() (*domain.UserEmail, error) { return h.S.UserEmails().Lookup(ctx, email.ID) })
}

// An upstream login attempt is an orphan until it becomes a browser
// session; a registration it was feeding loses the reference.
func testHousekeepingUpstreamSessions(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.UpstreamSessions()
	u := newUser(t, h, "alice")
	p := newUpstreamProvider(t, h, 0)
	add := func(state string) *domain.UpstreamAuthSession {
		t.Helper()
		s := &domain.UpstreamAuthSession{ProviderID: p.ID, State: state}
		must(t, repo.Add(ctx, s))
		return s
	}
	pending, completed, used := add("pending"), add("completed"), add("used")
	link := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", &u.ID, ""))
	for _, s := range []*domain.UpstreamAuthSession{completed, used} {
		s.LinkID = &link.ID
		must(t, repo.Complete(ctx, s))
	}
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	must(t, repo.Consume(ctx, used, bs.ID))
	must(t, ignore(h.S.BrowserSessions().Authenticate(ctx, bs.ID, nil, &used.ID)))
	reg := &domain.UserRegistration{Username: "bob", UpstreamSessionID: &completed.ID}
	must(t, h.S.Registrations().Add(ctx, reg))
	h.Clock.Advance(time.Hour)
	cutoff := h.Clock.Now()
	atCutoff := add("cutoff")

	drainBatches(t, "DeleteOrphansCreatedBefore", 2, func(limit int) (int, error) { return repo.DeleteOrphansCreatedBefore(ctx, cutoff, limit) })
	for _, gone := range []*domain.UpstreamAuthSession{pending, completed} {
		cleanupWantGone(t, gone.State, func() (*domain.UpstreamAuthSession, error) { return repo.Lookup(ctx, gone.ID) })
	}
	for _, kept := range []*domain.UpstreamAuthSession{used, atCutoff} {
		cleanupWantKept(t, kept.State, func() (*domain.UpstreamAuthSession, error) { return repo.Lookup(ctx, kept.ID) })
	}
	cleanupWantKept(t, "authentication by the used attempt", func() (*domain.Authentication, error) {
		return h.S.BrowserSessions().LastAuthentication(ctx, bs.ID)
	})
	got := cleanupWantKept(t, "registration", func() (*domain.UserRegistration, error) { return h.S.Registrations().Lookup(ctx, reg.ID) })
	if got.UpstreamSessionID != nil {
		t.Fatalf("registration still names deleted attempt %v", *got.UpstreamSessionID)
	}
}

// A link is an orphan until it is associated with a user; the login
// attempts that found it lose the reference.
func testHousekeepingUpstreamLinks(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.UpstreamLinks()
	u := newUser(t, h, "alice")
	p := newUpstreamProvider(t, h, 0)
	add := func(subject string, user *domain.ID) *domain.UpstreamLink {
		t.Helper()
		return mustGet[*domain.UpstreamLink](t)(repo.Add(ctx, p.ID, subject, user, ""))
	}
	orphan, associated, associatedLater := add("orphan", nil), add("associated", &u.ID), add("later", nil)
	must(t, repo.Associate(ctx, associatedLater, u.ID))
	attempt := &domain.UpstreamAuthSession{ProviderID: p.ID, State: "st", LinkID: &orphan.ID}
	must(t, h.S.UpstreamSessions().Add(ctx, attempt))
	h.Clock.Advance(time.Hour)
	cutoff := h.Clock.Now()
	atCutoff := add("cutoff", nil)

	drainBatches(t, "DeleteOrphansCreatedBefore", 1, func(limit int) (int, error) { return repo.DeleteOrphansCreatedBefore(ctx, cutoff, limit) })
	cleanupWantGone(t, orphan.Subject, func() (*domain.UpstreamLink, error) { return repo.Lookup(ctx, orphan.ID) })
	for _, kept := range []*domain.UpstreamLink{associated, associatedLater, atCutoff} {
		cleanupWantKept(t, kept.Subject, func() (*domain.UpstreamLink, error) { return repo.Lookup(ctx, kept.ID) })
	}
	got := cleanupWantKept(t, "attempt", func() (*domain.UpstreamAuthSession, error) { return h.S.UpstreamSessions().Lookup(ctx, attempt.ID) })
	if got.LinkID != nil {
		t.Fatalf("attempt still names deleted link %v", *got.LinkID)
	}
}

// On an empty store, and inside a transaction, every batch is a no-op.
func testHousekeepingNothingToDo(t *testing.T, h *H) {
	ctx := context.Background()
	far := Start.Add(24 * time.Hour)
	must(t, store.WithTx(ctx, h.S, func(tx store.Tx) error {
		for name, batch := range map[string]func(context.Context, time.Time, int) (int, error){
			"finished compat sessions": tx.CompatSessions().DeleteFinishedBefore,
			"finished oauth2 sessions": tx.Sessions().DeleteFinishedBefore,
			"compat session IPs":       tx.CompatSessions().ForgetIPsInactiveBefore,
			"oauth2 session IPs":       tx.Sessions().ForgetIPsInactiveBefore,
			"browser session IPs":      tx.BrowserSessions().ForgetIPsInactiveBefore,
			"registrations":            tx.Registrations().DeleteCreatedBefore,
			"email authentications":    tx.EmailAuthentications().DeleteCreatedBefore,
			"recovery sessions":        tx.Recovery().DeleteSessionsCreatedBefore,
			"orphaned upstream logins": tx.UpstreamSessions().DeleteOrphansCreatedBefore,
			"orphaned upstream links":  tx.UpstreamLinks().DeleteOrphansCreatedBefore,
		} {
			n, err := batch(ctx, far, 100)
			cleanupWantDeleted(t, name, n, err, 0)
		}
		n, pos, err := tx.BrowserSessions().DeleteFinishedBefore(ctx, far, store.CleanupPosition{}, 100)
		cleanupWantDeleted(t, "finished browser sessions", n, err, 0)
		if pos != (store.CleanupPosition{}) {
			t.Fatalf("position after nothing = %v", pos)
		}
		for name, list := range map[string]func() (int, error){
			"compat": func() (int, error) {
				l, err := tx.CompatSessions().ListInactive(ctx, far, 100)
				return len(l), err
			},
			"oauth2": func() (int, error) { l, err := tx.Sessions().ListInactive(ctx, far, 100); return len(l), err },
			"browser": func() (int, error) {
				l, err := tx.BrowserSessions().ListInactive(ctx, far, 100)
				return len(l), err
			},
		} {
			n, err := list()
			cleanupWantDeleted(t, "inactive "+name+" sessions", n, err, 0)
		}
		return nil
	}))
}
