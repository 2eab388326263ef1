package app

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/riverqueue/river/rivertype"

	"mas/internal/jobs"
)

// worker builds the job runner with every job kind and schedule.
func (a *App) worker() (*jobs.Runner, error) {
	var expiration *jobs.Expiration
	if e := a.Config.Experimental.InactiveSessionExpiration; e != nil {
		expiration = &jobs.Expiration{TTL: e.Lifetime(), OAuth: e.ExpireOAuthSessions,
			Compat: e.ExpireCompatSessions, User: e.ExpireUserSessions}
	}
	workers := jobs.Workers(jobs.Deps{
		Store:      a.Store,
		Homeserver: a.Homeserver,
		Clock:      a.Clock,
		Logger:     a.Logger,
		Expiration: expiration,
		Mail:       a.mailDeps(),
	})
	opts := jobs.Options{
		Logger:    a.Logger,
		Schedules: append(jobs.DefaultSchedules(), jobs.ExpirationSchedules(expiration)...),
	}
	// Operational knobs that upstream's configuration has no key for, read
	// from the environment so that config files stay upstream-compatible.
	var err error
	if opts.JobTimeout, err = envDuration("MAS_JOBS_TIMEOUT"); err != nil {
		return nil, err
	}
	if opts.RescueAfter, err = envDuration("MAS_JOBS_RESCUE_AFTER"); err != nil {
		return nil, err
	}
	if opts.PollInterval, err = envDuration("MAS_JOBS_POLL_INTERVAL"); err != nil {
		return nil, err
	}
	if a.opts.JobPollInterval > 0 {
		opts.PollInterval = a.opts.JobPollInterval
	}
	if a.opts.JobRetryDelay > 0 {
		opts.RetryPolicy = fixedRetry(a.opts.JobRetryDelay)
	}
	return jobs.NewRunner(a.driver, workers, opts)
}

// envDuration reads a Go duration ("90s", "5m") from the environment; unset
// means zero (the default).
func envDuration(name string) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: expected a positive duration such as 90s or 5m", name, v)
	}
	return d, nil
}

// RunWorker works the queue until ctx is cancelled. It does not migrate:
// the server (or `database migrate`) owns the schema.
func (a *App) RunWorker(ctx context.Context) error {
	if err := a.prepareSchema(ctx, true); err != nil {
		return err
	}
	w, err := a.worker()
	if err != nil {
		return err
	}
	if err := w.Start(ctx); err != nil {
		return err
	}
	a.checkMailer(ctx)
	a.Logger.Info("worker started")
	<-ctx.Done()
	a.Logger.Info("worker shutting down")
	stopCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return w.Stop(stopCtx)
}

// fixedRetry retries after a constant delay.
type fixedRetry time.Duration

func (d fixedRetry) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(time.Duration(d))
}
