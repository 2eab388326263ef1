package synapsedb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// openPostgres opens the snapshot as upstream does: one SERIALIZABLE READ
// ONLY DEFERRABLE transaction (a snapshot that can never be cancelled for
// a serialisation failure), with every table locked NOWAIT before the
// first read. Exclusive locks keep a running Synapse from writing while we
// read; ACCESS SHARE only keeps the tables from being altered or dropped.
//
// pgx is used directly, not through database/sql: its result sets stream
// row by row, so no table is ever held in memory.
func openPostgres(ctx context.Context, opts Options) (Source, error) {
	cfg, err := pgx.ParseConfig(opts.DSN)
	if err != nil {
		return nil, fmt.Errorf("synapsedb: the PostgreSQL connection string: %w", err)
	}
	cfg.RuntimeParams["application_name"] = applicationName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("synapsedb: connecting to the Synapse database: %w", err)
	}
	tx, err := begin(ctx, conn, opts.Shared)
	if err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return &source{
		q: pgQuerier{tx},
		estimate: func(ctx context.Context, table string) (int64, error) {
			var n int64
			err := tx.QueryRow(ctx, `SELECT reltuples::bigint FROM pg_class WHERE oid = $1::regclass`, table).Scan(&n)
			return n, err
		},
		close: func() error {
			// Read-only: ending the transaction either way just
			// releases the locks.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if conn.IsClosed() {
				return nil // a cancelled query closed it, and the locks with it
			}
			rbErr := tx.Rollback(ctx)
			return errors.Join(rbErr, conn.Close(ctx))
		},
	}, nil
}

func begin(ctx context.Context, conn *pgx.Conn, shared bool) (pgx.Tx, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("synapsedb: starting the snapshot: %w", err)
	}
	if _, err := tx.Exec(ctx, `SET TRANSACTION ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE`); err != nil {
		return nil, fmt.Errorf("synapsedb: starting the snapshot: %w", err)
	}
	mode := "EXCLUSIVE"
	if shared {
		mode = "ACCESS SHARE"
	}
	for _, t := range Tables {
		if _, err := tx.Exec(ctx, "LOCK TABLE "+t+" IN "+mode+" MODE NOWAIT"); err != nil {
			return nil, lockError(t, err)
		}
	}
	var hasLocked bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_attribute
		WHERE attrelid = 'users'::regclass AND attname = 'locked' AND NOT attisdropped)`).Scan(&hasLocked); err != nil {
		return nil, fmt.Errorf("synapsedb: reading the users table's columns: %w", err)
	}
	if !hasLocked {
		return nil, lockedColumnMissing()
	}
	return tx, nil
}

// pgQuerier runs the listings in the snapshot's transaction.
type pgQuerier struct{ tx pgx.Tx }

func (q pgQuerier) query(ctx context.Context, sql string, args ...any) (rowCursor, func(), error) {
	rows, err := q.tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, err
	}
	return rows, rows.Close, nil
}
