package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"mas/internal/domain"
	"mas/internal/store"
)

type jobQueue struct{ r repos }

func (r repos) Jobs() store.JobQueue { return jobQueue{r} }

// Enqueue inserts the job in the current transaction, or in a transaction
// of its own when called outside one.
func (q jobQueue) Enqueue(ctx context.Context, job domain.Job, opts ...store.JobOption) error {
	var o store.JobOptions
	for _, opt := range opts {
		opt(&o)
	}
	client := q.r.s.opts.River
	if client == nil {
		return fmt.Errorf("enqueue %s: no job queue configured", job.Kind())
	}
	insertOpts := &river.InsertOpts{MaxAttempts: store.MaxJobAttempts}
	if o.Delay > 0 {
		insertOpts.ScheduledAt = q.r.now().Add(time.Duration(o.Delay) * time.Second)
	}
	if q.r.tx != nil {
		if _, err := client.InsertTx(ctx, q.r.tx, job, insertOpts); err != nil {
			return fmt.Errorf("enqueue %s: %w", job.Kind(), err)
		}
		return nil
	}
	if _, err := client.Insert(ctx, job, insertOpts); err != nil {
		return fmt.Errorf("enqueue %s: %w", job.Kind(), err)
	}
	return nil
}
