// Package testdb gives tests a fresh, migrated, empty store on the backend
// chosen by MAS_TEST_BACKEND: "sqlite" (the default, a file in the test's
// temporary directory) or "postgres" (a throw-away database on the server
// of MAS_TEST_DATABASE_URL, skipped loudly when that is unset, failed
// under CI=true). Tests written against store.Store thus run unchanged on
// both backends.
//
// It is test support in plain .go files, so that the tests of several
// packages can share it; no production package may import it.
//
// On PostgreSQL every store is a copy of a migrated template database
// (copying is much faster than migrating). The template is named after a
// hash of the migrations, built by the first test process that needs it
// and never dropped, because a helper has no hook at process exit and
// concurrent test processes share it: see pgtest.SharedTemplate. A change
// to the migrations gets a new template; old ones stay on the test server
// until dropped by hand.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/store/postgres"
	"mas/internal/store/postgres/pgtest"
	"mas/internal/store/sqlite"
)

// EnvVar selects the backend of Open.
const EnvVar = "MAS_TEST_BACKEND"

// The backends EnvVar may name.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Backend is the backend Open uses: the value of MAS_TEST_BACKEND, or
// "sqlite" when it is unset.
func Backend() string {
	if b := os.Getenv(EnvVar); b != "" {
		return b
	}
	return SQLite
}

// Open returns a migrated, empty store on Backend(), closed when the test
// ends.
func Open(t testing.TB, clk clock.Clock) store.Store {
	t.Helper()
	s, _ := OpenBackend(t, Backend(), clk)
	return s
}

// OpenWithDriver is Open that also returns the job queue driver bound to
// the same database, for tests that run or inspect jobs.
func OpenWithDriver(t testing.TB, clk clock.Clock) (store.Store, riverdriver.Driver[*sql.Tx]) {
	t.Helper()
	return OpenBackend(t, Backend(), clk)
}

// OpenBackend is OpenWithDriver on a backend named by the caller rather
// than by MAS_TEST_BACKEND, for tests that run on both in one go.
func OpenBackend(t testing.TB, backend string, clk clock.Clock) (store.Store, riverdriver.Driver[*sql.Tx]) {
	t.Helper()
	ctx := context.Background()
	ids := domain.NewIDGenerator(rand.Reader)
	switch backend {
	case SQLite:
		s, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "mas.db"), Clock: clk, IDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return s, s.RiverDriver()
	case Postgres:
		tmpl, err := postgresTemplate()
		if err != nil {
			t.Fatal(err)
		}
		// Without MAS_TEST_DATABASE_URL tmpl is "" and this skips (or
		// fails under CI=true) before creating anything.
		dsn := pgtest.NewDatabaseFrom(t, tmpl)
		s, err := postgres.Open(ctx, postgres.Options{DSN: dsn, Clock: clk, IDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		// Registered after the database's drop, so it runs before it.
		t.Cleanup(func() { s.Close() })
		return s, s.RiverDriver()
	default:
		t.Fatalf("testdb: %s=%q: want %q or %q", EnvVar, backend, SQLite, Postgres)
		return nil, nil
	}
}

// DB is the database handle under a store from Open, for the tests that
// count rows with SQL of their own.
func DB(t testing.TB, s store.Store) *sql.DB {
	t.Helper()
	h, ok := s.(interface{ DB() *sql.DB })
	if !ok {
		t.Fatalf("testdb: %T has no database handle", s)
	}
	return h.DB()
}

var template struct {
	once sync.Once
	name string
	err  error
}

// postgresTemplate returns the shared template, building it on first use
// in this process if no process has yet.
func postgresTemplate() (string, error) {
	template.once.Do(func() {
		var name string
		name, template.err = templateName()
		if template.err != nil {
			return
		}
		template.name, template.err = pgtest.SharedTemplate(name, func(dsn string) error {
			ctx := context.Background()
			s, err := postgres.Open(ctx, postgres.Options{DSN: dsn, Clock: clock.System{}, IDs: domain.NewIDGenerator(rand.Reader)})
			if err != nil {
				return err
			}
			defer s.Close()
			_, err = s.Migrate(ctx)
			return err
		})
	})
	return template.name, template.err
}

// templateName hashes everything postgres.Store.Migrate applies: our
// migrations and the job queue's, whose SQL changes with River's version.
func templateName() (string, error) {
	migrations, err := postgres.Migrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range migrations {
		fmt.Fprintf(h, "mas %q %q\n", m.Version, m.SQL)
	}
	migrator, err := rivermigrate.New(riverdatabasesql.New(nil), nil)
	if err != nil {
		return "", fmt.Errorf("testdb: job queue migrations: %w", err)
	}
	for _, m := range migrator.AllVersions() {
		fmt.Fprintf(h, "river %d %q\n", m.Version, m.SQLUp)
	}
	return "mas_tmpl_" + hex.EncodeToString(h.Sum(nil)[:8]), nil
}
