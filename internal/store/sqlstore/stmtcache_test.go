package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	_ "modernc.org/sqlite" // the driver the cache serves
)

// The cache keeps at most max texts; the others still run, unprepared.
// Once closed it keeps nothing more.
func TestStmtCacheBound(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	c := newStmtCache(db, 2)
	q := cachedDB{c}
	answer := func(i int) {
		t.Helper()
		var got int
		if err := q.QueryRowContext(ctx, fmt.Sprintf("SELECT %d + $1", i), 1).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("SELECT %d + 1 = %d, %v", i, got, err)
		}
	}
	for i := range 4 {
		answer(i)
		answer(i)
	}
	if n := len(c.stmts); n != 2 {
		t.Fatalf("kept %d statements, want the bound 2", n)
	}
	// Batches with long argument lists are left out.
	long := make([]any, maxCachedArgs+1)
	if stmt := c.get(ctx, "SELECT 1", len(long)); stmt != nil {
		t.Fatal("a statement with a long argument list was kept")
	}
	c.close()
	if len(c.stmts) != 0 {
		t.Fatalf("closed cache holds %d statements", len(c.stmts))
	}
	if stmt := c.get(ctx, "SELECT 2", 0); stmt != nil {
		t.Fatal("a closed cache kept a new statement")
	}
}
