package cli

import (
	"strings"
	"testing"

	"mas/internal/store/postgres/pgtest"
)

func TestDatabaseMigrate(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			uri := sqliteURI(dir)
			if backend == "postgres" {
				uri = pgtest.NewDatabase(t)
			}
			cfg := writeFile(t, dir, "config.yaml", baseConfig(t, uri))

			first := run(t, "database", "migrate", "-c", cfg)
			mustSucceed(t, first, "first database migrate")
			if !strings.HasPrefix(first.stdout, "Applied ") {
				t.Errorf("the first migrate does not list what it applied:\n%s", first)
			}
			// Every migration is listed, the first schema migration
			// included.
			if !strings.Contains(first.stdout, "0001_") {
				t.Errorf("the first migrate does not list 0001:\n%s", first)
			}

			second := run(t, "database", "migrate", "-c", cfg)
			mustSucceed(t, second, "second database migrate")
			if got := second.stdout; got != "Database is up to date\n" {
				t.Errorf("the second migrate printed %q, want it to say the database is up to date", got)
			}
		})
	}
}

func TestDatabaseMigrateInvalidConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir))+"databse: {}\n")
	t.Setenv("MAS_CONFIG_STRICT", "1")
	mustFail(t, run(t, "database", "migrate", "-c", cfg), "databse: unknown key")
}
