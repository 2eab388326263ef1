package sqlstore

import (
	"sync"
	"sync/atomic"
	"time"

	"mas/internal/store"
)

// The invalidation feed (store/invalidation.go). A write that ends,
// revokes, locks or deactivates an object records a row in
// cache_invalidations in its own transaction (invalidation_record.go).
// After the commit the writing process calls its subscribers, then waits
// until every other process that follows the feed (invalidation_follow.go)
// has applied the row, or has certainly stopped being Fresh.

// Timing of the feed. A follower is Fresh while its last counted catch-up
// (a read of the table, nothing else) started less than feedLease ago; a
// writer waits at most feedLease+feedMargin for the laggards, after which
// they cannot be Fresh. Heartbeats (which also acknowledge what was
// applied) are written by a goroutine of their own: a write that queues
// behind other writers (SQLite has one at a time) or a busy CPU delays an
// acknowledgement, not the lease.
const (
	feedLease = time.Second
	// feedMargin covers the time between a writer's commit and the start
	// of its wait, and the difference between this process's clock and
	// the database's.
	feedMargin = 400 * time.Millisecond
	// feedLive is how long after its last heartbeat a follower is still
	// waited for. A catch-up counts only if a heartbeat written at most
	// feedLive-feedLease-feedMargin before it began had been committed:
	// a writer that passed the follower over (heartbeat older than
	// feedLive) then committed after any catch-up that could still make
	// it Fresh, so the follower reads the writer's row before it is Fresh
	// again.
	feedLive = 5 * time.Second
	// feedPoll is how often a follower looks for new rows when no
	// notification wakes it. On SQLite nothing does, and a writer in
	// another process waits for the next poll, so it polls more often: a
	// read of an index, which does not block writers.
	feedPoll       = 100 * time.Millisecond
	feedPollSQLite = 20 * time.Millisecond
	// feedBeat is how often a follower with nothing new to acknowledge
	// still writes its heartbeat: well within the feedLive-feedLease-
	// feedMargin a catch-up needs, so that missing a few beats costs
	// nothing.
	feedBeat = 200 * time.Millisecond
	// feedRetention is how long rows are kept: a follower that falls
	// further behind is not Fresh anyway, and starts over with
	// InvalidateAll.
	feedRetention = 10 * time.Minute
	// feedStaleFollower is how old a follower's heartbeat must be before
	// its row is deleted.
	feedStaleFollower = time.Minute
)

// feedEpoch is the origin of the monotonic instants the feed keeps in
// atomics (nanoseconds since it, never zero once set).
var feedEpoch = time.Now()

// monoNow is the monotonic clock as nanoseconds since feedEpoch.
func monoNow() int64 { return int64(time.Since(feedEpoch)) }

// feed is a Store's store.InvalidationFeed.
type feed struct {
	s *Store

	mu     sync.Mutex
	subs   map[int]func(store.Invalidation)
	nextID int

	// lastOK is when the follower's last counted catch-up started
	// (monoNow); zero while not following or after a failure. An atomic:
	// every cache hit reads it.
	lastOK atomic.Int64

	follow *follower // nil while not following
}

func newFeed(s *Store) *feed {
	return &feed{s: s, subs: map[int]func(store.Invalidation){}}
}

// Invalidations returns the feed of cache invalidations.
func (s *Store) Invalidations() store.InvalidationFeed { return s.feed }

func (f *feed) Subscribe(fn func(store.Invalidation)) func() {
	f.mu.Lock()
	id := f.nextID
	f.nextID++
	f.subs[id] = fn
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		delete(f.subs, id)
		f.mu.Unlock()
	}
}

func (f *feed) Fresh() bool {
	ok := f.lastOK.Load()
	return ok != 0 && monoNow()-ok < int64(feedLease)
}

// setFresh records a counted catch-up that started at start (monoNow).
func (f *feed) setFresh(start int64) { f.lastOK.Store(max(start, 1)) }

// setStale makes the feed stop being fresh at once.
func (f *feed) setStale() { f.lastOK.Store(0) }

// deliver calls every subscriber with each invalidation.
func (f *feed) deliver(list []store.Invalidation) {
	if len(list) == 0 {
		return
	}
	f.mu.Lock()
	subs := make([]func(store.Invalidation), 0, len(f.subs))
	for _, fn := range f.subs {
		subs = append(subs, fn)
	}
	f.mu.Unlock()
	for _, inv := range list {
		for _, fn := range subs {
			fn(inv)
		}
	}
}
