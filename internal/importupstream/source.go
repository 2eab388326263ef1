package importupstream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"mas/internal/domain"
)

// source is upstream's database, read in one snapshot: every query runs
// in the same read-only, repeatable-read transaction, so the rows of all
// tables are those of one instant.
type source struct {
	tx     pgx.Tx
	schema string
	// columns holds, per table of the schema, its columns.
	columns map[string]map[string]bool
}

func openSnapshot(ctx context.Context, conn *pgx.Conn, schema string) (*source, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("reading upstream's database: %w", err)
	}
	s := &source{tx: tx, schema: schema, columns: map[string]map[string]bool{}}
	if s.schema == "" {
		var cur *string
		if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&cur); err != nil {
			tx.Rollback(ctx) //nolint:errcheck // read-only
			return nil, fmt.Errorf("reading upstream's database: %w", err)
		}
		if cur == nil {
			tx.Rollback(ctx) //nolint:errcheck // read-only
			return nil, errors.New("upstream's database: no schema of the search_path exists")
		}
		s.schema = *cur
	}
	rows, err := tx.Query(ctx, `SELECT table_name::text, column_name::text FROM information_schema.columns
		WHERE table_schema = $1`, s.schema)
	if err == nil {
		var table, column string
		_, err = pgx.ForEachRow(rows, []any{&table, &column}, func() error {
			if s.columns[table] == nil {
				s.columns[table] = map[string]bool{}
			}
			s.columns[table][column] = true
			return nil
		})
	}
	if err != nil {
		tx.Rollback(ctx) //nolint:errcheck // read-only
		return nil, fmt.Errorf("reading the tables of upstream's database: %w", err)
	}
	return s, nil
}

func (s *source) close(ctx context.Context) { s.tx.Rollback(context.WithoutCancel(ctx)) } //nolint:errcheck // read-only

func (s *source) has(table string) bool { return s.columns[table] != nil }

func (s *source) qualified(table string) string { return pgx.Identifier{s.schema, table}.Sanitize() }

// check makes sure the source is upstream's schema, with every table and
// column the import needs: a database of an older upstream release is
// refused before anything is read, with what it lacks.
func (s *source) check(ctx context.Context) error {
	if s.has(ourLedger) {
		return fmt.Errorf("schema %q of the source database holds this service's tables (%s), not upstream MAS's", s.schema, ourLedger)
	}
	if !s.has("users") {
		return fmt.Errorf("schema %q of the source database holds no users table: is it upstream MAS's database?", s.schema)
	}
	var idType string
	err := s.tx.QueryRow(ctx, `SELECT data_type::text FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'users' AND column_name = 'user_id'`, s.schema).Scan(&idType)
	if err != nil || idType != "uuid" {
		return fmt.Errorf("schema %q of the source database has a users table, but not upstream MAS's (user_id is %q, not uuid)", s.schema, idType)
	}
	var missing []string
	for _, t := range tables {
		if !s.has(t.name) {
			if !t.optional {
				missing = append(missing, "table "+t.name)
			}
			continue
		}
		for _, c := range t.cols {
			if !s.columns[t.name][c.src] && c.def == "" {
				missing = append(missing, "column "+t.name+"."+c.src)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("upstream's database lacks %s: it was made by an upstream MAS release older than this import "+
			"supports; upgrade upstream MAS (and let it run its migrations) first", strings.Join(missing, ", "))
	}
	return nil
}

// selectList reads each column as the kind says, or its default when
// the table lacks it.
func (s *source) selectList(t *table) string {
	exprs := make([]string, len(t.cols))
	for i, c := range t.cols {
		e := pgx.Identifier{c.src}.Sanitize()
		if c.expr != "" {
			e = c.expr
		}
		if !s.columns[t.name][c.src] {
			e = c.def
		}
		switch c.kind {
		case kindJSON:
			e = "(" + e + ")::text"
		case kindIP:
			e = "host(" + e + ")"
		case kindScope:
			e = "array_to_string(" + e + ", ' ')"
		case kindList:
			e = "COALESCE(array_to_json(" + e + ")::text, '[]')"
		}
		exprs[i] = e
	}
	return strings.Join(exprs, ", ")
}

func (s *source) query(t *table) string {
	order := t.order
	if order == "" {
		order = pgx.Identifier{t.cols[0].src}.Sanitize()
	}
	return `SELECT ` + s.selectList(t) + ` FROM ` + s.qualified(t.name) + ` ORDER BY ` + order
}

// estimate is the planner's row count, or an exact count for a table
// never analysed.
func (s *source) estimate(ctx context.Context, table string) (int64, error) {
	var n float64
	err := s.tx.QueryRow(ctx, `SELECT c.reltuples::float8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = $2`, s.schema, table).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("estimating the rows of %s: %w", table, err)
	}
	if n >= 0 {
		return int64(n), nil
	}
	var exact int64
	if err := s.tx.QueryRow(ctx, `SELECT count(*) FROM `+s.qualified(table)).Scan(&exact); err != nil {
		return 0, fmt.Errorf("counting the rows of %s: %w", table, err)
	}
	return exact, nil
}

// each reads every row of t, converted to the values the bulk writer
// takes.
func (s *source) each(ctx context.Context, t *table, fn func(v []any) error) error {
	rows, err := s.tx.Query(ctx, s.query(t))
	if err != nil {
		return fmt.Errorf("reading %s: %w", t.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		raw, err := rows.Values()
		if err != nil {
			return fmt.Errorf("reading %s: %w", t.name, err)
		}
		v := make([]any, len(raw))
		for i, c := range t.cols {
			if v[i], err = convert(c.kind, raw[i]); err != nil {
				return fmt.Errorf("reading %s.%s: %w", t.name, c.src, err)
			}
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", t.name, err)
	}
	return nil
}

// convert turns a value as pgx decodes it into one store.BulkWriter
// takes: IDs become ULID text, integers int64, times UTC.
func convert(k kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case kindID:
		b, ok := v.([16]byte)
		if !ok {
			return nil, fmt.Errorf("unexpected %T for an ID", v)
		}
		return domain.ID(b).String(), nil
	case kindTime:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("unexpected %T for a time", v)
		}
		return t.UTC(), nil
	case kindInt:
		switch n := v.(type) {
		case int16:
			return int64(n), nil
		case int32:
			return int64(n), nil
		case int64:
			return n, nil
		}
		return nil, fmt.Errorf("unexpected %T for an integer", v)
	case kindBool:
		if _, ok := v.(bool); !ok {
			return nil, fmt.Errorf("unexpected %T for a boolean", v)
		}
	case kindBytes:
		if b, ok := v.([]byte); ok {
			return slices.Clone(b), nil
		}
		return nil, fmt.Errorf("unexpected %T for bytes", v)
	default: // text, and the kinds read as text
		if _, ok := v.(string); !ok {
			return nil, fmt.Errorf("unexpected %T for text", v)
		}
	}
	return v, nil
}
