package cli

import (
	"context"
	"testing"
	"time"

	"mas/internal/store/postgres/pgtest"
)

// TestUpstreamDatabaseRefused points every command that prepares the
// schema at a database upstream MAS has migrated: each must exit non-zero
// with the refusal intact, and the database must be exactly as before.
func TestUpstreamDatabaseRefused(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	pgtest.LoadFile(t, dsn, "../store/postgres/testdata/upstream_schema.sql")
	before := pgtest.Snapshot(t, dsn)

	dir := t.TempDir()
	port := freePort(t)
	cfg := writeFile(t, dir, "config.yaml", baseConfig(t, dsn)+listenersConfig(map[string]int{"web": port}, "web"))

	want := []string{
		"Error: migrating the database: this database is used by upstream MAS (the Rust Matrix Authentication Service), and this service cannot share a database with upstream MAS.\n",
		`Found in schema "public": upstream's migration ledger _sqlx_migrations recording 6 applied migration(s), the latest 20250312094013`,
		"Nothing was changed: no table, schema, extension or migration record was created or altered.\n",
		"`mas-cli database import-upstream` (--from <this database's URI>), or convert this one where it is (--in-place).",
	}
	// Without --no-migrate the refusal comes from the migration itself,
	// hence the same "migrating the database" context; with it, from the
	// check that precedes the look at pending migrations.
	checkOnly := append([]string{"Error: this database is used by upstream MAS"}, want[1:]...)

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"database", "migrate"}, want},
		{[]string{"server"}, want},
		{[]string{"server", "--no-migrate"}, checkOnly},
		{[]string{"config", "sync"}, checkOnly},
	} {
		// A server that wrongly started would serve until cancelled.
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		r := runContext(t, ctx, append(tc.args, "-c", cfg)...)
		cancel()
		mustFail(t, r, tc.want...)
		if r.stdout != "" {
			t.Errorf("%v printed on standard output:\n%s", tc.args, r)
		}
		assertPortFree(t, port)
	}

	if after := pgtest.Snapshot(t, dsn); after != before {
		t.Fatalf("the database changed:\n%s", pgtest.SnapshotDiff(before, after))
	}
}

// TestDatabaseMigrateRefusesForeignTables: an unknown application's tables
// get their own refusal, naming some of them.
func TestDatabaseMigrateRefusesForeignTables(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	pgtest.Exec(t, dsn, `CREATE TABLE widgets (id BIGINT PRIMARY KEY); CREATE TABLE gadgets (id BIGINT PRIMARY KEY)`)
	before := pgtest.Snapshot(t, dsn)
	cfg := writeFile(t, t.TempDir(), "config.yaml", baseConfig(t, dsn))

	mustFail(t, run(t, "database", "migrate", "-c", cfg),
		`Error: migrating the database: schema "public" of this database already holds tables of another application (gadgets, widgets)`,
		"Nothing was changed",
	)
	if after := pgtest.Snapshot(t, dsn); after != before {
		t.Fatalf("the database changed:\n%s", pgtest.SnapshotDiff(before, after))
	}
}
