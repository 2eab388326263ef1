package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"mas/internal/domain"
	"mas/internal/store"
)

// Upstream's housekeeping: clean-ups of finished sessions, of old personal
// data and of abandoned flows, and the opt-in expiry of inactive sessions.
// Names, times and retention periods are upstream's; docs/jobs.md has the
// table.

// Retention periods of the housekeeping clean-ups, as upstream.
const (
	finishedSessionsKept = 30 * 24 * time.Hour
	sessionIPsKept       = 30 * 24 * time.Hour
	registrationsKept    = 30 * 24 * time.Hour
	shortFlowsKept       = 7 * 24 * time.Hour // recovery, email verification, upstream orphans
)

// cleanupBatchSize is how many rows one clean-up statement handles (as
// upstream). Each batch commits on its own, so a large backlog never holds
// the database's write lock for long.
const cleanupBatchSize = 1000

// Expiry of inactive sessions.
const (
	// expiryBatchSize is how many sessions one expiry job ends, in one
	// transaction; a full batch queues the next.
	expiryBatchSize = 100
	// The device syncs an expiry batch queues are spread out so that a
	// large expiry does not flood the homeserver: the first after a
	// minute, then one every 10 seconds (a full batch of distinct users
	// spans about 17 minutes), as upstream.
	expirySyncFirst   = time.Minute
	expirySyncSpacing = 10 * time.Second
)

// Expiration is the experimental inactive_session_expiration setting: the
// sessions of the enabled kinds that saw no activity for TTL are ended.
type Expiration struct {
	TTL                 time.Duration
	OAuth, Compat, User bool
}

// ExpirationSchedules is the recurring expiry when the setting is present
// and covers at least one kind of session; nothing otherwise.
func ExpirationSchedules(e *Expiration) []Schedule {
	if e == nil || !(e.OAuth || e.Compat || e.User) {
		return nil
	}
	return []Schedule{every("30 */15 * * * *", domain.ExpireInactiveSessionsJob{})}
}

// housekeepingSchedules are the clean-ups every deployment runs.
func housekeepingSchedules() []Schedule {
	return []Schedule{
		every("0 10 * * * *", domain.CleanupFinishedCompatSessionsJob{}),
		every("0 15 * * * *", domain.CleanupFinishedOAuth2SessionsJob{}),
		every("0 20 * * * *", domain.CleanupFinishedUserSessionsJob{}),
		every("0 25 * * * *", domain.CleanupInactiveOAuth2SessionIPsJob{}),
		every("0 25 * * * *", domain.CleanupInactiveCompatSessionIPsJob{}),
		every("0 25 * * * *", domain.CleanupInactiveUserSessionIPsJob{}),
		every("0 40 * * * *", domain.CleanupUpstreamOAuthSessionsJob{}),
		every("0 40 * * * *", domain.CleanupUpstreamOAuthLinksJob{}),
		every("0 45 * * * *", domain.CleanupUserRegistrationsJob{}),
		every("0 50 * * * *", domain.CleanupUserRecoverySessionsJob{}),
		every("0 50 * * * *", domain.CleanupUserEmailAuthenticationsJob{}),
	}
}

// every schedules job, named after its kind.
func every(spec string, job domain.Job) Schedule {
	return Schedule{Name: job.Kind(), Spec: spec, Job: func() domain.Job { return job }}
}

// addHousekeepingWorkers registers the workers of every housekeeping kind.
// The expiry workers are registered even without the setting, so that jobs
// queued before it was removed still complete (doing nothing).
func addHousekeepingWorkers(w *river.Workers, d Deps) {
	s := d.Store
	addCleanup[domain.CleanupFinishedCompatSessionsJob](w, d, "deleted finished compat sessions",
		finishedSessionsKept, each(s.CompatSessions().DeleteFinishedBefore))
	addCleanup[domain.CleanupFinishedOAuth2SessionsJob](w, d, "deleted finished oauth2 sessions",
		finishedSessionsKept, each(s.Sessions().DeleteFinishedBefore))
	addCleanup[domain.CleanupFinishedUserSessionsJob](w, d, "deleted finished browser sessions",
		finishedSessionsKept, func() batchFunc {
			// Each run starts from the beginning: a session skipped last
			// time may have lost its children since.
			var pos store.CleanupPosition
			return func(ctx context.Context, before time.Time, limit int) (n int, err error) {
				n, pos, err = s.BrowserSessions().DeleteFinishedBefore(ctx, before, pos, limit)
				return n, err
			}
		})
	addCleanup[domain.CleanupInactiveOAuth2SessionIPsJob](w, d, "forgot IP addresses of inactive oauth2 sessions",
		sessionIPsKept, each(s.Sessions().ForgetIPsInactiveBefore))
	addCleanup[domain.CleanupInactiveCompatSessionIPsJob](w, d, "forgot IP addresses of inactive compat sessions",
		sessionIPsKept, each(s.CompatSessions().ForgetIPsInactiveBefore))
	addCleanup[domain.CleanupInactiveUserSessionIPsJob](w, d, "forgot IP addresses of inactive browser sessions",
		sessionIPsKept, each(s.BrowserSessions().ForgetIPsInactiveBefore))
	addCleanup[domain.CleanupUserRegistrationsJob](w, d, "deleted old registrations",
		registrationsKept, each(s.Registrations().DeleteCreatedBefore))
	addCleanup[domain.CleanupUserRecoverySessionsJob](w, d, "deleted old recovery sessions",
		shortFlowsKept, each(s.Recovery().DeleteSessionsCreatedBefore))
	addCleanup[domain.CleanupUserEmailAuthenticationsJob](w, d, "deleted old email authentications",
		shortFlowsKept, each(s.EmailAuthentications().DeleteCreatedBefore))
	addCleanup[domain.CleanupUpstreamOAuthSessionsJob](w, d, "deleted orphaned upstream oauth sessions",
		shortFlowsKept, each(s.UpstreamSessions().DeleteOrphansCreatedBefore))
	addCleanup[domain.CleanupUpstreamOAuthLinksJob](w, d, "deleted orphaned upstream oauth links",
		shortFlowsKept, each(s.UpstreamLinks().DeleteOrphansCreatedBefore))
	addCleanup[domain.CleanupUnusedUpstreamOAuthSessionsJob](w, d, "deleted unused upstream oauth sessions",
		unusedPreLoginKept, each(s.UpstreamSessions().DeletePendingCreatedBefore))

	river.AddWorker(w, &expireInactiveSessionsWorker{d: d})
	river.AddWorker(w, &expireWorker[domain.ExpireInactiveOAuthSessionsJob, domain.Session]{d: d, k: oauthExpiry})
	river.AddWorker(w, &expireWorker[domain.ExpireInactiveCompatSessionsJob, domain.CompatSession]{d: d, k: compatExpiry})
	river.AddWorker(w, &expireWorker[domain.ExpireInactiveUserSessionsJob, domain.BrowserSession]{d: d, k: browserExpiry})
}

// batchFunc handles one batch of rows older than before.
type batchFunc func(ctx context.Context, before time.Time, limit int) (int, error)

// each is the batch function of a clean-up that keeps no state between
// batches.
func each(f batchFunc) func() batchFunc { return func() batchFunc { return f } }

// addCleanup registers a clean-up of kind T: each run takes the cut-off
// once (now minus keep) and repeats full batches until one comes back
// short. start makes the run's batch function.
func addCleanup[T river.JobArgs](w *river.Workers, d Deps, msg string, keep time.Duration, start func() batchFunc) {
	river.AddWorker(w, &cleanupWorker[T]{logger: d.Logger, msg: msg, remove: func(ctx context.Context) (int, error) {
		before := d.Clock.Now().Add(-keep)
		batch := start()
		total := 0
		for {
			n, err := batch(ctx, before, cleanupBatchSize)
			total += n
			if err != nil || n < cleanupBatchSize {
				return total, err
			}
		}
	}})
}
