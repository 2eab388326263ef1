package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"mas/internal/store"
)

var _ store.FeedFollower = (*Store)(nil)

// follower is a running StartFollowing.
type follower struct {
	id     string
	beat   time.Time // when the last heartbeat was written; run's goroutine only
	cancel context.CancelFunc
	wake   chan struct{} // a notification arrived
	done   chan struct{} // every goroutine ended and the row is gone
}

// errNotCounted: the catch-up succeeded but cannot make the feed fresh,
// because a writer may have looked for this follower meanwhile and found
// no live row (not yet registered, or the heartbeat had grown too old);
// the next catch-up, run at once, can count.
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
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	f.follow = fl
	listening := make(chan struct{})
	if s.opts.Dialect == Postgres {
		go func() { defer close(listening); f.listen(ctx, fl) }()
	} else {
		close(listening)
	}
	go func() {
		f.run(ctx, fl)
		<-listening
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

// run is the follower's loop; it deregisters when ctx ends.
func (f *feed) run(ctx context.Context, fl *follower) {
	poll := feedPoll
	if f.s.opts.Dialect == SQLite {
		poll = feedPollSQLite
	}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	applied := int64(-1)
	var lastClean time.Time
	for {
		err := f.catchUp(ctx, fl, &applied)
		if errors.Is(err, errNotCounted) {
			continue // the next catch-up can count: run it now
		}
		if err != nil {
			f.setStale()
		}
		if time.Since(lastClean) > 30*time.Second {
			lastClean = time.Now()
			f.clean(ctx)
		}
		select {
		case <-ctx.Done():
			f.setStale()
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, _ = f.s.opts.DB.ExecContext(dctx, `DELETE FROM cache_followers WHERE follower_id = $1`, fl.id)
			cancel()
			return
		case <-ticker.C:
		case <-fl.wake:
		}
	}
}

// catchUp reads every row past *applied, hands them to the subscribers,
// and acknowledges them with a heartbeat. Only then does the feed count
// as fresh, from the instant the catch-up started: every invalidation
// committed before that instant has been applied.
func (f *feed) catchUp(ctx context.Context, fl *follower, applied *int64) error {
	start := time.Now()
	wasFresh := f.Fresh()
	db := f.s.opts.DB
	if *applied < 0 {
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM cache_invalidations`).Scan(applied); err != nil {
			*applied = -1
			return err
		}
	}
	next, list, err := f.read(ctx, *applied)
	if err != nil {
		return err
	}
	if !wasFresh {
		// Whatever happened while not fresh may not be in the table any
		// more, and the starting point skipped the past.
		list = append([]store.Invalidation{{Kind: store.InvalidateAll}}, list...)
	}
	f.deliver(list)
	// Measured after the read: a slow read must not stretch the heartbeat.
	if next == *applied && time.Since(fl.beat) < feedBeat {
		// Nothing to acknowledge, and the heartbeat is recent enough.
		f.setFresh(start)
		return nil
	}
	*applied = next
	prev, beat := fl.beat, time.Now()
	n, err := f.s.repos.exec(ctx, `UPDATE cache_followers SET heartbeat_at = `+f.s.dbNowMicros()+`, applied_seq = $2
		WHERE follower_id = $1`, fl.id, next)
	if err != nil {
		return err
	}
	if n == 0 {
		_, err := db.ExecContext(ctx, `INSERT INTO cache_followers (follower_id, heartbeat_at, applied_seq)
			VALUES ($1, `+f.s.dbNowMicros()+`, $2)`, fl.id, next)
		if err != nil {
			return fmt.Errorf("register as a follower: %w", err)
		}
		fl.beat = beat
		return errNotCounted
	}
	fl.beat = beat
	if time.Since(prev) >= feedLease+feedMargin {
		// The previous heartbeat was old enough for a writer to have
		// passed this follower over while this catch-up ran.
		return errNotCounted
	}
	f.setFresh(start)
	return nil
}

// read returns the rows past after, in order, and the last one's number.
func (f *feed) read(ctx context.Context, after int64) (int64, []store.Invalidation, error) {
	var list []store.Invalidation
	for {
		rows, err := f.s.opts.DB.QueryContext(ctx, `SELECT seq, kind, object_id FROM cache_invalidations
			WHERE seq > $1 ORDER BY seq LIMIT $2`, after, feedBatch)
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
