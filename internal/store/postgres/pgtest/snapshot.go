package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// userNamespaces keeps the catalog queries to schemas an application can
// create things in: the system schemas change with every server release
// and no migration may touch them.
const userNamespaces = `n.nspname NOT IN ('pg_catalog', 'information_schema')
	AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'`

// snapshotQueries each return one text line per object. Together they
// cover what a migration can leave behind: schemas, relations and their
// columns, constraints, indexes, sequences, views, types and enum labels,
// triggers, functions, rules, policies, extensions, event triggers,
// per-database settings, default privileges and large objects.
var snapshotQueries = []string{
	`SELECT format('schema %I owner=%s acl=%s', n.nspname, pg_get_userbyid(n.nspowner), coalesce(n.nspacl::text, ''))
	 FROM pg_namespace n WHERE ` + userNamespaces,
	`SELECT format('relation %I.%I kind=%s persistence=%s owner=%s options=%s acl=%s', n.nspname, c.relname,
	        c.relkind, c.relpersistence, pg_get_userbyid(c.relowner), coalesce(array_to_string(c.reloptions, ','), ''),
	        coalesce(c.relacl::text, ''))
	 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ` + userNamespaces,
	`SELECT format('column %I.%I #%s %I %s notnull=%s default=%s identity=%s generated=%s collation=%s', n.nspname,
	        c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
	        coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity, a.attgenerated, a.attcollation::regcollation)
	 FROM pg_attribute a
	 JOIN pg_class c ON c.oid = a.attrelid
	 JOIN pg_namespace n ON n.oid = c.relnamespace
	 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	 WHERE a.attnum > 0 AND NOT a.attisdropped AND ` + userNamespaces,
	`SELECT format('constraint %I.%I on %s type=%s %s', n.nspname, con.conname,
	        coalesce(quote_ident(c.relname), 'type ' || quote_ident(t.typname)), con.contype, pg_get_constraintdef(con.oid))
	 FROM pg_constraint con
	 JOIN pg_namespace n ON n.oid = con.connamespace
	 LEFT JOIN pg_class c ON c.oid = con.conrelid
	 LEFT JOIN pg_type t ON t.oid = con.contypid
	 WHERE ` + userNamespaces,
	`SELECT format('index %I.%I %s valid=%s', n.nspname, c.relname, pg_get_indexdef(c.oid), i.indisvalid)
	 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE ` + userNamespaces,
	`SELECT format('sequence %I.%I type=%s start=%s increment=%s min=%s max=%s cycle=%s last=%s', schemaname,
	        sequencename, data_type, start_value, increment_by, min_value, max_value, cycle, coalesce(last_value::text, 'null'))
	 FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
	`SELECT format('view %I.%I %s', n.nspname, c.relname, pg_get_viewdef(c.oid))
	 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND ` + userNamespaces,
	`SELECT format('type %I.%I kind=%s owner=%s', n.nspname, t.typname, t.typtype, pg_get_userbyid(t.typowner))
	 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ` + userNamespaces,
	`SELECT format('enum %I.%I %s=%s', n.nspname, t.typname, e.enumsortorder, e.enumlabel)
	 FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace`,
	`SELECT format('trigger %I.%I.%I enabled=%s %s', n.nspname, c.relname, tg.tgname, tg.tgenabled, pg_get_triggerdef(tg.oid))
	 FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE NOT tg.tgisinternal`,
	`SELECT format('function %I.%I(%s) kind=%s returns=%s owner=%s source-md5=%s', n.nspname, p.proname,
	        pg_get_function_identity_arguments(p.oid), p.prokind, coalesce(pg_get_function_result(p.oid), ''),
	        pg_get_userbyid(p.proowner), md5(coalesce(p.prosrc, '')))
	 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ` + userNamespaces,
	`SELECT format('rule %I.%I.%I %s', schemaname, tablename, rulename, definition)
	 FROM pg_rules WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
	`SELECT format('policy %I.%I.%I %s %s %s', schemaname, tablename, policyname, cmd, coalesce(qual, ''), coalesce(with_check, ''))
	 FROM pg_policies`,
	`SELECT format('extension %I version=%s schema=%I', e.extname, e.extversion, n.nspname)
	 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace`,
	`SELECT format('event trigger %I on %s enabled=%s', evtname, evtevent, evtenabled) FROM pg_event_trigger`,
	`SELECT format('setting role=%s %s', s.setrole, array_to_string(s.setconfig, ','))
	 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database()`,
	`SELECT format('default privileges role=%s namespace=%s type=%s %s', pg_get_userbyid(defaclrole),
	        coalesce(defaclnamespace::regnamespace::text, ''), defaclobjtype, defaclacl)
	 FROM pg_default_acl`,
	`SELECT format('large objects: %s', count(*)) FROM pg_largeobject_metadata`,
}

// Snapshot describes the database at dsn as sorted text lines: every
// object an application can create in it and, for every table, its row
// count and a digest of its rows. Two snapshots are equal only when
// nothing was created, altered, dropped, inserted, updated or deleted in
// between, so a test compares them to prove an operation changed nothing.
func Snapshot(tb testing.TB, dsn string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatalf("pgtest: snapshot: %v", err)
	}
	defer db.Close()
	var lines []string
	for _, q := range snapshotQueries {
		got, err := queryLines(ctx, db, q)
		if err != nil {
			tb.Fatalf("pgtest: snapshot: %v\n%s", err, q)
		}
		lines = append(lines, got...)
	}
	tables, err := queryLines(ctx, db, `SELECT format('%I.%I', n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND `+userNamespaces)
	if err != nil {
		tb.Fatalf("pgtest: snapshot: listing tables: %v", err)
	}
	for _, t := range tables {
		// Rows are compared through their text form, ordered by it, so
		// the digest does not depend on the physical order of rows.
		var count int64
		var digest string
		q := `SELECT count(*), md5(coalesce(string_agg(r::text, E'\n' ORDER BY r::text), '')) FROM ` + t + ` r`
		if err := db.QueryRowContext(ctx, q).Scan(&count, &digest); err != nil {
			tb.Fatalf("pgtest: snapshot: reading %s: %v", t, err)
		}
		lines = append(lines, fmt.Sprintf("rows %s count=%d md5=%s", t, count, digest))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

func queryLines(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SnapshotDiff lists the lines only one of two snapshots has, for a
// failure message that points at what changed instead of two dumps.
func SnapshotDiff(before, after string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	b, a := in(before), in(after)
	var out []string
	for _, l := range strings.Split(before, "\n") {
		if !a[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(after, "\n") {
		if !b[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// Exec runs statements (several, separated by semicolons, are fine) in the
// database at dsn.
func Exec(tb testing.TB, dsn, statements string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, statements); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
}

// LoadFile runs the SQL file at path (relative to the test's package
// directory) in the database at dsn.
func LoadFile(tb testing.TB, dsn, path string) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	Exec(tb, dsn, string(b))
}
