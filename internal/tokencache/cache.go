// Package tokencache keeps what introspection learnt about a token in
// memory, so that the next question about it costs no database round trip.
//
// It never answers with facts that may have changed: it answers only while
// the store's invalidation feed is fresh (every invalidation committed so
// far has been applied here), drops entries the moment an invalidation
// names their token, session or user, never keeps an entry beyond the
// token's expiry or a maximum age, and refuses to insert what a read
// started before an invalidation returned. Tokens are kept by their
// SHA-256, never in plaintext.
package tokencache

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	"mas/internal/clock"
	"mas/internal/store"
)

// Defaults: room for the tokens a large homeserver uses within Synapse's
// own two-minute cache window, and an age well within the default access
// token lifetime (tokens without expiry are rechecked this often).
const (
	DefaultMaxEntries = 100_000
	DefaultMaxAge     = 5 * time.Minute
)

// Key is the SHA-256 of a token.
type Key [sha256.Size]byte

// KeyOf hashes a token.
func KeyOf(token string) Key { return sha256.Sum256([]byte(token)) }

// Ref names an object an entry's facts depend on: an invalidation of it
// drops the entry.
type Ref = store.Invalidation

// Options bound the cache. Zero values take the defaults.
type Options struct {
	MaxEntries int
	MaxAge     time.Duration
}

type entry[V any] struct {
	value    V
	expires  time.Time // zero: the token does not expire
	inserted time.Time
	refs     []Ref
}

// Cache maps tokens to the facts V introspection needs. The zero value is
// not usable; a nil *Cache is a cache that never hits.
type Cache[V any] struct {
	feed       store.InvalidationFeed
	clock      clock.Clock
	maxEntries int
	maxAge     time.Duration
	unsub      func()

	mu      sync.RWMutex
	entries map[Key]*entry[V]
	index   map[Ref]map[Key]struct{}
	gen     uint64 // bumped by every invalidation and purge
	// stale is set when the feed was seen not fresh: invalidations may
	// have been missed, so everything is dropped once it is fresh again.
	stale atomic.Bool

	hits, misses, invalidations, evictions atomic.Uint64
}

// New builds a cache that follows feed. Close unsubscribes.
func New[V any](feed store.InvalidationFeed, clk clock.Clock, opts Options) *Cache[V] {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	c := &Cache[V]{
		feed:       feed,
		clock:      clk,
		maxEntries: opts.MaxEntries,
		maxAge:     opts.MaxAge,
		entries:    make(map[Key]*entry[V]),
		index:      make(map[Ref]map[Key]struct{}),
	}
	c.unsub = feed.Subscribe(c.invalidate)
	return c
}

// Close stops following the feed and empties the cache.
func (c *Cache[V]) Close() {
	if c == nil {
		return
	}
	c.unsub()
	c.purge()
}

// fresh reports whether the cache may answer, dropping everything when
// the feed has just become fresh again after a gap.
func (c *Cache[V]) fresh() bool {
	if !c.feed.Fresh() {
		c.stale.Store(true)
		return false
	}
	if c.stale.Load() {
		c.mu.Lock()
		if c.stale.CompareAndSwap(true, false) {
			c.clearLocked()
		}
		c.mu.Unlock()
	}
	return true
}

// Get returns the facts cached for k, if they may be used now.
func (c *Cache[V]) Get(k Key) (v V, ok bool) {
	if c == nil {
		return v, false
	}
	if !c.fresh() {
		c.misses.Add(1)
		return v, false
	}
	c.mu.RLock()
	e := c.entries[k]
	c.mu.RUnlock()
	if e == nil {
		c.misses.Add(1)
		return v, false
	}
	now := c.clock.Now()
	if (!e.expires.IsZero() && !now.Before(e.expires)) || now.Sub(e.inserted) >= c.maxAge {
		c.mu.Lock()
		if c.entries[k] == e {
			c.removeLocked(k, e)
		}
		c.mu.Unlock()
		c.misses.Add(1)
		return v, false
	}
	c.hits.Add(1)
	return e.value, true
}

// Generation is taken before the database read whose result may be
// inserted; Put refuses the result if anything was invalidated since.
type Generation struct {
	n  uint64
	ok bool
}

// Generation returns the current generation.
func (c *Cache[V]) Generation() Generation {
	if c == nil || !c.fresh() {
		return Generation{}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return Generation{n: c.gen, ok: true}
}

// Put caches v for k until expires (zero: no expiry, only the maximum
// age), unless an invalidation happened since g was taken. refs are the
// objects whose invalidation must drop it.
func (c *Cache[V]) Put(g Generation, k Key, v V, expires time.Time, refs ...Ref) {
	if c == nil || !g.ok || !c.feed.Fresh() {
		return
	}
	now := c.clock.Now()
	if !expires.IsZero() && !now.Before(expires) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != g.n {
		return
	}
	if old := c.entries[k]; old != nil {
		c.removeLocked(k, old)
	}
	for len(c.entries) >= c.maxEntries {
		// Any entry will do: map iteration starts at a random place, so
		// this is random eviction at constant cost.
		for victim, e := range c.entries {
			c.removeLocked(victim, e)
			c.evictions.Add(1)
			break
		}
	}
	c.entries[k] = &entry[V]{value: v, expires: expires, inserted: now, refs: refs}
	for _, r := range refs {
		keys := c.index[r]
		if keys == nil {
			keys = make(map[Key]struct{}, 1)
			c.index[r] = keys
		}
		keys[k] = struct{}{}
	}
}

// invalidate is the feed subscriber: it drops every entry that depends on
// the object.
func (c *Cache[V]) invalidate(inv store.Invalidation) {
	c.invalidations.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if inv.Kind == store.InvalidateAll {
		c.clearLocked()
		return
	}
	c.gen++
	for k := range c.index[inv] {
		if e := c.entries[k]; e != nil {
			c.removeLocked(k, e)
		}
	}
	delete(c.index, inv)
}

func (c *Cache[V]) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearLocked()
}

func (c *Cache[V]) clearLocked() {
	c.gen++
	clear(c.entries)
	clear(c.index)
}

func (c *Cache[V]) removeLocked(k Key, e *entry[V]) {
	delete(c.entries, k)
	for _, r := range e.refs {
		if keys := c.index[r]; keys != nil {
			delete(keys, k)
			if len(keys) == 0 {
				delete(c.index, r)
			}
		}
	}
}

// Stats are the cache's counters since it was built.
type Stats struct {
	Hits, Misses, Invalidations, Evictions uint64
	Entries                                int
}

// Stats returns the counters.
func (c *Cache[V]) Stats() Stats {
	c.mu.RLock()
	n := len(c.entries)
	c.mu.RUnlock()
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Invalidations: c.invalidations.Load(),
		Evictions: c.evictions.Load(), Entries: n}
}
