package sqlstore

import (
	"sync"
	"time"

	"mas/internal/store"
)

// The invalidation feed (store/invalidation.go). A write that ends,
// revokes, locks or deactivates an object records a row in
// cache_invalidations in its own transaction (invalidation_record.go).
// After the commit the writing process calls its subscribers, then waits
// until every other process that follows the feed (invalidation_follow.go)
// has applied the row, or has certainly stopped being Fresh.

// Timing of the feed. A follower is Fresh while its last successful
// catch-up started less than feedLease ago; a writer waits at most
// feedLease+feedMargin for the laggards, after which they cannot be Fresh.
const (
	feedLease = time.Second
	// feedMargin covers the time a follower's acknowledgement takes to
	// reach the table after its catch-up began, and the age a heartbeat
	// reaches between two (feedBeat plus a poll).
	feedMargin = 400 * time.Millisecond
	// feedPoll is how often a follower looks for new rows when no
	// notification wakes it. On SQLite nothing does, and a writer in
	// another process waits for the next poll, so it polls more often: a
	// read of an index, which does not block writers.
	feedPoll       = 100 * time.Millisecond
	feedPollSQLite = 20 * time.Millisecond
	// feedBeat is how often a follower with nothing new to acknowledge
	// still writes its heartbeat.
	feedBeat = 200 * time.Millisecond
	// feedRetention is how long rows are kept: a follower that falls
	// further behind is not Fresh anyway, and starts over with
	// InvalidateAll.
	feedRetention = 10 * time.Minute
	// feedStaleFollower is how old a follower's heartbeat must be before
	// its row is deleted.
	feedStaleFollower = time.Minute
)

// feed is a Store's store.InvalidationFeed.
type feed struct {
	s *Store

	mu     sync.Mutex
	subs   map[int]func(store.Invalidation)
	nextID int

	// lastOK is when the follower's last successful catch-up started
	// (monotonic); zero while not following or after a failure.
	freshMu sync.Mutex
	lastOK  time.Time

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
	f.freshMu.Lock()
	defer f.freshMu.Unlock()
	return !f.lastOK.IsZero() && time.Since(f.lastOK) < feedLease
}

// setFresh records a successful catch-up that started at start.
func (f *feed) setFresh(start time.Time) {
	f.freshMu.Lock()
	f.lastOK = start
	f.freshMu.Unlock()
}

// setStale makes the feed stop being fresh at once.
func (f *feed) setStale() {
	f.freshMu.Lock()
	f.lastOK = time.Time{}
	f.freshMu.Unlock()
}

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
