package postgres_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store/postgres"
	"mas/internal/store/postgres/pgtest"
	"mas/internal/store/storetest"
)

// The pool keeps every connection it opened idle (database/sql's default
// idle limit of two would close and reopen them under load) and opens
// min_connections up front.
func TestPoolSettings(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Options{
		DSN:            pgtest.NewDatabaseFrom(t, template),
		MaxConns:       5,
		MinConns:       3,
		ConnectTimeout: 10 * time.Second,
		IdleTimeout:    time.Hour,
		MaxLifetime:    time.Hour,
		Clock:          clock.System{},
		IDs:            domain.NewIDGenerator(rand.Reader),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db := s.DB()
	if st := db.Stats(); st.OpenConnections != 3 || st.Idle != 3 {
		t.Fatalf("after Open: %d open, %d idle; want min_connections = 3 of each", st.OpenConnections, st.Idle)
	}
	if st := db.Stats(); st.MaxOpenConnections != 5 {
		t.Fatalf("MaxOpenConnections = %d, want 5", st.MaxOpenConnections)
	}
	storetest.HoldConns(t, db, 5)
	st := db.Stats()
	if st.Idle != 5 || st.MaxIdleClosed != 0 {
		t.Fatalf("after using 5 connections at once: %d idle, %d closed for the idle limit; want 5 and 0", st.Idle, st.MaxIdleClosed)
	}
}

func TestPoolDefaultSize(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Options{
		DSN:   pgtest.NewDatabaseFrom(t, template),
		Clock: clock.System{},
		IDs:   domain.NewIDGenerator(rand.Reader),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if got := s.DB().Stats().MaxOpenConnections; got != postgres.DefaultMaxConns {
		t.Fatalf("MaxOpenConnections = %d, want upstream's default %d", got, postgres.DefaultMaxConns)
	}
}
