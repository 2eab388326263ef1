package app

import (
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river/riverdriver"

	"mas/internal/clock"
	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/store/postgres"
	"mas/internal/store/sqlite"
)

// openStore connects to the configured backend.
func openStore(ctx context.Context, cfg *config.Config, clk clock.Clock, ids *domain.IDGenerator) (db, riverdriver.Driver[*sql.Tx], error) {
	switch cfg.Database.Backend() {
	case config.BackendSQLite:
		pool := cfg.Database.PoolSettings()
		s, err := sqlite.Open(ctx, sqlite.Options{
			Path:        cfg.Database.SQLitePath(),
			MaxConns:    pool.MaxConnections,
			IdleTimeout: pool.IdleTimeout,
			MaxLifetime: pool.MaxLifetime,
			Clock:       clk,
			IDs:         ids,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("database: %w", err)
		}
		return s, s.RiverDriver(), nil
	default:
		conn, err := cfg.Database.Postgres()
		if err != nil {
			return nil, nil, fmt.Errorf("database: %w", err)
		}
		pool := cfg.Database.PoolSettings()
		opts := postgres.Options{
			DSN:            conn.DSN,
			MaxConns:       pool.MaxConnections,
			MinConns:       pool.MinConnections,
			ConnectTimeout: pool.ConnectTimeout,
			IdleTimeout:    pool.IdleTimeout,
			MaxLifetime:    pool.MaxLifetime,
			Clock:          clk,
			IDs:            ids,
		}
		if conn.HasInlineTLS() {
			opts.ConfigureTLS = func(c *tls.Config) error { return conn.ApplyTLS(c) }
		}
		s, err := postgres.Open(ctx, opts)
		if err != nil {
			return nil, nil, fmt.Errorf("database: %w", err)
		}
		return s, s.RiverDriver(), nil
	}
}

// checkSchemaOwner refuses a database that belongs to upstream MAS or to
// another application, for the paths that do not migrate (Migrate checks
// on its own). Without it, such a database would look merely out of date.
func checkSchemaOwner(ctx context.Context, d db) error {
	if c, ok := d.(interface{ CheckSchemaOwner(context.Context) error }); ok {
		return c.CheckSchemaOwner(ctx)
	}
	return nil
}
