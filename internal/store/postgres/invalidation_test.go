package postgres_test

import (
	"context"
	"crypto/rand"
	"testing"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/store/postgres"
	"mas/internal/store/postgres/pgtest"
	"mas/internal/store/storetest"
)

// openPair opens one database twice, as two processes would.
func openPair(t testing.TB, clk *clocktest.Fake) (store.Store, store.Store) {
	t.Helper()
	dsn := pgtest.NewDatabaseFrom(t, template)
	var stores [2]store.Store
	for i := range stores {
		s, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, Clock: clk, IDs: domain.NewIDGenerator(rand.Reader)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	return stores[0], stores[1]
}

func TestInvalidationFeed(t *testing.T) { storetest.RunInvalidation(t, openPair) }

func BenchmarkInvalidation(b *testing.B) { storetest.BenchInvalidation(b, openPair) }
