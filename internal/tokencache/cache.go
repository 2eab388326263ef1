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
	"math"
	"sync"
	"sync/atomic"
	"time"

	"mas/internal/clock"
	"mas/internal/domain"
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

// maxRefs is the most objects an entry may depend on (a personal token's:
// token, session, actor and owner). Put refuses entries with more.
const maxRefs = 4

// refKey is a Ref as the cache keeps it: without the kind's string, so
// that the index holds no pointer for the garbage collector to follow
// (100,000 entries depend on 300,000 objects).
type refKey struct {
	id   domain.ID
	kind uint8
}

// entry is one cached token. Times are Unix nanoseconds, again to keep
// pointers out.
type entry[V any] struct {
	value    V
	expires  int64 // 0: the token does not expire
	inserted int64
	refs     [maxRefs]refKey
	nrefs    uint8
}

// slot lists the entries that depend on one object: nearly always one (a
// token's, a session's), so it is kept inline; the others (a user's many
// tokens) go to the overflow map.
type slot struct {
	first Key
	more  bool
}

// Cache maps tokens to the facts V introspection needs. The zero value is
// not usable; a nil *Cache is a cache that never hits.
type Cache[V any] struct {
	feed       store.InvalidationFeed
	clock      clock.Clock
	maxEntries int
	maxAge     time.Duration
	unsub      func()

	mu       sync.RWMutex
	entries  map[Key]*entry[V]
	index    map[refKey]slot
	overflow map[refKey]map[Key]struct{}
	kinds    map[store.InvalidationKind]uint8 // numbers of the kinds seen, from 1
	gen      uint64                           // bumped by every invalidation and purge
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
		index:      make(map[refKey]slot),
		overflow:   make(map[refKey]map[Key]struct{}),
		kinds:      make(map[store.InvalidationKind]uint8),
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
	now := c.clock.Now().UnixNano()
	if (e.expires != 0 && now >= e.expires) || now-e.inserted >= int64(c.maxAge) {
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

// Valid reports whether a Put with g may insert at all (the cache was in
// use and fresh when g was taken), so that a caller can skip preparing a
// value that would be refused.
func (g Generation) Valid() bool { return g.ok }

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
	if c == nil || !g.ok || !c.feed.Fresh() || len(refs) > maxRefs {
		return
	}
	now := c.clock.Now()
	if !expires.IsZero() && !now.Before(expires) {
		return
	}
	e := &entry[V]{value: v, inserted: now.UnixNano(), nrefs: uint8(len(refs))}
	if !expires.IsZero() && expires.Before(maxNanos) {
		e.expires = expires.UnixNano()
	} // else only the maximum age bounds it
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != g.n {
		return
	}
	for i, r := range refs {
		rk, ok := c.refKeyOf(r, true)
		if !ok {
			return // more kinds than a byte numbers: never cached
		}
		e.refs[i] = rk
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
	c.entries[k] = e
	for _, rk := range e.refs[:e.nrefs] {
		c.indexLocked(rk, k)
	}
}

// maxNanos is the last instant Unix nanoseconds can hold.
var maxNanos = time.Unix(0, math.MaxInt64)

// refKeyOf numbers r's kind; add allows a new number (under the write
// lock).
func (c *Cache[V]) refKeyOf(r Ref, add bool) (refKey, bool) {
	n, ok := c.kinds[r.Kind]
	if !ok {
		if !add || len(c.kinds) >= math.MaxUint8 {
			return refKey{}, false
		}
		n = uint8(len(c.kinds) + 1)
		c.kinds[r.Kind] = n
	}
	return refKey{id: r.ID, kind: n}, true
}

// indexLocked records that k depends on rk.
func (c *Cache[V]) indexLocked(rk refKey, k Key) {
	s, ok := c.index[rk]
	switch {
	case !ok:
		c.index[rk] = slot{first: k}
	case s.first == k:
	default:
		more := c.overflow[rk]
		if more == nil {
			more = make(map[Key]struct{}, 1)
			c.overflow[rk] = more
			c.index[rk] = slot{first: s.first, more: true}
		}
		more[k] = struct{}{}
	}
}

// unindexLocked forgets that k depends on rk.
func (c *Cache[V]) unindexLocked(rk refKey, k Key) {
	s, ok := c.index[rk]
	if !ok {
		return
	}
	more := c.overflow[rk]
	if s.first == k {
		if len(more) == 0 {
			delete(c.index, rk)
			return
		}
		for next := range more {
			s.first = next
			delete(more, next)
			break
		}
	} else {
		delete(more, k)
	}
	if s.more && len(more) == 0 {
		delete(c.overflow, rk)
		s.more = false
	}
	c.index[rk] = s
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
	rk, ok := c.refKeyOf(inv, false)
	if !ok {
		return // a kind no entry depends on
	}
	s, ok := c.index[rk]
	if !ok {
		return
	}
	keys := make([]Key, 0, 1+len(c.overflow[rk]))
	keys = append(keys, s.first)
	for k := range c.overflow[rk] {
		keys = append(keys, k)
	}
	for _, k := range keys {
		if e := c.entries[k]; e != nil {
			c.removeLocked(k, e)
		}
	}
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
	clear(c.overflow)
}

func (c *Cache[V]) removeLocked(k Key, e *entry[V]) {
	delete(c.entries, k)
	for _, rk := range e.refs[:e.nrefs] {
		c.unindexLocked(rk, k)
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
