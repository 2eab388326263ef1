package sqlite_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store/sqlite"
	"mas/internal/store/storetest"
)

func openPool(t *testing.T, opts sqlite.Options) *sql.DB {
	t.Helper()
	opts.Clock = clocktest.New(storetest.Start)
	opts.IDs = domain.NewIDGenerator(rand.Reader)
	s, err := sqlite.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.DB()
}

// Every connection may stay idle: database/sql's default idle limit of two
// closes and reopens connections (and re-runs the pragmas) under load.
func TestPoolKeepsConnectionsIdle(t *testing.T) {
	db := openPool(t, sqlite.Options{
		Path:        filepath.Join(t.TempDir(), "mas.db"),
		MaxConns:    4,
		IdleTimeout: time.Hour,
		MaxLifetime: time.Hour,
	})
	if got := db.Stats().MaxOpenConnections; got != 4 {
		t.Fatalf("MaxOpenConnections = %d, want max_connections = 4", got)
	}
	storetest.HoldConns(t, db, 4)
	if st := db.Stats(); st.Idle != 4 || st.MaxIdleClosed != 0 {
		t.Fatalf("after using 4 connections at once: %d idle, %d closed for the idle limit; want 4 and 0", st.Idle, st.MaxIdleClosed)
	}
}

func TestPoolDefaults(t *testing.T) {
	db := openPool(t, sqlite.Options{Path: filepath.Join(t.TempDir(), "mas.db")})
	if got := db.Stats().MaxOpenConnections; got != sqlite.DefaultMaxConns {
		t.Fatalf("MaxOpenConnections = %d, want %d", got, sqlite.DefaultMaxConns)
	}
	mem := openPool(t, sqlite.Options{Path: ":memory:", MaxConns: 5})
	if got := mem.Stats().MaxOpenConnections; got != 1 {
		t.Fatalf("in memory: MaxOpenConnections = %d, want 1 (each connection is its own database)", got)
	}
}
