package postgres_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"testing"

	"mas/internal/clock"
	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/store/postgres"
	"mas/internal/store/postgres/pgtest"
	"mas/internal/store/storetest"
)

// template is a migrated database each test copies: copying is far faster
// than running every migration per test.
var template string

func TestMain(m *testing.M) {
	name, drop, err := pgtest.Template(func(dsn string) error {
		ctx := context.Background()
		s, err := postgres.Open(ctx, postgres.Options{DSN: dsn, Clock: clock.System{}, IDs: domain.NewIDGenerator(rand.Reader)})
		if err != nil {
			return err
		}
		defer s.Close()
		_, err = s.Migrate(ctx)
		return err
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	template = name
	code := m.Run()
	drop()
	os.Exit(code)
}

func open(t *testing.T, clk *clocktest.Fake) store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Options{
		DSN:   pgtest.NewDatabaseFrom(t, template),
		Clock: clk,
		IDs:   domain.NewIDGenerator(rand.Reader),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// Migrating a copy of the template must find nothing to do.
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("template was not fully migrated: applied %v", applied)
	}
	return s
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

func TestConcurrency(t *testing.T) { storetest.RunConcurrency(t, open) }

// TestMigrateFromEmpty runs every migration on an empty database, twice.
func TestMigrateFromEmpty(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Options{DSN: pgtest.NewDatabase(t), Clock: clock.System{}, IDs: domain.NewIDGenerator(rand.Reader)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) == 0 {
		t.Fatal("no migrations applied to an empty database")
	}
	second, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 0 {
		t.Fatalf("second run applied %v", second)
	}
}
