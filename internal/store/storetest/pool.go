package storetest

import (
	"context"
	"database/sql"
	"testing"
)

// HoldConns takes n connections of db at once, then gives them all back:
// the backends' pool tests check how many stay idle.
func HoldConns(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	conns := make([]*sql.Conn, n)
	for i := range conns {
		c, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		c.Close()
	}
}
