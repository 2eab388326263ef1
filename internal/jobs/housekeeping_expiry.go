package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"mas/internal/domain"
	"mas/internal/store"
)

// The expiry of inactive sessions (experimental.inactive_session_expiration).
// Every 15 minutes expire-inactive-sessions queues one job per enabled kind
// of session with the threshold now minus the TTL; each of those ends up
// to a batch of the sessions idle since before the threshold, longest idle
// first, and queues the next batch when its own was full. Ending a browser
// session leaves the OAuth 2.0 and compat sessions started from it alone,
// as upstream: each kind has its own activity and its own switch.

type expireInactiveSessionsWorker struct {
	river.WorkerDefaults[domain.ExpireInactiveSessionsJob]
	d Deps
}

func (w *expireInactiveSessionsWorker) Work(ctx context.Context, _ *river.Job[domain.ExpireInactiveSessionsJob]) error {
	e := w.d.Expiration
	if e == nil {
		return nil // the setting was removed after the job was queued
	}
	first := domain.InactiveSessionsBatch{Threshold: w.d.Clock.Now().Add(-e.TTL)}
	return store.WithTx(ctx, w.d.Store, func(tx store.Tx) error {
		for _, job := range []struct {
			on  bool
			job domain.Job
		}{
			{e.OAuth, domain.ExpireInactiveOAuthSessionsJob{InactiveSessionsBatch: first}},
			{e.Compat, domain.ExpireInactiveCompatSessionsJob{InactiveSessionsBatch: first}},
			{e.User, domain.ExpireInactiveUserSessionsJob{InactiveSessionsBatch: first}},
		} {
			if !job.on {
				continue
			}
			if err := tx.Jobs().Enqueue(ctx, job.job); err != nil {
				return err
			}
		}
		return nil
	})
}

// expiryKind is what the expiry needs to know about one kind of session S.
type expiryKind[S any] struct {
	what   string
	list   func(ctx context.Context, tx store.Tx, before time.Time, limit int) ([]*S, error)
	finish func(ctx context.Context, tx store.Tx, s *S) error
	// holder is the user whose devices the session may hold; nil for
	// sessions without a device.
	holder func(s *S) *domain.ID
	next   func(b domain.InactiveSessionsBatch) domain.Job
}

var oauthExpiry = expiryKind[domain.Session]{
	what: "oauth2",
	list: func(ctx context.Context, tx store.Tx, before time.Time, limit int) ([]*domain.Session, error) {
		return tx.Sessions().ListInactive(ctx, before, limit)
	},
	finish: func(ctx context.Context, tx store.Tx, s *domain.Session) error { return tx.Sessions().Finish(ctx, s) },
	holder: func(s *domain.Session) *domain.ID { return s.UserID },
	next: func(b domain.InactiveSessionsBatch) domain.Job {
		return domain.ExpireInactiveOAuthSessionsJob{InactiveSessionsBatch: b}
	},
}

var compatExpiry = expiryKind[domain.CompatSession]{
	what: "compat",
	list: func(ctx context.Context, tx store.Tx, before time.Time, limit int) ([]*domain.CompatSession, error) {
		return tx.CompatSessions().ListInactive(ctx, before, limit)
	},
	finish: func(ctx context.Context, tx store.Tx, s *domain.CompatSession) error {
		return tx.CompatSessions().Finish(ctx, s)
	},
	holder: func(s *domain.CompatSession) *domain.ID { return &s.UserID },
	next: func(b domain.InactiveSessionsBatch) domain.Job {
		return domain.ExpireInactiveCompatSessionsJob{InactiveSessionsBatch: b}
	},
}

var browserExpiry = expiryKind[domain.BrowserSession]{
	what: "browser",
	list: func(ctx context.Context, tx store.Tx, before time.Time, limit int) ([]*domain.BrowserSession, error) {
		return tx.BrowserSessions().ListInactive(ctx, before, limit)
	},
	finish: func(ctx context.Context, tx store.Tx, s *domain.BrowserSession) error {
		return tx.BrowserSessions().Finish(ctx, s)
	},
	holder: func(*domain.BrowserSession) *domain.ID { return nil },
	next: func(b domain.InactiveSessionsBatch) domain.Job {
		return domain.ExpireInactiveUserSessionsJob{InactiveSessionsBatch: b}
	},
}

// batchJob is an expiry job of any kind.
type batchJob interface {
	river.JobArgs
	Batch() domain.InactiveSessionsBatch
}

// expireWorker ends one batch of inactive sessions of kind S for jobs of
// kind T.
type expireWorker[T batchJob, S any] struct {
	river.WorkerDefaults[T]
	d Deps
	k expiryKind[S]
}

// Work ends the batch in one transaction: the sessions, a device sync per
// user (staggered, see expirySyncFirst) and the next batch's job, so that
// either all of it happens or none does.
func (w *expireWorker[T, S]) Work(ctx context.Context, job *river.Job[T]) error {
	b := job.Args.Batch()
	ended := 0
	err := store.WithTx(ctx, w.d.Store, func(tx store.Tx) error {
		ended = 0
		page, err := w.k.list(ctx, tx, b.Threshold, expiryBatchSize)
		if err != nil {
			return err
		}
		// The sessions this batch ends drop out of the next listing, so
		// the next batch has the same threshold.
		if len(page) == expiryBatchSize {
			if err := tx.Jobs().Enqueue(ctx, w.k.next(b)); err != nil {
				return err
			}
		}
		synced := map[domain.ID]bool{}
		delay := expirySyncFirst
		for _, s := range page {
			if err := w.k.finish(ctx, tx, s); err != nil {
				if store.AlreadyEnded(err) {
					continue // ended meanwhile, with its own device sync
				}
				return err
			}
			ended++
			user := w.k.holder(s)
			if user == nil || synced[*user] {
				continue
			}
			synced[*user] = true
			sync := domain.SyncDevicesJob{UserID: *user}
			if err := tx.Jobs().Enqueue(ctx, sync, store.WithDelaySeconds(int64(delay/time.Second))); err != nil {
				return err
			}
			delay += expirySyncSpacing
		}
		return nil
	})
	if err == nil && ended > 0 {
		w.d.Logger.Info("ended inactive sessions", "kind", w.k.what, "ended", ended, "inactive_since", b.Threshold)
	}
	return err
}
