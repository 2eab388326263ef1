package store

import "context"

// Bulk loads many rows into a database that holds none of them yet, much
// faster than the repositories: the imports (syn2mas from Synapse,
// import-upstream from upstream MAS) write millions of rows through it.
// sqlstore implements it for both backends (COPY on PostgreSQL, batched
// multi-row INSERTs on SQLite).
type Bulk interface {
	// FirstNonEmpty returns the first of tables, in the order given, that
	// holds a row; "" when all are empty.
	FirstNonEmpty(ctx context.Context, tables []string) (string, error)
	// BulkLoad runs fn in ONE transaction, committed when fn returns nil
	// (rolled back otherwise, and always with opts.DryRun): an interrupted
	// load leaves nothing behind. The secondary indexes of opts.Tables are
	// dropped first and built again after fn, in the transaction; the
	// constraints (primary keys, uniqueness, foreign keys) stay and are
	// checked. On PostgreSQL the load holds an advisory lock named
	// opts.LockName (ErrLocked when another load holds it); on SQLite the
	// write transaction itself excludes other writers.
	BulkLoad(ctx context.Context, opts BulkOptions, fn func(BulkWriter) error) error
}

// BulkOptions configure BulkLoad.
type BulkOptions struct {
	// Tables are the tables the load fills, whose indexes are rebuilt.
	Tables []string
	// DryRun rolls the transaction back once fn and the index rebuild
	// succeeded: everything is checked, nothing stays.
	DryRun bool
	// LockName names the PostgreSQL advisory lock (e.g. "syn2mas-maswriter").
	LockName string
	// DeferForeignKeys checks the foreign keys of Tables once, at the
	// end of the load, instead of row by row: rows may then come in any
	// order (a child before its parent). PostgreSQL drops the keys and
	// adds them back after the index rebuild, one query per key instead
	// of one trigger call per row, which makes a load into tables with
	// foreign keys about twice as fast; SQLite defers its checks
	// (PRAGMA defer_foreign_keys) and then runs foreign_key_check on each
	// table. A dangling reference fails the whole load at the end, with
	// an error naming the constraint (PostgreSQL) or the two tables
	// (SQLite).
	DeferForeignKeys bool
	// Progress, when set, is told about the index rebuild ("rebuilding
	// index <name>") and the deferred foreign keys ("rebuilding
	// constraint <name>" on PostgreSQL, "checking foreign keys of
	// <table>" on SQLite).
	Progress func(step string)
}

// BulkWriter writes rows inside a BulkLoad.
type BulkWriter interface {
	// Write appends rows to table. Each row has one value per column, of
	// type string, int64, bool, time.Time, []byte, or nil for NULL; the
	// writer converts times to the backend's representation. Rows are
	// sent as they are given: callers batch (a few thousand rows per call
	// is the sweet spot).
	Write(ctx context.Context, table string, columns []string, rows [][]any) error
	// Exec runs a statement in the load's transaction (for the rare row
	// that needs SQL of its own).
	Exec(ctx context.Context, query string, args ...any) error
}
