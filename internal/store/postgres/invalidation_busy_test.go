package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"mas/internal/store/storetest"
)

// A lock on the followers' table that lets reads through but makes every
// heartbeat wait.
func TestInvalidationFeedFreshWhileWritesWait(t *testing.T) {
	storetest.RunFreshWhileWritesWait(t, openPair, func(t *testing.T, db *sql.DB) func() {
		tx, err := db.BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`LOCK TABLE cache_followers IN EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		return func() { _ = tx.Rollback() }
	})
}
