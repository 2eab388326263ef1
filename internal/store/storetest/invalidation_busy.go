package storetest

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/store"
)

// WriteBlocker takes, on db, a lock that makes every other process's write
// to cache_followers wait (SQLite's write lock, a PostgreSQL table lock),
// and returns what releases it.
type WriteBlocker func(t *testing.T, db *sql.DB) (release func())

// RunFreshWhileWritesWait checks that a follower keeps its lease while
// its heartbeat cannot be written (another process holds the lock for
// much longer than the lease): freshness rests on reading the feed alone.
// Then writes go through again and reach the follower before they return.
func RunFreshWhileWritesWait(t *testing.T, open PairOpener, block WriteBlocker) {
	clk := clocktest.New(Start)
	a, b := open(t, clk)
	f := newFixture(t, a, clk, "alice")
	remote := record(t, b)
	Follow(t, b)

	release := block(t, bulkDB(t, &H{S: a, Clock: clk}))
	// Long enough for a lease that needed a heartbeat written to run out.
	time.Sleep(2 * time.Second)
	fresh := false
	for deadline := time.Now().Add(10 * time.Second); !fresh && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		fresh = b.Invalidations().Fresh()
	}
	release()
	if !fresh {
		t.Fatal("the follower lost its lease while its heartbeat waited for a lock")
	}

	must(t, a.AccessTokens().Revoke(context.Background(), f.access))
	if !remote.has(store.Invalidation{Kind: store.InvalidateAccessToken, ID: f.access.ID}) {
		t.Fatal("after the lock, the follower had not applied a revocation when the writer's call returned")
	}
}
