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
		FetchPollInterval:    cmp.Or(opts.PollInterval, time.Second),
		PeriodicJobs:         periodic,
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

// Start begins working jobs in the background.
func (r *Runner) Start(ctx context.Context) error {
	if err := r.client.Start(ctx); err != nil {
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
		return r.client.StopAndCancel(context.WithoutCancel(ctx))
	}
	return nil
}

// Client exposes the underlying client for tests that wait on events.
func (r *Runner) Client() *river.Client[*sql.Tx] { return r.client }
