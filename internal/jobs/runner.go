// Package jobs runs the durable job queue: the side effects (homeserver
// calls, emails, cleanups) that handlers enqueue in the same transaction as
// the write that causes them.
//
// The queue is riverqueue/river over the store's own database, through
// database/sql on both backends. River fetches jobs with row locks (FOR
// UPDATE SKIP LOCKED on PostgreSQL), so several workers on one database run
// each job once; a job whose worker died mid-run is put back by the
// leader's rescuer once it has been running longer than RescueAfter, and
// failures are retried with exponential backoff up to the insert's
// MaxAttempts.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
)

// Options tune the runner. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// Concurrency is how many jobs this process runs at once (default 10).
	Concurrency int
	// JobTimeout cancels a job's context after this long (default 5 min).
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before it is
	// considered abandoned by a dead worker and retried (default
	// JobTimeout + 1 min). It must exceed JobTimeout.
	RescueAfter time.Duration
	// PollInterval is how often idle workers look for new jobs (default 1s).
	PollInterval time.Duration
	// Schedules are the recurring jobs; only the elected leader enqueues them.
	Schedules []Schedule
	// ID names this worker in the queue tables; defaults to river's.
	ID string
	// RetryPolicy decides when a failed job runs again. Nil keeps river's
	// exponential backoff (attempt^4 seconds), which production relies on;
	// tests swap in a short fixed delay so a retry is observed quickly.
	RetryPolicy river.ClientRetryPolicy
}

// Runner works the queue until stopped.
type Runner struct {
	client *river.Client[*sql.Tx]
	logger *slog.Logger
}

// NewRunner builds a runner over driver with the given workers.
func NewRunner(driver riverdriver.Driver[*sql.Tx], workers *river.Workers, opts Options) (*Runner, error) {
	logger := cmp.Or(opts.Logger, slog.Default())
	timeout := cmp.Or(opts.JobTimeout, 5*time.Minute)
	rescue := cmp.Or(opts.RescueAfter, timeout+time.Minute)
	if rescue <= timeout {
		return nil, fmt.Errorf("jobs: rescue delay (%s) must exceed the job timeout (%s)", rescue, timeout)
	}
	poll := cmp.Or(opts.PollInterval, time.Second)
	periodic, err := periodicJobs(opts.Schedules)
	if err != nil {
		return nil, err
	}
	client, err := river.NewClient(driver, &river.Config{
		ID:                   opts.ID,
		Logger:               logger.With("component", "jobs"),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cmp.Or(opts.Concurrency, 10)}},
		Workers:              workers,
		JobTimeout:           timeout,
		RescueStuckJobsAfter: rescue,
		FetchPollInterval:    poll,
		// River refuses a poll interval below its fetch cooldown, so a short
		// MAS_JOBS_POLL_INTERVAL lowers the cooldown with it.
		FetchCooldown: min(poll, river.FetchCooldownDefault),
		PeriodicJobs:  periodic,
		RetryPolicy:   opts.RetryPolicy,
		// Keep finished jobs long enough to investigate, like upstream's
		// 30-day queue cleanup.
		CompletedJobRetentionPeriod: 30 * 24 * time.Hour,
		DiscardedJobRetentionPeriod: 30 * 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Runner{client: client, logger: logger}, nil
}

// Start begins working jobs in the background. Cancelling ctx does not
// stop the runner: callers typically pass the context that a signal
// cancels, and river would treat that as an abrupt stop, cancelling the
// jobs in flight instead of letting them finish. Stop is what shuts down.
func (r *Runner) Start(ctx context.Context) error {
	if err := r.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: starting the worker: %w", err)
	}
	return nil
}

// Stop waits for running jobs to finish, up to ctx's deadline, then
// cancels them; a cancelled job is retried later, so nothing is lost.
func (r *Runner) Stop(ctx context.Context) error {
	err := r.client.Stop(ctx)
	if err != nil {
		r.logger.Warn("jobs did not finish in time; cancelling them", "error", err)
		// Cancelled jobs are retried later; give them a moment to notice,
		// but never block shutdown on a job that ignores cancellation.
		cancelCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return r.client.StopAndCancel(cancelCtx)
	}
	return nil
}

// Client exposes the underlying client for tests that wait on events.
func (r *Runner) Client() *river.Client[*sql.Tx] { return r.client }
