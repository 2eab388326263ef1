package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"strings"
	"testing"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store/postgres"
	"mas/internal/store/postgres/pgtest"
)

const upstreamFixture = "testdata/upstream_schema.sql"

func openDSN(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, Clock: clock.System{}, IDs: domain.NewIDGenerator(rand.Reader)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// refuses runs Migrate and CheckSchemaOwner on dsn, expects both to fail
// with kind and every phrase, and the database to be exactly as before.
func refuses(t *testing.T, dsn string, kind error, phrases ...string) {
	t.Helper()
	before := pgtest.Snapshot(t, dsn)
	s := openDSN(t, dsn)
	ctx := context.Background()

	applied, err := s.Migrate(ctx)
	if !errors.Is(err, kind) {
		t.Fatalf("Migrate: got %v (applied %v), want an error wrapping %q", err, applied, kind)
	}
	if len(applied) != 0 {
		t.Errorf("Migrate reported applied migrations %v", applied)
	}
	for _, p := range phrases {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("the error does not say %q:\n%v", p, err)
		}
	}
	// Twice: the first refusal must not have left anything that changes
	// the second one's verdict.
	if _, again := s.Migrate(ctx); again == nil || again.Error() != err.Error() {
		t.Errorf("a second Migrate said\n%v\nafter\n%v", again, err)
	}
	if check := s.CheckSchemaOwner(ctx); check == nil || check.Error() != err.Error() {
		t.Errorf("CheckSchemaOwner said\n%v\nwhere Migrate said\n%v", check, err)
	}
	s.Close()

	if after := pgtest.Snapshot(t, dsn); after != before {
		t.Fatalf("the database changed:\n%s", pgtest.SnapshotDiff(before, after))
	}
}

func TestMigrateRefusesUpstreamDatabase(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	pgtest.LoadFile(t, dsn, upstreamFixture)
	refuses(t, dsn, postgres.ErrUpstreamSchema,
		"upstream MAS",
		"cannot share a database with upstream MAS",
		`Found in schema "public": upstream's migration ledger _sqlx_migrations recording 6 applied migration(s), the latest 20250312094013`,
		"compat_sessions, oauth2_clients",
		"Nothing was changed",
		"`mas-cli database import-upstream`",
	)
}

// TestMigrateRefusesUpstreamAfterEarlierFailure is the database an earlier
// version of this service left behind: upstream's schema plus the empty
// ledger it created before its first migration failed.
func TestMigrateRefusesUpstreamAfterEarlierFailure(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	pgtest.LoadFile(t, dsn, upstreamFixture)
	pgtest.Exec(t, dsn, `CREATE TABLE mas_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`)
	refuses(t, dsn, postgres.ErrUpstreamSchema,
		"_sqlx_migrations recording 6 applied migration(s)",
		"The empty table mas_migrations was left by an earlier version",
		"Nothing was changed",
	)
}

func TestMigrateRefusesUpstreamTablesWithoutLedger(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	pgtest.LoadFile(t, dsn, upstreamFixture)
	pgtest.Exec(t, dsn, `DROP TABLE _sqlx_migrations`)
	refuses(t, dsn, postgres.ErrUpstreamSchema,
		"upstream MAS's tables (compat_sessions, oauth2_clients, oauth2_sessions, queue_jobs, user_emails and 3 more) without a migration ledger",
		"Nothing was changed",
	)
}

func TestMigrateRefusesUpstreamLedgerNextToOurs(t *testing.T) {
	dsn := pgtest.NewDatabaseFrom(t, template)
	pgtest.Exec(t, dsn, `
		CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
			installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL,
			checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);
		INSERT INTO _sqlx_migrations VALUES (20220530084123, 'jobs', now(), TRUE, '\x00', 1)`)
	refuses(t, dsn, postgres.ErrUpstreamSchema, "both have migrated this database", "Nothing was changed")
}

func TestMigrateRefusesForeignTables(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	pgtest.Exec(t, dsn, `
		CREATE TABLE widgets (id SERIAL PRIMARY KEY, name TEXT);
		INSERT INTO widgets (name) VALUES ('sprocket');
		CREATE TABLE orders (id BIGINT PRIMARY KEY);
		CREATE VIEW widget_names AS SELECT name FROM widgets`)
	refuses(t, dsn, postgres.ErrForeignSchema,
		`schema "public" of this database already holds tables of another application (orders, widget_names, widgets)`,
		"Nothing was changed",
		"new, empty database",
	)
}

// TestMigrateOursWithUpstreamDebris: upstream started on our database by
// mistake creates its ledger and fails its first migration; that empty
// ledger must not lock us out of our own database.
func TestMigrateOursWithUpstreamDebris(t *testing.T) {
	dsn := pgtest.NewDatabaseFrom(t, template)
	pgtest.Exec(t, dsn, `CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
		installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL,
		checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)`)
	s := openDSN(t, dsn)
	if applied, err := s.Migrate(context.Background()); err != nil || len(applied) != 0 {
		t.Fatalf("Migrate: applied %v, error %v; want nothing to do", applied, err)
	}
	if err := s.CheckSchemaOwner(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateOurOwnDatabase(t *testing.T) {
	s := openDSN(t, pgtest.NewDatabaseFrom(t, template))
	ctx := context.Background()
	if err := s.CheckSchemaOwner(ctx); err != nil {
		t.Fatal(err)
	}
	if applied, err := s.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("Migrate: applied %v, error %v; want nothing to do", applied, err)
	}
}

// TestMigrateEmptyWithExtension: an operator who installed pg_trgm (or any
// extension) ahead of time still has an empty database; the extension's
// own objects are not another application's.
func TestMigrateEmptyWithExtension(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	pgtest.Exec(t, dsn, `CREATE EXTENSION IF NOT EXISTS pg_trgm`)
	s := openDSN(t, dsn)
	ctx := context.Background()
	if err := s.CheckSchemaOwner(ctx); err != nil {
		t.Fatal(err)
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[0] != "0001_users" {
		t.Fatalf("applied %v, want every migration from 0001_users", applied)
	}
}

// TestMigrateOwnSchemaBesideUpstream: only the current schema counts, so
// a schema of our own in upstream's database (search_path) is not refused.
func TestMigrateOwnSchemaBesideUpstream(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	pgtest.LoadFile(t, dsn, upstreamFixture)
	pgtest.Exec(t, dsn, `CREATE SCHEMA mas`)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", "mas")
	u.RawQuery = q.Encode()
	s := openDSN(t, u.String())
	applied, err := s.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 {
		t.Fatal("nothing applied in the empty schema")
	}
}
