package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// sqliteMaxVariables is SQLite's limit on the parameters of one statement
// (SQLITE_MAX_VARIABLE_NUMBER since 3.32).
const sqliteMaxVariables = 32766

// sqliteBulk writes rows with multi-row INSERTs, each statement prepared
// once per load and reused for every batch of its shape.
type sqliteBulk struct {
	tx    *sql.Tx
	stmts map[sqliteStmtKey]*sql.Stmt
	args  []any
	// deferred is set once the foreign key checks wait for the commit.
	deferred bool
}

type sqliteStmtKey struct {
	table   string
	columns string
	rows    int
}

// start has nothing to do: the load's transaction began IMMEDIATE and
// holds the database's single write lock.
func (*sqliteBulk) start(context.Context, string) error { return nil }

// indexes reads the indexes created by CREATE INDEX (sql IS NOT NULL:
// those of PRIMARY KEY and UNIQUE constraints have none), except a unique
// index that a foreign key points at, and an index led by a foreign key's
// own column: SQLite needs both to check the key. Without the latter,
// every parent row written looks for its children by scanning the child
// table, which made a load quadratic (a syn2mas of 20,000 users spent 67 s
// writing devices).
func (b *sqliteBulk) indexes(ctx context.Context, table string) ([]bulkObject, error) {
	return catalogObjects(ctx, b.tx, "index", `
		SELECT m.name, m.sql FROM sqlite_master m
		WHERE m.type = 'index' AND m.tbl_name = $1 AND m.sql IS NOT NULL
		  AND NOT (
			m.name IN (SELECT il.name FROM pragma_index_list(m.tbl_name) il WHERE il."unique")
			AND EXISTS (
				SELECT 1 FROM sqlite_master t, pragma_foreign_key_list(t.name) fk
				WHERE t.type = 'table' AND fk."table" = m.tbl_name
				  AND fk."to" IN (SELECT ii.name FROM pragma_index_info(m.name) ii)))
		  AND NOT EXISTS (
			SELECT 1 FROM pragma_foreign_key_list(m.tbl_name) fk, pragma_index_info(m.name) ii
			WHERE ii.seqno = 0 AND ii.name = fk."from")
		ORDER BY m.name`, table,
		func(name, def string) (string, string) { return `DROP INDEX ` + quoteIdent(name), def })
}

// deferForeignKeys defers the transaction's foreign key checks to its
// commit (SQLite cannot drop a foreign key, and needs none dropped: its
// per-row check is a lookup in the same process), so that rows may come
// before the rows they point at, as on PostgreSQL. The pragma ends with
// the transaction. It returns nothing to drop.
func (b *sqliteBulk) deferForeignKeys(ctx context.Context, _ string) ([]bulkObject, error) {
	if !b.deferred {
		if _, err := b.tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return nil, err
		}
		b.deferred = true
	}
	return nil, nil
}

// checkForeignKeys looks for the rows of table whose parent is missing.
// The commit would fail on them too, but only with "FOREIGN KEY
// constraint failed", and a dry run does not commit.
func (b *sqliteBulk) checkForeignKeys(ctx context.Context, table string, progress func(string)) error {
	progress("checking foreign keys of " + table)
	var parent string
	var n int64
	err := b.tx.QueryRowContext(ctx, `SELECT parent, COUNT(*) FROM pragma_foreign_key_check($1)
		GROUP BY parent ORDER BY parent LIMIT 1`, table).Scan(&parent, &n)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("bulk load: checking the foreign keys of %s: %w", table, err)
	}
	return fmt.Errorf("bulk load: %d rows of %s refer to missing rows of %s", n, table, parent)
}

// write sends as many rows per statement as the parameter limit allows;
// what is left over goes in statements of power-of-two sizes, so that
// batches of any size need only a few prepared shapes.
func (b *sqliteBulk) write(ctx context.Context, table string, columns []string, rows [][]any) error {
	perStmt := sqliteMaxVariables / len(columns)
	for len(rows) > 0 {
		n := perStmt
		if len(rows) < n {
			n = 1
			for n*2 <= len(rows) {
				n *= 2
			}
		}
		stmt, err := b.stmt(ctx, table, columns, n)
		if err != nil {
			return err
		}
		b.args = b.args[:0]
		for _, row := range rows[:n] {
			for _, v := range row {
				b.args = append(b.args, sqliteValue(v))
			}
		}
		if _, err := stmt.ExecContext(ctx, b.args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func (b *sqliteBulk) stmt(ctx context.Context, table string, columns []string, n int) (*sql.Stmt, error) {
	key := sqliteStmtKey{table, strings.Join(columns, ","), n}
	if stmt, ok := b.stmts[key]; ok {
		return stmt, nil
	}
	var q strings.Builder
	fmt.Fprintf(&q, "INSERT INTO %s (%s) VALUES ", table, key.columns)
	for i := range n {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for j := range columns {
			if j > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('?')
		}
		q.WriteByte(')')
	}
	stmt, err := b.tx.PrepareContext(ctx, q.String())
	if err != nil {
		return nil, err
	}
	if b.stmts == nil {
		b.stmts = map[sqliteStmtKey]*sql.Stmt{}
	}
	b.stmts[key] = stmt
	return stmt, nil
}

func (b *sqliteBulk) close() {
	for _, stmt := range b.stmts {
		stmt.Close()
	}
}

// sqliteValue binds a time as the SQLite schema stores it, INTEGER
// microseconds, exactly as repos.t does.
func sqliteValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Truncate(time.Microsecond).UnixMicro()
	}
	return v
}

// sqliteValues converts the times among args.
func sqliteValues(args []any) []any {
	out := make([]any, len(args))
	for i, v := range args {
		out[i] = sqliteValue(v)
	}
	return out
}
