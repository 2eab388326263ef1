package synapsegen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // "sqlite" driver
)

// sqliteBatch is how many rows one INSERT carries (the widest table has 9
// columns: well under SQLite's 32766 parameters).
const sqliteBatch = 256

// sqlite writes a new file the way Synapse keeps it (WAL journal, booleans
// as 0/1) in one transaction: the workers plan in parallel and take turns
// on the single connection.
func (g *Generator) sqlite(ctx context.Context, t Target) (sum *Summary, err error) {
	if _, err := os.Stat(t.DSN); !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("synapsegen: %s exists already (or cannot be checked: %v); the generator writes a new file", t.DSN, err)
	}
	ph, err := phases("sqlite")
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+t.DSN+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
	if err := timed(t, "creating the tables", func() error { return execAll(ctx, tx, ph["tables"]) }); err != nil {
		return nil, err
	}
	w := &sqliteWriter{tx: tx, stmts: map[string]*sql.Stmt{}}
	defer w.close()
	if err := timed(t, fmt.Sprintf("loading %d users", g.opts.Users), func() error {
		loaders := make([]loader, workers())
		for k := range loaders {
			loaders[k] = &argsLoader{w: w}
		}
		sum, err = g.fillAll(ctx, loaders)
		return err
	}); err != nil {
		return nil, err
	}
	if err := timed(t, "building indexes", func() error { return execAll(ctx, tx, ph["indexes"]) }); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return sum, nil
}

func execAll(ctx context.Context, tx *sql.Tx, stmts []string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// sqliteWriter is the transaction the workers share, one at a time.
type sqliteWriter struct {
	mu    sync.Mutex
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // by table and rows per statement
}

func (w *sqliteWriter) stmt(ctx context.Context, table string, columns []string, rows int) (*sql.Stmt, error) {
	key := fmt.Sprintf("%s/%d", table, rows)
	if s := w.stmts[key]; s != nil {
		return s, nil
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(columns)), ",") + ")"
	q := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
	s, err := w.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	w.stmts[key] = s
	return s, nil
}

func (w *sqliteWriter) insert(ctx context.Context, table string, columns []string, args []any) error {
	n := len(columns)
	for len(args) > 0 {
		rows := min(len(args)/n, sqliteBatch)
		if rows < sqliteBatch {
			rows = 1 // the tail row by row: one statement shape fewer per size
		}
		s, err := w.stmt(ctx, table, columns, rows)
		if err != nil {
			return err
		}
		if _, err := s.ExecContext(ctx, args[:rows*n]...); err != nil {
			return fmt.Errorf("inserting into %s: %w", table, err)
		}
		args = args[rows*n:]
	}
	return nil
}

func (w *sqliteWriter) close() {
	for _, s := range w.stmts {
		_ = s.Close()
	}
}

// argsLoader collects a chunk's rows as INSERT arguments.
type argsLoader struct {
	w    *sqliteWriter
	args [6]sqlArgs
}

func (l *argsLoader) encoders() [6]encoder {
	var enc [6]encoder
	for k := range l.args {
		l.args[k] = l.args[k][:0]
		enc[k] = &l.args[k]
	}
	return enc
}

func (l *argsLoader) load(ctx context.Context, _ [6]encoder) error {
	l.w.mu.Lock()
	defer l.w.mu.Unlock()
	for k, t := range loadTables {
		if err := l.w.insert(ctx, t.name, t.columns, l.args[k]); err != nil {
			return err
		}
	}
	return nil
}

// sqlArgs encodes values as Synapse stores them in SQLite: booleans as
// integers.
type sqlArgs []any

func (a *sqlArgs) str(s string) { *a = append(*a, s) }
func (a *sqlArgs) strp(s *string) {
	if s == nil {
		*a = append(*a, nil)
		return
	}
	*a = append(*a, *s)
}
func (a *sqlArgs) int(n int64) { *a = append(*a, n) }
func (a *sqlArgs) intp(n *int64) {
	if n == nil {
		*a = append(*a, nil)
		return
	}
	*a = append(*a, *n)
}
func (a *sqlArgs) boolean(v bool) { *a = append(*a, b2i(v)) }
func (a *sqlArgs) boolp(v *bool) {
	if v == nil {
		*a = append(*a, nil)
		return
	}
	*a = append(*a, b2i(*v))
}
func (a *sqlArgs) smallint(v bool) { *a = append(*a, b2i(v)) }
func (a *sqlArgs) end()            {}

func b2i(v bool) int64 {
	if v {
		return 1
	}
	return 0
}
