package importupstream

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The in-place form converts a database upstream MAS has migrated: its
// relations go into a backup schema (renamed, not copied, so it is quick
// and nothing is lost), this service creates its own tables where they
// were, and the import reads from the backup. Undoing it is dropping
// what this service created and moving the relations back, which
// Backup.Rollback spells out.

const (
	ourLedger      = "mas_migrations"
	upstreamLedger = "_sqlx_migrations"
)

// ErrNotUpstream is wrapped by DetectUpstream's error when the database is
// not one upstream MAS has migrated.
var ErrNotUpstream = errors.New("not upstream MAS's schema")

// UpstreamSchema is what DetectUpstream found.
type UpstreamSchema struct {
	Schema string
	// Applied counts the migrations upstream's ledger records; Latest is
	// the newest one's version.
	Applied, Latest int64
}

// DetectUpstream tells whether the current schema of db holds upstream's
// schema: upstream's migration ledger, and a users table whose IDs are
// UUIDs (this service's are text), without this service's ledger.
func DetectUpstream(ctx context.Context, db *sql.DB) (*UpstreamSchema, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("inspecting the database: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var schema sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("inspecting the database: %w", err)
	}
	if !schema.Valid {
		return nil, fmt.Errorf("%w: no schema of the search_path exists", ErrNotUpstream)
	}
	var ours, ledger bool
	var idType sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2),
		EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $3),
		(SELECT data_type::text FROM information_schema.columns
		  WHERE table_schema = $1 AND table_name = 'users' AND column_name = 'user_id')`,
		schema.String, ourLedger, upstreamLedger).Scan(&ours, &ledger, &idType)
	if err != nil {
		return nil, fmt.Errorf("inspecting the database: %w", err)
	}
	switch {
	case ours:
		return nil, fmt.Errorf("%w: schema %q already holds this service's tables (%s): there is nothing to convert in place",
			ErrNotUpstream, schema.String, ourLedger)
	case !ledger || idType.String != "uuid":
		return nil, fmt.Errorf("%w: schema %q holds no upstream migration ledger (%s) and users table with UUID ids; "+
			"--in-place converts a database that upstream MAS has migrated", ErrNotUpstream, schema.String, upstreamLedger)
	}
	up := &UpstreamSchema{Schema: schema.String}
	q := `SELECT count(*), coalesce(max(version), 0) FROM ` + pgx.Identifier{schema.String, upstreamLedger}.Sanitize() + ` WHERE success`
	if err := tx.QueryRowContext(ctx, q).Scan(&up.Applied, &up.Latest); err != nil {
		return nil, fmt.Errorf("reading %s: %w", upstreamLedger, err)
	}
	return up, nil
}

// BackupName is the schema MoveAside should use: upstream_backup_<date>,
// with the time of day added when that name is taken.
func BackupName(ctx context.Context, db *sql.DB, now time.Time) (string, error) {
	for _, name := range []string{"upstream_backup_" + now.UTC().Format("20060102"), "upstream_backup_" + now.UTC().Format("20060102_150405")} {
		var taken bool
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, name).Scan(&taken); err != nil {
			return "", fmt.Errorf("choosing the backup schema: %w", err)
		}
		if !taken {
			return name, nil
		}
	}
	return "", errors.New("choosing the backup schema: upstream_backup_<date> and upstream_backup_<date>_<time> both exist; try again in a second")
}

// Backup is where MoveAside put upstream's relations, and what it needs
// to know to undo the in-place import.
type Backup struct {
	// Schema holds upstream's relations now; Home held them.
	Schema, Home string
	Moved        []object
	// before are the objects left in Home after the move (upstream's
	// types and functions, which stay where they are): whatever else is
	// in Home later was created by this service.
	before []object
}

// object is a schema object the in-place import moves or drops.
type object struct {
	kind string // "TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE", "SEQUENCE", "FUNCTION", "PROCEDURE", "AGGREGATE", "TYPE"
	name string // quoted, qualified name; for routines with their argument types
	bare string // unqualified name, for relations
}

// MoveAside moves every relation of the current schema (tables with
// their indexes, constraints, triggers and owned sequences; views; free
// sequences), except those of extensions, into a new schema, in one
// transaction. Upstream's types and functions stay: nothing of this
// service uses their names.
func MoveAside(ctx context.Context, db *sql.DB, up *UpstreamSchema, backup string) (*Backup, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("moving upstream's tables aside: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	moved, err := relations(ctx, tx, up.Schema)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `CREATE SCHEMA `+pgx.Identifier{backup}.Sanitize()); err != nil {
		return nil, fmt.Errorf("creating schema %s: %w", backup, err)
	}
	for _, o := range moved {
		if _, err := tx.ExecContext(ctx, `ALTER `+o.kind+` `+o.name+` SET SCHEMA `+pgx.Identifier{backup}.Sanitize()); err != nil {
			return nil, fmt.Errorf("moving %s to schema %s: %w", o.name, backup, err)
		}
	}
	before, err := objects(ctx, tx, up.Schema)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("moving upstream's tables aside: %w", err)
	}
	return &Backup{Schema: backup, Home: up.Schema, Moved: moved, before: before}, nil
}

// Rollback returns the statements that undo the in-place import, to run
// in one transaction: drop what this service created in the home schema
// (its tables, the job queue's types and functions), move upstream's
// relations back, drop the backup schema. Nothing is dropped with
// CASCADE, so that a statement that would take more than this service's
// objects fails, and the transaction with it, instead.
func (b *Backup) Rollback(ctx context.Context, db *sql.DB) ([]string, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("listing this service's objects: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	now, err := objects(ctx, tx, b.Home)
	if err != nil {
		return nil, err
	}
	created := map[string][]string{}
	for _, o := range now {
		if !slices.Contains(b.before, o) {
			created[o.kind] = append(created[o.kind], o.name)
		}
	}
	stmts := []string{"BEGIN;"}
	// Tables first (their triggers use the functions, their columns the
	// types), then routines, then types.
	for _, kind := range []string{"VIEW", "MATERIALIZED VIEW", "TABLE", "FOREIGN TABLE", "SEQUENCE", "FUNCTION", "PROCEDURE", "AGGREGATE", "TYPE"} {
		if names := created[kind]; len(names) > 0 {
			stmts = append(stmts, "DROP "+kind+"\n    "+strings.Join(names, ",\n    ")+";")
		}
	}
	home := pgx.Identifier{b.Home}.Sanitize()
	for _, o := range b.Moved {
		stmts = append(stmts, "ALTER "+o.kind+" "+pgx.Identifier{b.Schema, o.bare}.Sanitize()+" SET SCHEMA "+home+";")
	}
	return append(stmts, "DROP SCHEMA "+pgx.Identifier{b.Schema}.Sanitize()+";", "COMMIT;"), nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// notExtension keeps out the objects an extension owns (pg_trgm's
// functions and types, say): they come and go with the extension.
const notExtension = `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = %s::regclass AND d.objid = %s AND d.deptype = 'e')`

// relations lists the relations of schema an application made: tables,
// views and sequences that no table column owns (owned ones move with
// their table).
func relations(ctx context.Context, q querier, schema string) ([]object, error) {
	return queryObjects(ctx, q, `
		SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
		                      WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
		       format('%I.%I', n.nspname, c.relname), c.relname
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
		  AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
		      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
		  AND `+fmt.Sprintf(notExtension, "'pg_class'", "c.oid")+`
		ORDER BY c.relname`, schema)
}

// objects lists what a rollback may have to drop from schema: its
// relations, routines and free-standing types.
func objects(ctx context.Context, q querier, schema string) ([]object, error) {
	out, err := relations(ctx, q, schema)
	if err != nil {
		return nil, err
	}
	routines, err := queryObjects(ctx, q, `
		SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
		       format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), p.proname
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = $1 AND `+fmt.Sprintf(notExtension, "'pg_proc'", "p.oid")+`
		ORDER BY 2`, schema)
	if err != nil {
		return nil, err
	}
	// Enums, domains, ranges and composite types made on their own; not
	// the row types of relations nor the array types that come with
	// every type.
	types, err := queryObjects(ctx, q, `
		SELECT 'TYPE', format('%I.%I', n.nspname, t.typname), t.typname
		FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
		WHERE n.nspname = $1 AND t.typtype IN ('e', 'd', 'r', 'c')
		  AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
		  AND `+fmt.Sprintf(notExtension, "'pg_type'", "t.oid")+`
		ORDER BY 2`, schema)
	if err != nil {
		return nil, err
	}
	return append(append(out, routines...), types...), nil
}

func queryObjects(ctx context.Context, q querier, query, schema string) ([]object, error) {
	rows, err := q.QueryContext(ctx, query, schema)
	if err != nil {
		return nil, fmt.Errorf("listing the objects of schema %s: %w", schema, err)
	}
	defer rows.Close()
	var out []object
	for rows.Next() {
		var o object
		if err := rows.Scan(&o.kind, &o.name, &o.bare); err != nil {
			return nil, fmt.Errorf("listing the objects of schema %s: %w", schema, err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
