// Package postgres is the production backend: PostgreSQL through pgx's
// database/sql driver. Several service replicas may share one database.
package postgres

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockKey is the advisory lock that serialises migrations between
// replicas starting at the same time. Advisory locks are session-scoped, so
// they do not work behind a transaction-mode pooler (pgBouncer): point
// migrations at the database directly.
const migrationLockKey int64 = 0x6d61735f6d696772 // "mas_migr"

// DefaultMaxConns is upstream's max_connections default, used when
// Options.MaxConns is zero.
const DefaultMaxConns = 10

// Options configure Open. Every open connection may stay idle (the idle
// limit is MaxConns); IdleTimeout and MaxLifetime, when set, retire them.
type Options struct {
	DSN      string
	MaxConns int
	// MinConns connections are opened before Open returns.
	MinConns int
	// ConnectTimeout bounds the first ping and every new connection.
	ConnectTimeout time.Duration
	IdleTimeout    time.Duration
	MaxLifetime    time.Duration
	// ConfigureTLS, when set, adjusts the TLS settings parsed from the
	// DSN (inline CA and client certificates cannot be written in one).
	ConfigureTLS func(*tls.Config) error
	Clock        clock.Clock
	IDs          *domain.IDGenerator
}

// Store is the PostgreSQL store, with access to what the job queue needs.
type Store struct {
	*sqlstore.Store
	driver *riverdatabasesql.Driver
}

// Open connects and checks the connection. It does not migrate.
func Open(ctx context.Context, opts Options) (*Store, error) {
	connConfig, err := pgx.ParseConfig(opts.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres: invalid connection settings: %w", err)
	}
	if opts.ConfigureTLS != nil {
		if connConfig.TLSConfig == nil {
			connConfig.TLSConfig = &tls.Config{ServerName: connConfig.Host, MinVersion: tls.VersionTLS12}
		}
		if err := opts.ConfigureTLS(connConfig.TLSConfig); err != nil {
			return nil, fmt.Errorf("postgres: TLS settings: %w", err)
		}
		for _, fb := range connConfig.Fallbacks {
			if fb.TLSConfig != nil {
				if err := opts.ConfigureTLS(fb.TLSConfig); err != nil {
					return nil, fmt.Errorf("postgres: TLS settings: %w", err)
				}
			}
		}
	}
	if connConfig.ConnectTimeout == 0 {
		// A connect_timeout in the URI wins; otherwise every new
		// connection, not only the first, is bounded.
		connConfig.ConnectTimeout = opts.ConnectTimeout
	}
	db := stdlib.OpenDB(*connConfig)
	pool := sqlstore.Pool{
		MaxConns:    opts.MaxConns,
		MinConns:    opts.MinConns,
		IdleTimeout: opts.IdleTimeout,
		MaxLifetime: opts.MaxLifetime,
	}
	if pool.MaxConns <= 0 {
		pool.MaxConns = DefaultMaxConns
	}
	pool.Apply(db)
	pingCtx := ctx
	if opts.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		pingCtx, cancel = context.WithTimeout(ctx, opts.ConnectTimeout)
		defer cancel()
	}
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: cannot connect: %w", err)
	}
	if err := pool.Warm(pingCtx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: opening min_connections: %w", err)
	}
	driver := riverdatabasesql.New(db)
	inserter, err := river.NewClient(driver, &river.Config{})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: job queue client: %w", err)
	}
	s := sqlstore.New(sqlstore.Options{
		DB:         db,
		Dialect:    sqlstore.Postgres,
		Clock:      opts.Clock,
		IDs:        opts.IDs,
		River:      inserter,
		IsConflict: isConflict,
	})
	return &Store{Store: s, driver: driver}, nil
}

func isConflict(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505" // unique_violation
}

// RiverDriver returns the job queue driver bound to this database.
func (s *Store) RiverDriver() *riverdatabasesql.Driver { return s.driver }

// Migrations returns the embedded schema migrations.
func Migrations() ([]sqlstore.Migration, error) {
	return sqlstore.LoadMigrations(migrationFS, "migrations")
}

// Migrate applies pending schema and job-queue migrations while holding an
// advisory lock, so that replicas starting together migrate one at a time
// and the later ones find nothing left to do. On a database that belongs
// to upstream MAS or to another application it changes nothing and
// returns an error wrapping ErrUpstreamSchema or ErrForeignSchema.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	migrations, err := Migrations()
	if err != nil {
		return nil, err
	}
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		return nil, fmt.Errorf("postgres: taking the migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockKey) //nolint:errcheck // closing the session releases it too

	// Under the lock, so that a replica that finds the database empty
	// cannot race one that is filling it; before ApplyMigrations creates
	// its ledger, so that a database that is not ours is left as it was.
	survey, err := surveySchema(ctx, conn)
	if err != nil {
		return nil, err
	}
	if err := survey.conflict(); err != nil {
		return nil, err
	}

	applied, err := sqlstore.ApplyMigrations(ctx, conn, sqlstore.Postgres, migrations, s.Now())
	if err != nil {
		return applied, err
	}
	queue, err := sqlstore.MigrateRiver(ctx, s.driver)
	if err != nil {
		return applied, fmt.Errorf("postgres: job queue migrations: %w", err)
	}
	return append(applied, queue...), nil
}
