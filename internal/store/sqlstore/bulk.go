package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"mas/internal/store"
)

var _ store.Bulk = (*Store)(nil)

// FirstNonEmpty reads one row of each table, in order, and names the first
// that has one.
func (s *Store) FirstNonEmpty(ctx context.Context, tables []string) (string, error) {
	for _, table := range tables {
		if err := checkIdent(table); err != nil {
			return "", err
		}
		var one int
		err := s.opts.DB.QueryRowContext(ctx, `SELECT 1 FROM `+table+` LIMIT 1`).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return "", fmt.Errorf("query against %s failed: %w", table, err)
		}
		return table, nil
	}
	return "", nil
}

// BulkLoad runs fn in one transaction on one connection.
//
// Every index of opts.Tables that no constraint owns is dropped before fn
// and created again after it, unique indexes included (such as
// users_username_lower on lower(username)): a database fills much faster
// without them, and building one at the end is a single sort. The price
// is that a duplicate within a unique index is only found when the index
// is built again; the whole load then fails with an error naming the
// index, and the rollback leaves nothing behind. For the same reason a
// statement run through Exec during the load cannot rely on such an
// index (an ON CONFLICT naming its columns, say). Indexes that back a
// primary key or unique constraint, or that a foreign key points at, are
// left alone, so that those constraints are checked row by row. The
// foreign keys are too, unless opts.DeferForeignKeys asks to drop them
// and add them back at the end (PostgreSQL), or to defer their checks
// to the end (SQLite).
func (s *Store) BulkLoad(ctx context.Context, opts store.BulkOptions, fn func(store.BulkWriter) error) error {
	for _, table := range opts.Tables {
		if err := checkIdent(table); err != nil {
			return err
		}
	}
	conn, err := s.opts.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	defer conn.Close()
	// On SQLite the DSN makes this BEGIN IMMEDIATE: the write lock is
	// taken now, and other writers wait for the load to end.
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("bulk load: begin: %w", err)
	}
	defer sqlTx.Rollback() //nolint:errcheck // no-op after commit

	var d bulkDialect
	if s.opts.Dialect == Postgres {
		d = &pgBulk{conn: conn, tx: sqlTx}
	} else {
		d = &sqliteBulk{tx: sqlTx}
	}
	defer d.close()

	if err := d.start(ctx, opts.LockName); err != nil {
		return err
	}
	var indexes, foreignKeys []bulkObject
	for _, table := range opts.Tables {
		ixs, err := d.indexes(ctx, table)
		if err != nil {
			return fmt.Errorf("bulk load: reading the indexes of %s: %w", table, err)
		}
		indexes = append(indexes, ixs...)
		if opts.DeferForeignKeys {
			fks, err := d.deferForeignKeys(ctx, table)
			if err != nil {
				return fmt.Errorf("bulk load: reading the foreign keys of %s: %w", table, err)
			}
			foreignKeys = append(foreignKeys, fks...)
		}
	}
	// The foreign keys come back last, so that their checks can use the
	// rebuilt indexes.
	saved := append(indexes, foreignKeys...)
	for _, o := range saved {
		if _, err := sqlTx.ExecContext(ctx, o.drop); err != nil {
			return fmt.Errorf("bulk load: dropping %s %s: %w", o.kind, o.name, err)
		}
	}

	if err := fn(&bulkWriter{d: d, tx: sqlTx, dialect: s.opts.Dialect}); err != nil {
		return err
	}

	progress := opts.Progress
	if progress == nil {
		progress = func(string) {}
	}
	for _, o := range saved {
		progress("rebuilding " + o.kind + " " + o.name)
		if _, err := sqlTx.ExecContext(ctx, o.create); err != nil {
			return fmt.Errorf("bulk load: rebuilding %s %s: %w", o.kind, o.name, err)
		}
	}
	if opts.DeferForeignKeys {
		for _, table := range opts.Tables {
			if err := d.checkForeignKeys(ctx, table, progress); err != nil {
				return err
			}
		}
	}
	if opts.DryRun {
		if err := sqlTx.Rollback(); err != nil {
			return fmt.Errorf("bulk load: rolling back the dry run: %w", err)
		}
		return nil
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("bulk load: commit: %w", err)
	}
	return nil
}

// bulkObject is an index or a foreign key dropped for the load, with the
// statements that drop it and create it again.
type bulkObject struct {
	kind   string // "index" or "constraint"
	name   string
	drop   string
	create string
}

// bulkDialect is what the backends do differently in a load.
type bulkDialect interface {
	// start excludes other loads (PostgreSQL) or does nothing (SQLite,
	// whose write transaction already does).
	start(ctx context.Context, name string) error
	// indexes lists the indexes of table that the load drops.
	indexes(ctx context.Context, table string) ([]bulkObject, error)
	// deferForeignKeys makes the load check the foreign keys of table
	// at the end: it returns the keys to drop and add back (PostgreSQL),
	// or defers the transaction's checks (SQLite).
	deferForeignKeys(ctx context.Context, table string) ([]bulkObject, error)
	// checkForeignKeys runs the deferred checks of table that adding the
	// keys back did not (SQLite).
	checkForeignKeys(ctx context.Context, table string, progress func(string)) error
	write(ctx context.Context, table string, columns []string, rows [][]any) error
	close()
}

// catalogObjects runs a catalog query returning names and definitions,
// and makes each row a bulkObject with the statements stmts returns.
func catalogObjects(ctx context.Context, tx *sql.Tx, kind, query, table string, stmts func(name, def string) (drop, create string)) ([]bulkObject, error) {
	rows, err := tx.QueryContext(ctx, query, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bulkObject
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		o := bulkObject{kind: kind, name: name}
		o.drop, o.create = stmts(name, def)
		out = append(out, o)
	}
	return out, rows.Err()
}

// bulkWriter is the store.BulkWriter fn gets. Like the transaction under
// it, it serves one goroutine at a time.
type bulkWriter struct {
	d       bulkDialect
	tx      *sql.Tx
	dialect Dialect
}

func (w *bulkWriter) Write(ctx context.Context, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if err := checkIdent(table); err != nil {
		return err
	}
	if len(columns) == 0 {
		return fmt.Errorf("bulk write to %s: no columns", table)
	}
	for _, c := range columns {
		if err := checkIdent(c); err != nil {
			return err
		}
	}
	for i, row := range rows {
		if len(row) != len(columns) {
			return fmt.Errorf("bulk write to %s: row %d has %d values for %d columns", table, i, len(row), len(columns))
		}
	}
	if err := w.d.write(ctx, table, columns, rows); err != nil {
		return fmt.Errorf("bulk write of %d rows to %s: %w", len(rows), table, err)
	}
	return nil
}

// Exec binds times as Write does, so that callers need not know the
// backend.
func (w *bulkWriter) Exec(ctx context.Context, query string, args ...any) error {
	if w.dialect == SQLite {
		args = sqliteValues(args)
	}
	if _, err := w.tx.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	return nil
}

// checkIdent admits the names the load writes into its SQL: letters,
// digits and underscores, not starting with a digit. Anything else is
// refused rather than quoted.
func checkIdent(name string) error {
	if name == "" || len(name) > 63 || (name[0] >= '0' && name[0] <= '9') {
		return fmt.Errorf("bulk load: invalid table or column name %q", name)
	}
	for _, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return fmt.Errorf("bulk load: invalid table or column name %q", name)
		}
	}
	return nil
}

// quoteIdent quotes a name read from the catalog, in the syntax both
// backends share.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
