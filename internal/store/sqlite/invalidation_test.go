package sqlite_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/store/sqlite"
	"mas/internal/store/storetest"
)

// openPair opens one database file twice, as two processes would.
func openPair(t testing.TB, clk *clocktest.Fake) (store.Store, store.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mas.db")
	var stores [2]store.Store
	for i := range stores {
		s, err := sqlite.Open(context.Background(), sqlite.Options{Path: path, Clock: clk, IDs: domain.NewIDGenerator(rand.Reader)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if i == 0 {
			if _, err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		stores[i] = s
	}
	return stores[0], stores[1]
}

func TestInvalidationFeed(t *testing.T) { storetest.RunInvalidation(t, openPair) }

func BenchmarkInvalidation(b *testing.B) { storetest.BenchInvalidation(b, openPair) }
