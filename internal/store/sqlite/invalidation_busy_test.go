package sqlite_test

import (
	"context"
	"database/sql"
	"testing"

	"mas/internal/store/storetest"
)

// The write lock of SQLite, held on a connection of the other process.
func TestInvalidationFeedFreshWhileWritesWait(t *testing.T) {
	storetest.RunFreshWhileWritesWait(t, openPair, func(t *testing.T, db *sql.DB) func() {
		ctx := context.Background()
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
			t.Fatal(err)
		}
		return func() {
			_, _ = conn.ExecContext(ctx, `ROLLBACK`)
			conn.Close()
		}
	})
}
