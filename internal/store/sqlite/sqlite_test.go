package sqlite_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/store/sqlite"
	"mas/internal/store/storetest"
	"mas/internal/testdb"
)

// open copies testdb's migrated template rather than migrating each store;
// TestMigrate covers migrating an empty file.
func open(t *testing.T, clk *clocktest.Fake) store.Store {
	t.Helper()
	s, _ := testdb.OpenBackend(t, testdb.SQLite, clk)
	return s
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

func TestConcurrency(t *testing.T) { storetest.RunConcurrency(t, open) }

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Options{
		Path:  filepath.Join(t.TempDir(), "mas.db"),
		Clock: clocktest.New(storetest.Start),
		IDs:   domain.NewIDGenerator(rand.Reader),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	migrations, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Ours come first, then the job queue's.
	if len(applied) <= len(migrations) {
		t.Fatalf("first Migrate applied %v, want our %d migrations and the job queue's", applied, len(migrations))
	}
	for i, m := range migrations {
		if applied[i] != m.Version {
			t.Errorf("applied[%d] = %q, want %q", i, applied[i], m.Version)
		}
	}
	again, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", again)
	}
}

// A path with characters a "file:" URI gives a meaning to opens that very
// file, not one named after the part before them.
func TestPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a#b?c%20d")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "mas.db")
	s, err := sqlite.Open(context.Background(), sqlite.Options{
		Path: path, Clock: clocktest.New(storetest.Start), IDs: domain.NewIDGenerator(rand.Reader),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at %s: %v", path, err)
	}
}
