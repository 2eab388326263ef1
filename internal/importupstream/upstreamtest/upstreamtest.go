// Package upstreamtest builds databases shaped like upstream MAS's for the
// tests of `mas-cli database import-upstream`: the schema of the tables
// the import reads (testdata/upstream_schema.sql, written for this project
// from the documented shape of upstream's schema), and a generator that
// fills it with consistent rows (users with passwords and emails, browser
// sessions, OAuth 2.0 clients, sessions and tokens, compatibility sessions
// and tokens, upstream providers and links, personal sessions, registration
// tokens, policy data) and says, for every token it made, what upstream's
// introspection answers for it.
//
// It is test support; no production package imports it.
package upstreamtest

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver

	"mas/internal/store/postgres/pgtest"
)

// Schema is upstream's schema, as far as the import reads it, plus the
// job queue objects an in-place import moves aside.
//
//go:embed testdata/upstream_schema.sql
var Schema string

// Load creates upstream's schema in the current schema of db.
func Load(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, Schema); err != nil {
		return fmt.Errorf("upstreamtest: loading upstream's schema: %w", err)
	}
	return nil
}

// NewDatabase is a throw-away PostgreSQL database (pgtest: skipped, loudly,
// without MAS_TEST_DATABASE_URL) holding upstream's schema, filled by
// Generate. The handle is closed when the test ends.
func NewDatabase(t testing.TB, opts Options) (dsn string, db *sql.DB, f *Fixture) {
	t.Helper()
	dsn = pgtest.NewDatabase(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	if f, err = Generate(ctx, db, opts); err != nil {
		t.Fatal(err)
	}
	return dsn, db, f
}
