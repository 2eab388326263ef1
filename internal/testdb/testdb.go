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
//
// On SQLite every store is likewise a byte copy of a migrated template,
// built once per test process: migrating costs tens of milliseconds of SQL
// parsing per store, writing the copy well under one. The template is
// migrated in a scratch directory, checkpointed and closed so that the main
// file holds everything, read into memory and its directory removed at
// once; each test then gets the bytes as a file in its own temporary
// directory, opened through sqlite.Open like any database so that the
// DSN's pragmas apply, and already up to date for Migrate.
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
		image, err := sqliteTemplate()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "mas.db")
		if err := os.WriteFile(path, image, 0o600); err != nil {
			t.Fatal(err)
		}
		// Opened like any database, so the DSN's pragmas apply to the copy.
		s, err := sqlite.Open(ctx, sqlite.Options{Path: path, Clock: clk, IDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
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

var sqliteTmpl struct {
	once  sync.Once
	image []byte
	err   error
}

// sqliteTemplate returns the bytes of a migrated SQLite database, built on
// first use in this process. Keeping the bytes rather than the file lets
// the build remove its directory at once: a helper has no hook at process
// exit.
func sqliteTemplate() ([]byte, error) {
	sqliteTmpl.once.Do(func() {
		sqliteTmpl.image, sqliteTmpl.err = buildSQLiteTemplate()
	})
	return sqliteTmpl.image, sqliteTmpl.err
}

func buildSQLiteTemplate() (image []byte, err error) {
	dir, err := os.MkdirTemp("", "mas-testdb-")
	if err != nil {
		return nil, fmt.Errorf("testdb: sqlite template: %w", err)
	}
	defer func() {
		if rmErr := os.RemoveAll(dir); rmErr != nil && err == nil {
			err = fmt.Errorf("testdb: sqlite template: %w", rmErr)
		}
	}()
	path := filepath.Join(dir, "mas.db")
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Options{Path: path, Clock: clock.System{}, IDs: domain.NewIDGenerator(rand.Reader)})
	if err != nil {
		return nil, fmt.Errorf("testdb: sqlite template: %w", err)
	}
	_, err = s.Migrate(ctx)
	if err == nil {
		// The migrations sit in the write-ahead log until checkpointed, and
		// only the main file is copied.
		_, err = s.DB().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	if closeErr := s.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, fmt.Errorf("testdb: sqlite template: %w", err)
	}
	// Closing the last connection checkpoints again and deletes the log; a
	// log with content left behind would mean the copy misses part of the
	// schema.
	if fi, statErr := os.Stat(path + "-wal"); statErr == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("testdb: sqlite template: %s-wal still holds %d bytes after checkpoint", path, fi.Size())
	}
	image, err = os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("testdb: sqlite template: %w", err)
	}
	return image, nil
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
