package jobs_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/jobs"
	"mas/internal/store"
)

const day = 24 * time.Hour

// TestHousekeepingCleanupsRun: each clean-up job deletes what is older
// than upstream's retention and keeps what is younger, and goes on past
// one batch (1000 rows) in a run.
func TestHousekeepingCleanupsRun(t *testing.T) {
	forEachBackendName(t, func(t *testing.T, backend string) {
		e, clk := housekeepingEnv(t, backend, nil)
		ctx := context.Background()
		now := clk.Now()
		type row struct {
			what   string
			lookup func() error
			gone   bool
		}
		var rows []row
		expect := func(what string, gone bool, lookup func() error) {
			rows = append(rows, row{what, lookup, gone})
		}
		// at runs fn in a transaction with the clock days ago.
		at := func(days float64, fn func(tx store.Tx) error) {
			t.Helper()
			clk.Set(now.Add(-time.Duration(days * float64(day))))
			must(t, store.WithTx(ctx, e.store, fn))
			clk.Set(now)
		}
		var u *domain.User
		var oldBulk []domain.ID
		at(40, func(tx store.Tx) (err error) {
			u, err = tx.Users().Add(ctx, "alice")
			return err
		})
		// Finished sessions (30 days), more than a batch of them.
		compatFinished := func(days float64, n int) (ids []domain.ID) {
			at(days, func(tx store.Tx) error {
				for range n {
					s := &domain.CompatSession{UserID: u.ID}
					if err := errors.Join(tx.CompatSessions().Add(ctx, s), tx.CompatSessions().Finish(ctx, s)); err != nil {
						return err
					}
					ids = append(ids, s.ID)
				}
				return nil
			})
			return ids
		}
		oldBulk = compatFinished(31, 1001)
		youngCompat := compatFinished(29, 1)[0]
		expect("compat session finished 29 days ago", false, func() error { return ignore(e.store.CompatSessions().Lookup(ctx, youngCompat)) })

		var parent, orphan *domain.BrowserSession
		at(31, func(tx store.Tx) (err error) {
			if parent, err = tx.BrowserSessions().Add(ctx, u.ID, ""); err != nil {
				return err
			}
			if orphan, err = tx.BrowserSessions().Add(ctx, u.ID, ""); err != nil {
				return err
			}
			return errors.Join(tx.BrowserSessions().Finish(ctx, parent), tx.BrowserSessions().Finish(ctx, orphan))
		})
		at(29, func(tx store.Tx) error {
			child := &domain.CompatSession{UserID: u.ID, BrowserSessionID: &parent.ID}
			return errors.Join(tx.CompatSessions().Add(ctx, child), tx.CompatSessions().Finish(ctx, child))
		})
		expect("browser session finished 31 days ago", true, func() error { return ignore(e.store.BrowserSessions().Lookup(ctx, orphan.ID)) })
		expect("browser session of a kept compat session", false, func() error { return ignore(e.store.BrowserSessions().Lookup(ctx, parent.ID)) })

		// IP addresses (30 days of inactivity).
		var idle, recent *domain.CompatSession
		at(40, func(tx store.Tx) error {
			idle, recent = &domain.CompatSession{UserID: u.ID}, &domain.CompatSession{UserID: u.ID}
			return errors.Join(tx.CompatSessions().Add(ctx, idle), tx.CompatSessions().Add(ctx, recent),
				tx.CompatSessions().RecordActivity(ctx, idle.ID, now.Add(-31*day), "198.51.100.7"),
				tx.CompatSessions().RecordActivity(ctx, recent.ID, now.Add(-29*day), "198.51.100.8"))
		})
		ipOf := func(id domain.ID, want string) func() error {
			return func() error {
				s, err := e.store.CompatSessions().Lookup(ctx, id)
				if err == nil && s.LastActiveIP != want {
					return errors.New("IP " + s.LastActiveIP + ", want " + want)
				}
				return err
			}
		}
		expect("IP of a session idle for 31 days forgotten", false, ipOf(idle.ID, ""))
		expect("IP of a session idle for 29 days kept", false, ipOf(recent.ID, "198.51.100.8"))

		// Flows: registrations (30 days), recovery and email verification
		// (7 days), upstream orphans (7 days).
		p := &domain.UpstreamProvider{ID: domain.NewIDGenerator(rand.Reader).New(now), Scope: "openid", ClientID: "mas", TokenEndpointAuthMethod: "none", Settings: "{}"}
		must(t, e.store.UpstreamProviders().Upsert(ctx, p))
		flows := func(days float64, gone bool) {
			var reg *domain.UserRegistration
			var rec *domain.RecoverySession
			var auth *domain.EmailAuthentication
			var up, pending *domain.UpstreamAuthSession
			var link *domain.UpstreamLink
			at(days, func(tx store.Tx) (err error) {
				reg, rec = &domain.UserRegistration{Username: "bob"}, &domain.RecoverySession{Email: "a@example.com"}
				auth = &domain.EmailAuthentication{Email: "a@example.com", UserRegistrationID: &reg.ID}
				up = &domain.UpstreamAuthSession{ProviderID: p.ID, State: fmt.Sprint(days)}
				if err := errors.Join(tx.Registrations().Add(ctx, reg), tx.Recovery().AddSession(ctx, rec)); err != nil {
					return err
				}
				if link, err = tx.UpstreamLinks().Add(ctx, p.ID, up.State, nil, ""); err != nil {
					return err
				}
				pending = &domain.UpstreamAuthSession{ProviderID: p.ID, State: fmt.Sprint("pending-", days)}
				err = errors.Join(tx.EmailAuthentications().Add(ctx, auth), tx.UpstreamSessions().Add(ctx, up), tx.UpstreamSessions().Add(ctx, pending))
				if err != nil {
					return err
				}
				// Completed but never used: an orphan, kept for 7 days.
				up.LinkID = &link.ID
				return tx.UpstreamSessions().Complete(ctx, up)
			})
			expect("recovery session", gone, func() error { return ignore(e.store.Recovery().LookupSession(ctx, rec.ID)) })
			expect("email authentication", gone, func() error { return ignore(e.store.EmailAuthentications().Lookup(ctx, auth.ID)) })
			expect("upstream session", gone, func() error { return ignore(e.store.UpstreamSessions().Lookup(ctx, up.ID)) })
			// Never back from the provider: deleted after an hour.
			expect("pending upstream session", true, func() error { return ignore(e.store.UpstreamSessions().Lookup(ctx, pending.ID)) })
			expect("upstream link", gone, func() error { return ignore(e.store.UpstreamLinks().Lookup(ctx, link.ID)) })
			expect("registration", days > 30, func() error { return ignore(e.store.Registrations().Lookup(ctx, reg.ID)) })
		}
		flows(31, true)
		flows(8, true)
		flows(6, false)

		var kinds []string
		var queue []domain.Job
		for _, s := range jobs.DefaultSchedules() {
			kinds, queue = append(kinds, s.Name), append(queue, s.Job())
		}
		runJobs(t, e, kinds, queue...)

		for _, id := range oldBulk {
			if _, err := e.store.CompatSessions().Lookup(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("compat session finished 31 days ago: lookup error = %v, want it deleted (all %d)", err, len(oldBulk))
			}
		}
		for _, r := range rows {
			err := r.lookup()
			switch {
			case r.gone && !errors.Is(err, store.ErrNotFound):
				t.Errorf("%s: lookup error = %v, want it deleted", r.what, err)
			case !r.gone && err != nil:
				t.Errorf("%s: %v, want it kept", r.what, err)
			}
		}
	})
}

func ignore[T any](_ T, err error) error { return err }

// forEachBackendName runs fn on each backend, in parallel.
func forEachBackendName(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			fn(t, backend)
		})
	}
}
