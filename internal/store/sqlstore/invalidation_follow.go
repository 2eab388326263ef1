package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"mas/internal/store"
)

var _ store.FeedFollower = (*Store)(nil)

// follower is a running StartFollowing: a reader that catches up (and
// alone decides freshness) and a beater that writes the heartbeat and the
// acknowledgement, so that neither waits for the other.
type follower struct {
	id      string
	cancel  context.CancelFunc
	wake    chan struct{} // a notification arrived
	ackWake chan struct{} // the reader applied new rows, or needs a heartbeat
	done    chan struct{} // every goroutine ended and the row is gone

	applied   atomic.Int64 // the last row delivered; -1 before the first catch-up
	lastRead  atomic.Int64 // monoNow when the last catch-up ended
	beatStart atomic.Int64 // monoNow when the last committed heartbeat's write began
}

// errNotCounted: the catch-up succeeded but cannot make the feed fresh,
// because no heartbeat recent enough had been committed when it began: a
// writer may have passed this follower over (see feedLive).
var errNotCounted = errors.New("catch-up not counted")

// feedBatch is how many rows one read of a catch-up takes.
const feedBatch = 1000

// StartFollowing makes this process follow the other processes'
// invalidations: it registers in cache_followers, then catches up every
// feedPoll, and at once when PostgreSQL notifies a commit. A second call
// while following is a no-op.
func (s *Store) StartFollowing(ctx context.Context) (stop func()) {
	f := s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.follow != nil {
		return func() {}
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	ctx, cancel := context.WithCancel(ctx)
	fl := &follower{id: hex.EncodeToString(raw[:]), cancel: cancel,
		wake: make(chan struct{}, 1), ackWake: make(chan struct{}, 1), done: make(chan struct{})}
	fl.applied.Store(-1)
	f.follow = fl
	var wg sync.WaitGroup
	if s.opts.Dialect == Postgres {
		wg.Go(func() { f.listen(ctx, fl) })
	}
	wg.Go(func() { f.beat(ctx, fl) })
	wg.Go(func() { f.run(ctx, fl) })
	go func() {
		wg.Wait()
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = f.s.opts.DB.ExecContext(dctx, `DELETE FROM cache_followers WHERE follower_id = $1`, fl.id)
		cancel()
		// Also when ctx ended on its own: a later start must not be a no-op.
		f.mu.Lock()
		if f.follow == fl {
			f.follow = nil
		}
		f.mu.Unlock()
		close(fl.done)
	}()
	return func() { f.stop(fl) }
}

// stopFollowing ends following, if it runs.
func (f *feed) stopFollowing() {
	f.mu.Lock()
	fl := f.follow
	f.mu.Unlock()
	if fl != nil {
		f.stop(fl)
	}
}

// stop ends fl and waits for it to deregister.
func (f *feed) stop(fl *follower) {
	fl.cancel()
	<-fl.done
}

// followerID is this process's follower, "" when it does not follow.
func (f *feed) followerID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.follow == nil {
		return ""
	}
	return f.follow.id
}

// run is the follower's reader loop (see feedReader for where it reads).
func (f *feed) run(ctx context.Context, fl *follower) {
	defer f.setStale()
	poll := feedPoll
	if f.s.opts.Dialect == SQLite {
		poll = feedPollSQLite
	}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	r := &feedReader{db: f.s.opts.DB}
	defer r.close()
	for {
		r.open(ctx)
		err := f.catchUp(ctx, fl, r)
		if err != nil && !errors.Is(err, errNotCounted) {
			f.setStale()
			r.close()
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-fl.wake:
		}
	}
}

// catchUp reads every row past the last applied one and hands them to the
// subscribers. The feed then counts as fresh from the instant the catch-up
// started (every invalidation committed before it has been applied),
// provided a heartbeat recent enough was committed before that instant.
// The acknowledgement is the beater's job.
func (f *feed) catchUp(ctx context.Context, fl *follower, r *feedReader) error {
	start := monoNow()
	beat := fl.beatStart.Load()
	wasFresh := f.Fresh()
	applied := fl.applied.Load()
	if applied < 0 {
		if err := r.q().QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM cache_invalidations`).Scan(&applied); err != nil {
			return err
		}
	}
	next, list, err := f.read(ctx, r, applied)
	if err != nil {
		return err
	}
	if !wasFresh {
		// Whatever happened while not fresh may not be in the table any
		// more, and the starting point skipped the past.
		list = append([]store.Invalidation{{Kind: store.InvalidateAll}}, list...)
	}
	f.deliver(list)
	fl.applied.Store(next)
	fl.lastRead.Store(monoNow())
	if next != applied {
		fl.pokeBeater()
	}
	if beat == 0 || start-beat > int64(feedLive-feedLease-feedMargin) {
		fl.pokeBeater()
		return errNotCounted
	}
	f.setFresh(start)
	return nil
}

// beat is the follower's heartbeat loop: it registers, then writes the
// heartbeat with the last applied row every feedBeat, and at once when
// the reader applied new rows (writers wait for that acknowledgement). A
// reader that stopped reading gets no more heartbeats, so that writers
// stop waiting for it after feedLive. It also deletes old rows.
func (f *feed) beat(ctx context.Context, fl *follower) {
	ticker := time.NewTicker(feedBeat)
	defer ticker.Stop()
	registered := false
	written, lastClean := int64(-1), time.Time{}
	for {
		applied := max(fl.applied.Load(), 0)
		readRecently := monoNow()-fl.lastRead.Load() < int64(feedLive-feedLease-feedMargin)/2
		due := monoNow()-fl.beatStart.Load() >= int64(feedBeat)/2 || applied != written
		if !registered || (readRecently && due) {
			start := monoNow()
			if err := f.writeBeat(ctx, fl.id, applied); err == nil {
				fl.beatStart.Store(start)
				if !registered {
					fl.poke() // the reader's next catch-up can count
				}
				registered, written = true, applied
			}
		}
		if time.Since(lastClean) > 30*time.Second {
			lastClean = time.Now()
			f.clean(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-fl.ackWake:
		}
	}
}

// writeBeat writes this follower's heartbeat, registering it if its row
// is missing (first beat, or deleted as stale while this process stood
// still).
func (f *feed) writeBeat(ctx context.Context, id string, applied int64) error {
	n, err := f.s.repos.exec(ctx, `UPDATE cache_followers SET heartbeat_at = `+f.s.dbNowMicros()+`, applied_seq = $2
		WHERE follower_id = $1`, id, applied)
	if err != nil || n > 0 {
		return err
	}
	_, err = f.s.opts.DB.ExecContext(ctx, `INSERT INTO cache_followers (follower_id, heartbeat_at, applied_seq)
		VALUES ($1, `+f.s.dbNowMicros()+`, $2)`, id, applied)
	if err != nil {
		return fmt.Errorf("register as a follower: %w", err)
	}
	return nil
}

// pokeBeater wakes the beater without blocking.
func (fl *follower) pokeBeater() {
	select {
	case fl.ackWake <- struct{}{}:
	default:
	}
}

// read returns the rows past after, in order, and the last one's number.
func (f *feed) read(ctx context.Context, r *feedReader, after int64) (int64, []store.Invalidation, error) {
	var list []store.Invalidation
	for {
		rows, err := r.rows(ctx, after)
		if err != nil {
			return 0, nil, err
		}
		n := 0
		for rows.Next() {
			var inv store.Invalidation
			var kind string
			if err := rows.Scan(&after, &kind, id(&inv.ID)); err != nil {
				rows.Close()
				return 0, nil, err
			}
			inv.Kind = store.InvalidationKind(kind)
			list = append(list, inv)
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, nil, err
		}
		if n < feedBatch {
			return after, list, nil
		}
	}
}

// clean deletes old rows and the rows of followers long gone.
func (f *feed) clean(ctx context.Context) {
	r := f.s.repos
	_, _ = r.exec(ctx, `DELETE FROM cache_invalidations WHERE created_at < $1`, r.t(r.now().Add(-feedRetention)))
	_, _ = r.exec(ctx, `DELETE FROM cache_followers WHERE heartbeat_at < `+f.s.dbNowMicros()+` - $1`,
		feedStaleFollower.Microseconds())
}
