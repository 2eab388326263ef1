// Package sqlite is the embedded backend: a single file (or memory)
// database through modernc.org/sqlite, pure Go.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options configure Open.
type Options struct {
	// Path is the database file, or ":memory:".
	Path string
	// MaxConns bounds open connections (DefaultMaxConns when zero); all of
	// them may stay idle. IdleTimeout and MaxLifetime, when set, retire
	// connections (a new one re-runs the pragmas, nothing more).
	MaxConns    int
	IdleTimeout time.Duration
	MaxLifetime time.Duration
	Clock       clock.Clock
	IDs         *domain.IDGenerator
}

// DefaultMaxConns is upstream's max_connections default. SQLite has one
// writer at a time (the rest wait on busy_timeout); more connections
// serve more concurrent readers.
const DefaultMaxConns = 10

// Store is the SQLite store, with access to what the job queue needs.
type Store struct {
	*sqlstore.Store
	driver *riversqlite.Driver
}

// Open opens (creating if needed) the database file. It does not migrate.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	memory := opts.Path == ":memory:"
	if !memory {
		if dir := filepath.Dir(opts.Path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("sqlite: creating directory for %s: %w", opts.Path, err)
			}
		}
	}
	db, err := sql.Open("sqlite", dsn(opts.Path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", opts.Path, err)
	}
	pool := sqlstore.Pool{MaxConns: opts.MaxConns, IdleTimeout: opts.IdleTimeout, MaxLifetime: opts.MaxLifetime}
	if pool.MaxConns <= 0 {
		pool.MaxConns = DefaultMaxConns
	}
	if memory {
		// Every connection to ":memory:" is a separate database: keep the
		// one forever.
		pool = sqlstore.Pool{MaxConns: 1}
	}
	pool.Apply(db)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", opts.Path, err)
	}
	driver := riversqlite.New(db)
	inserter, err := river.NewClient(driver, &river.Config{})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: job queue client: %w", err)
	}
	s := sqlstore.New(sqlstore.Options{
		DB:         db,
		Dialect:    sqlstore.SQLite,
		Clock:      opts.Clock,
		IDs:        opts.IDs,
		River:      inserter,
		IsConflict: isConflict,
	})
	return &Store{Store: s, driver: driver}, nil
}

// dsn turns a path into a modernc DSN with the settings the store relies
// on: WAL for concurrent readers, a busy timeout so writers wait instead of
// failing, foreign keys, and BEGIN IMMEDIATE so a transaction takes the
// write lock up front rather than failing when it first writes.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if path != ":memory:" {
		q.Add("_pragma", "journal_mode(WAL)")
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + uriPath.Replace(path) + "?" + q.Encode()
}

// uriPath escapes what a "file:" URI gives a meaning to, so that a path
// with '#', '?' or '%' (a directory named after a Go subtest, say) opens
// that very file: unescaped, SQLite would cut the path at the '#' or '?'
// and open another file.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

func isConflict(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// RiverDriver returns the job queue driver bound to this database.
func (s *Store) RiverDriver() *riversqlite.Driver { return s.driver }

// Migrations returns the embedded schema migrations.
func Migrations() ([]sqlstore.Migration, error) {
	return sqlstore.LoadMigrations(migrationFS, "migrations")
}

// Migrate applies pending schema and job-queue migrations. SQLite allows
// one writer at a time, so concurrent runs serialise on the write lock.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	migrations, err := Migrations()
	if err != nil {
		return nil, err
	}
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	applied, err := sqlstore.ApplyMigrations(ctx, conn, sqlstore.SQLite, migrations, s.Now())
	conn.Close()
	if err != nil {
		return applied, err
	}
	queue, err := sqlstore.MigrateRiver(ctx, s.driver)
	if err != nil {
		return applied, fmt.Errorf("sqlite: job queue migrations: %w", err)
	}
	return append(applied, queue...), nil
}
