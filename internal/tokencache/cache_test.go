package tokencache

import (
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store"
)

// fakeFeed stands in for the store's invalidation feed: the tests decide
// when it is fresh and what it delivers.
type fakeFeed struct {
	mu    sync.Mutex
	fresh bool
	subs  map[int]func(store.Invalidation)
	next  int
}

func newFakeFeed() *fakeFeed { return &fakeFeed{fresh: true, subs: map[int]func(store.Invalidation){}} }

func (f *fakeFeed) Subscribe(fn func(store.Invalidation)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.next
	f.next++
	f.subs[id] = fn
	return func() { f.mu.Lock(); delete(f.subs, id); f.mu.Unlock() }
}

func (f *fakeFeed) Fresh() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.fresh }

func (f *fakeFeed) setFresh(v bool) { f.mu.Lock(); f.fresh = v; f.mu.Unlock() }

func (f *fakeFeed) publish(kind store.InvalidationKind, id domain.ID) {
	f.mu.Lock()
	subs := make([]func(store.Invalidation), 0, len(f.subs))
	for _, fn := range f.subs {
		subs = append(subs, fn)
	}
	f.mu.Unlock()
	for _, fn := range subs {
		fn(store.Invalidation{Kind: kind, ID: id})
	}
}

var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type env struct {
	t     *testing.T
	feed  *fakeFeed
	clock *clocktest.Fake
	c     *Cache[string]
	ids   *domain.IDGenerator
}

func newEnv(t *testing.T, opts Options) *env {
	feed := newFakeFeed()
	clk := clocktest.New(start)
	c := New[string](feed, clk, opts)
	t.Cleanup(c.Close)
	return &env{t: t, feed: feed, clock: clk, c: c, ids: domain.NewIDGenerator(rand.Reader)}
}

func (e *env) id() domain.ID { return e.ids.New(e.clock.Now()) }

func (e *env) put(token string, expires time.Time, refs ...Ref) {
	e.c.Put(e.c.Generation(), KeyOf(token), token+"-facts", expires, refs...)
}

func (e *env) wantHit(token string) {
	e.t.Helper()
	v, ok := e.c.Get(KeyOf(token))
	if !ok || v != token+"-facts" {
		e.t.Fatalf("Get(%s) = %q, %v; want a hit", token, v, ok)
	}
}

func (e *env) wantMiss(token string) {
	e.t.Helper()
	if v, ok := e.c.Get(KeyOf(token)); ok {
		e.t.Fatalf("Get(%s) = %q; want a miss", token, v)
	}
}

func TestHitAndMiss(t *testing.T) {
	e := newEnv(t, Options{})
	e.wantMiss("mat_a")
	e.put("mat_a", time.Time{})
	e.wantHit("mat_a")
	e.wantMiss("mat_b")
	if s := e.c.Stats(); s.Hits != 1 || s.Misses != 2 || s.Entries != 1 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestKeysAreHashes(t *testing.T) {
	e := newEnv(t, Options{})
	e.put("mat_secret", time.Time{})
	for k := range e.c.entries {
		if k != KeyOf("mat_secret") || string(k[:len("mat_secret")]) == "mat_secret" {
			t.Fatal("cache key is not the token's hash")
		}
	}
}

func TestExpiryCheckedOnEveryHit(t *testing.T) {
	e := newEnv(t, Options{MaxAge: time.Hour})
	e.put("mat_a", start.Add(time.Minute))
	e.clock.Advance(59 * time.Second)
	e.wantHit("mat_a")
	e.clock.Advance(time.Second)
	e.wantMiss("mat_a")
	// Already expired: never inserted.
	e.put("mat_b", e.clock.Now())
	e.wantMiss("mat_b")
	if n := e.c.Stats().Entries; n != 0 {
		t.Fatalf("entries = %d", n)
	}
}

func TestAgeBound(t *testing.T) {
	e := newEnv(t, Options{MaxAge: 2 * time.Minute})
	e.put("mat_a", time.Time{})
	e.put("mat_b", start.Add(time.Hour))
	e.clock.Advance(2*time.Minute - time.Nanosecond)
	e.wantHit("mat_a")
	e.clock.Advance(time.Nanosecond)
	e.wantMiss("mat_a")
	e.wantMiss("mat_b")
}

func TestSizeBound(t *testing.T) {
	e := newEnv(t, Options{MaxEntries: 3})
	u := e.id()
	for _, tok := range []string{"mat_1", "mat_2", "mat_3", "mat_4", "mat_5"} {
		e.put(tok, time.Time{}, Ref{Kind: store.InvalidateUser, ID: u})
	}
	s := e.c.Stats()
	if s.Entries != 3 || s.Evictions != 2 {
		t.Fatalf("stats = %+v", s)
	}
	e.wantHit("mat_5") // the newest is never the victim
	// The index forgets evicted entries.
	if n := e.c.indexed(Ref{Kind: store.InvalidateUser, ID: u}); n != 3 {
		t.Fatalf("index holds %d keys", n)
	}
	// And the slot of an object left with one entry holds it inline.
	for _, tok := range []string{"mat_1", "mat_2", "mat_3"} {
		e.c.purge()
		e.put(tok, time.Time{}, Ref{Kind: store.InvalidateUser, ID: u})
	}
	if n := e.c.indexed(Ref{Kind: store.InvalidateUser, ID: u}); n != 1 || len(e.c.overflow) != 0 {
		t.Fatalf("index holds %d keys, overflow %d", n, len(e.c.overflow))
	}
}

// indexed is how many entries the index lists under r.
func (c *Cache[V]) indexed(r Ref) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	rk, ok := c.refKeyOf(r, false)
	if !ok {
		return 0
	}
	s, ok := c.index[rk]
	if !ok {
		return 0
	}
	if len(c.overflow[rk]) > 0 != s.more {
		panic("slot and overflow disagree")
	}
	return 1 + len(c.overflow[rk])
}

// TestEveryInvalidationKind: each kind drops exactly the entries that
// depend on the object it names.
func TestEveryInvalidationKind(t *testing.T) {
	kinds := []store.InvalidationKind{store.InvalidateUser, store.InvalidateOAuthSession, store.InvalidateAccessToken,
		store.InvalidateCompatSession, store.InvalidateCompatAccessToken, store.InvalidatePersonalSession,
		store.InvalidatePersonalAccessToken}
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, Options{})
			target, other := e.id(), e.id()
			// Two tokens depend on the target (as a user's or a session's
			// tokens do), one on another object of the same kind, one on
			// the same ID under another kind.
			otherKind := store.InvalidateUser
			if kind == store.InvalidateUser {
				otherKind = store.InvalidateOAuthSession
			}
			e.put("mat_t1", time.Time{}, Ref{Kind: kind, ID: target}, Ref{Kind: otherKind, ID: e.id()})
			e.put("mct_t2", time.Time{}, Ref{Kind: otherKind, ID: e.id()}, Ref{Kind: kind, ID: target})
			e.put("mat_o1", time.Time{}, Ref{Kind: kind, ID: other})
			e.put("mat_o2", time.Time{}, Ref{Kind: otherKind, ID: target})
			e.feed.publish(kind, target)
			e.wantMiss("mat_t1")
			e.wantMiss("mct_t2")
			e.wantHit("mat_o1")
			e.wantHit("mat_o2")
			if s := e.c.Stats(); s.Invalidations != 1 || s.Entries != 2 {
				t.Fatalf("stats = %+v", s)
			}
		})
	}
}

// TestInsertAfterInvalidation: a lookup that read the database before an
// invalidation must not insert what it read after the invalidation.
func TestInsertAfterInvalidation(t *testing.T) {
	e := newEnv(t, Options{})
	session := e.id()
	g := e.c.Generation() // the lookup starts
	e.feed.publish(store.InvalidateOAuthSession, session)
	e.c.Put(g, KeyOf("mat_a"), "mat_a-facts", time.Time{}, Ref{Kind: store.InvalidateOAuthSession, ID: session})
	e.wantMiss("mat_a")
	// An unrelated invalidation is enough to refuse: the check is cheap
	// and errs on the side of asking the database again.
	g = e.c.Generation()
	e.feed.publish(store.InvalidateUser, e.id())
	e.c.Put(g, KeyOf("mat_b"), "mat_b-facts", time.Time{})
	e.wantMiss("mat_b")
}

func TestNotFreshNoHits(t *testing.T) {
	e := newEnv(t, Options{})
	e.put("mat_a", time.Time{})
	e.feed.setFresh(false)
	e.wantMiss("mat_a")
	// Nothing is inserted while not fresh, nor with a generation taken then.
	g := e.c.Generation()
	e.put("mat_b", time.Time{})
	e.feed.setFresh(true)
	e.c.Put(g, KeyOf("mat_c"), "mat_c-facts", time.Time{})
	// Invalidations may have been missed in the gap: everything is gone.
	e.wantMiss("mat_a")
	e.wantMiss("mat_b")
	e.wantMiss("mat_c")
	e.put("mat_d", time.Time{})
	e.wantHit("mat_d")
}

func TestNilCacheNeverHits(t *testing.T) {
	var c *Cache[string]
	c.Put(c.Generation(), KeyOf("mat_a"), "x", time.Time{})
	if _, ok := c.Get(KeyOf("mat_a")); ok {
		t.Fatal("nil cache hit")
	}
	c.Close()
}

func TestCloseUnsubscribes(t *testing.T) {
	feed := newFakeFeed()
	c := New[string](feed, clocktest.New(start), Options{})
	c.Close()
	if len(feed.subs) != 0 {
		t.Fatal("still subscribed")
	}
}

// TestConcurrentUse is for the race detector.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, Options{MaxEntries: 50})
	u := e.id()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 500 {
				tok := string(rune('a'+i)) + string(rune('a'+j%26))
				e.c.Put(e.c.Generation(), KeyOf(tok), tok, time.Time{}, Ref{Kind: store.InvalidateUser, ID: u})
				e.c.Get(KeyOf(tok))
				if j%50 == 0 {
					e.feed.publish(store.InvalidateUser, u)
				}
			}
		})
	}
	wg.Wait()
	_ = e.c.Stats()
}

// TestInvalidateAll: the feed says it may have missed invalidations.
func TestInvalidateAll(t *testing.T) {
	e := newEnv(t, Options{})
	e.put("mat_a", time.Time{}, Ref{Kind: store.InvalidateUser, ID: e.id()})
	e.put("mat_b", time.Time{})
	g := e.c.Generation()
	e.feed.publish(store.InvalidateAll, domain.ID{})
	e.wantMiss("mat_a")
	e.wantMiss("mat_b")
	e.c.Put(g, KeyOf("mat_c"), "mat_c-facts", time.Time{})
	e.wantMiss("mat_c")
}
