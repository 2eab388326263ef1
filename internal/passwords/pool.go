package passwords

import (
	"context"
	"sync/atomic"
)

// pool bounds how many hash computations run at once. Argon2 at upstream's
// defaults holds 19 MiB for ~35 ms; without a bound a burst of logins turns
// into a burst of memory (upstream runs each one on tokio's blocking pool,
// up to 512 threads). Computations run on the caller's goroutine once it
// holds a slot, so the bound is also the number of busy goroutines.
type pool struct {
	slots   chan struct{}
	waiting atomic.Int64
	running atomic.Int64
	done    atomic.Int64
}

func newPool(n int) *pool {
	return &pool{slots: make(chan struct{}, n)}
}

// acquire waits for a free slot or for ctx to end. A context that has already
// ended never gets a slot, even if one is free.
func (p *pool) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case p.slots <- struct{}{}:
	default:
		p.waiting.Add(1)
		select {
		case p.slots <- struct{}{}:
			p.waiting.Add(-1)
		case <-ctx.Done():
			p.waiting.Add(-1)
			return ctx.Err()
		}
	}
	p.running.Add(1)
	return nil
}

func (p *pool) release() {
	p.running.Add(-1)
	p.done.Add(1)
	<-p.slots
}

// Stats is a snapshot of the hashing pool, for metrics.
type Stats struct {
	// Capacity is the most computations allowed to run at once.
	Capacity int
	// Running computations hold a slot now.
	Running int64
	// Waiting callers are queued for a slot.
	Waiting int64
	// Completed counts the computations (hashes, verifications, dummy
	// verifications) finished since the manager was made.
	Completed int64
}
