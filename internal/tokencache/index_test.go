package tokencache

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// TestIndexFollowsEntries: after any mix of inserts, replacements,
// evictions, expiries and invalidations, the index lists under each object
// exactly the entries that depend on it, and an invalidation drops exactly
// those.
func TestIndexFollowsEntries(t *testing.T) {
	e := newEnv(t, Options{MaxEntries: 20})
	rng := rand.New(rand.NewPCG(1, 2))
	users := []domain.ID{e.id(), e.id(), e.id()}
	sessions := []domain.ID{e.id(), e.id(), e.id(), e.id(), e.id()}
	deps := map[string][]Ref{} // what each token was last put with
	for i := range 5000 {
		tok := "mat_" + strconv.Itoa(rng.IntN(40))
		switch op := rng.IntN(10); {
		case op < 6:
			refs := []Ref{{Kind: store.InvalidateAccessToken, ID: e.id()},
				{Kind: store.InvalidateOAuthSession, ID: sessions[rng.IntN(len(sessions))]},
				{Kind: store.InvalidateUser, ID: users[rng.IntN(len(users))]}}
			deps[tok] = refs
			e.put(tok, time.Time{}, refs...)
		case op < 9:
			refs := deps[tok]
			if len(refs) == 0 {
				continue
			}
			r := refs[rng.IntN(len(refs))]
			e.feed.publish(r.Kind, r.ID)
			for other, rr := range deps {
				if _, ok := e.c.entries[KeyOf(other)]; ok && contains(rr, r) {
					t.Fatalf("step %d: invalidating %v left %s cached", i, r, other)
				}
			}
		default:
			e.clock.Advance(time.Minute) // some entries reach the age bound
			e.wantMiss("mat_none")
		}
		checkIndex(t, e.c, deps)
	}
}

func contains(refs []Ref, r Ref) bool {
	for _, x := range refs {
		if x == r {
			return true
		}
	}
	return false
}

// checkIndex compares the index with the entries present.
func checkIndex(t *testing.T, c *Cache[string], deps map[string][]Ref) {
	t.Helper()
	want := map[Ref]int{}
	for tok, refs := range deps {
		if _, ok := c.entries[KeyOf(tok)]; ok {
			for _, r := range refs {
				want[r]++
			}
		}
	}
	n := 0
	for r, count := range want {
		if got := c.indexed(r); got != count {
			t.Fatalf("index lists %d entries under %v, want %d", got, r, count)
		}
		n++
	}
	if len(c.index) != n {
		t.Fatalf("index has %d objects, want %d", len(c.index), n)
	}
}
