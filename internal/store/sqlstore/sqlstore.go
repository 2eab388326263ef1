// Package sqlstore implements the store interfaces once, over database/sql,
// for both SQL backends. The queries are written in the SQL that SQLite and
// PostgreSQL share ($N placeholders, ON CONFLICT, RETURNING); the two
// backends differ only in their schema files and in how times are bound,
// which Dialect captures. No query text is rewritten at run time.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store"
)

// Dialect captures what differs between the backends at query time.
type Dialect int

const (
	// SQLite stores times as INTEGER microseconds since the Unix epoch.
	SQLite Dialect = iota + 1
	// Postgres stores times as timestamptz.
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Options configure a Store.
type Options struct {
	DB      *sql.DB
	Dialect Dialect
	Clock   clock.Clock
	IDs     *domain.IDGenerator
	// River inserts jobs in the caller's transaction. An insert-only client
	// (no queues configured) is enough.
	River *river.Client[*sql.Tx]
	// IsConflict reports whether a driver error is a uniqueness violation.
	IsConflict func(error) bool
}

// Store implements store.Store.
type Store struct {
	opts  Options
	stmts *stmtCache // nil on PostgreSQL
	feed  *feed
	repos
}

var _ store.Store = (*Store)(nil)

// New wraps an open, migrated database.
func New(opts Options) *Store {
	s := &Store{opts: opts}
	s.feed = newFeed(s)
	s.repos = repos{s: s, q: opts.DB}
	if opts.Dialect == SQLite {
		s.stmts = newStmtCache(opts.DB, stmtCacheSize)
		s.repos.q = cachedDB{s.stmts}
	}
	return s
}

// DB returns the underlying pool.
func (s *Store) DB() *sql.DB { return s.opts.DB }

// Now is the store's clock reading.
func (s *Store) Now() time.Time { return s.opts.Clock.Now() }

// Backend names the dialect.
func (s *Store) Backend() string { return s.opts.Dialect.String() }

// Ping makes a round trip to the database.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.opts.DB.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close releases prepared statements and closes the pool.
func (s *Store) Close() error {
	s.feed.stopFollowing()
	if s.stmts != nil {
		s.stmts.close()
	}
	return s.opts.DB.Close()
}

// Begin starts a transaction. On SQLite the DSN makes every transaction
// BEGIN IMMEDIATE so that writers queue on the busy timeout instead of
// failing with SQLITE_BUSY when they upgrade a read lock.
func (s *Store) Begin(ctx context.Context) (store.Tx, error) {
	return s.begin(ctx)
}

func (s *Store) begin(ctx context.Context) (*tx, error) {
	sqlTx, err := s.opts.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	var q querier = sqlTx
	if s.stmts != nil {
		q = cachedTx{s.stmts, sqlTx}
	}
	return &tx{repos: repos{s: s, q: q, tx: sqlTx, inv: &txInvalidations{}}, sqlTx: sqlTx}, nil
}

type tx struct {
	repos
	sqlTx *sql.Tx
	done  bool
}

// Commit also hands the invalidations the transaction recorded to the
// feed, which returns once every follower has applied them.
func (t *tx) Commit() error {
	t.done = true
	if err := t.sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	t.s.feed.committed(t.inv)
	return nil
}

func (t *tx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	err := t.sqlTx.Rollback()
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// repos binds repositories to either the pool or a transaction.
type repos struct {
	s  *Store
	q  querier
	tx *sql.Tx // nil outside a transaction
	// inv collects the transaction's invalidations; nil outside one.
	inv *txInvalidations
}

// now is the current time from the injected clock, at the microsecond
// precision both backends keep.
func (r repos) now() time.Time { return r.s.opts.Clock.Now().UTC().Truncate(time.Microsecond) }

// newID returns a fresh ID for an entity created at now.
func (r repos) newID(now time.Time) domain.ID { return r.s.opts.IDs.New(now) }

// t binds a time for the backend's column type.
func (r repos) t(v time.Time) any {
	v = v.UTC().Truncate(time.Microsecond)
	if r.s.opts.Dialect == SQLite {
		return v.UnixMicro()
	}
	return v
}

// tp binds an optional time; nil becomes NULL.
func (r repos) tp(v *time.Time) any {
	if v == nil {
		return nil
	}
	return r.t(*v)
}

// mapErr turns driver errors into store sentinels.
func (r repos) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case r.s.opts.IsConflict != nil && r.s.opts.IsConflict(err):
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	default:
		return err
	}
}

// exec runs a write and maps its error.
func (r repos) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := r.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, r.mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, nil
}

// transition runs a conditional UPDATE whose WHERE clause re-checks the
// state the domain transition started from. Zero rows means another writer
// got there first.
func (r repos) transition(ctx context.Context, what string, query string, args ...any) error {
	n, err := r.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: %s changed concurrently", store.ErrConflict, what)
	}
	return nil
}
