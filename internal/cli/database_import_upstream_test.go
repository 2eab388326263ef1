package cli

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"mas/internal/config"
	"mas/internal/encrypt"
	"mas/internal/importupstream/upstreamtest"
	"mas/internal/store/postgres/pgtest"
	"mas/internal/testenv"
)

// upstreamFixture fills a throw-away PostgreSQL database with upstream
// MAS's schema and generated rows, its secrets encrypted with the test
// configuration's secrets.encryption.
func upstreamFixture(t *testing.T, users int) (string, *upstreamtest.Fixture) {
	t.Helper()
	var key [32]byte
	if _, err := hex.Decode(key[:], []byte(testEncryption)); err != nil {
		t.Fatal(err)
	}
	dsn, _, f := upstreamtest.NewDatabase(t, upstreamtest.Options{Users: users, Seed: 42, Encrypt: encrypt.New(key, rand.Reader).Encrypt})
	return dsn, f
}

// TestDatabaseImportUpstreamFrom runs the command against both backends:
// a dry run keeps nothing, the import reports a summary line per table
// and a final line, and a second import is refused.
func TestDatabaseImportUpstreamFrom(t *testing.T) {
	src, f := upstreamFixture(t, 8)
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			dest := sqliteURI(dir)
			if backend == "postgres" {
				dest = pgtest.NewDatabase(t)
			}
			cfg := writeFile(t, dir, "config.yaml", baseConfig(t, dest))

			r := run(t, "database", "import-upstream", "--from", src, "--dry-run", "-c", cfg)
			mustSucceed(t, r, "dry run")
			if !strings.Contains(r.stdout, "Dry run completed in ") || !strings.Contains(r.stdout, "nothing kept: would have imported") {
				t.Errorf("dry run output:\n%s", r)
			}

			r = run(t, "database", "import-upstream", "--from", src, "-c", cfg)
			mustSucceed(t, r, "import")
			for _, want := range []string{
				fmt.Sprintf("%d users imported (0 skipped) in ", f.Rows["users"]),
				fmt.Sprintf("%d OAuth 2.0 access tokens imported (0 skipped) in ", f.Rows["oauth2_access_tokens"]),
				fmt.Sprintf("%d compatibility refresh tokens imported (0 skipped) in ", f.Rows["compat_refresh_tokens"]),
			} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("no %q line:\n%s", want, r)
				}
			}
			if !strings.Contains(r.stdout, "Import completed in ") {
				t.Errorf("no final line:\n%s", r)
			}

			mustFail(t, run(t, "database", "import-upstream", "--from", src, "-c", cfg),
				"The MAS database is not empty: rows found in at least `users`. Please drop and recreate the database, then try again.")
		})
	}
}

// TestDatabaseImportUpstreamInPlace converts a database upstream MAS has
// migrated, then follows the printed rollback instructions: upstream's
// schema and rows are back exactly as they were.
func TestDatabaseImportUpstreamInPlace(t *testing.T) {
	dsn, f := upstreamFixture(t, 8)
	before := pgtest.Snapshot(t, dsn)
	cfg := writeFile(t, t.TempDir(), "config.yaml", baseConfig(t, dsn))

	r := run(t, "database", "import-upstream", "--in-place", "--dry-run", "-c", cfg)
	mustSucceed(t, r, "in-place dry run")
	if after := pgtest.Snapshot(t, dsn); after != before {
		t.Fatalf("the dry run changed the database:\n%s", pgtest.SnapshotDiff(before, after))
	}

	r = run(t, "database", "import-upstream", "--in-place", "-c", cfg)
	mustSucceed(t, r, "in-place import")
	for _, want := range []string{"Moved upstream MAS's 22 tables from schema \"public\" to schema \"upstream_backup_",
		"Import completed in ", "To go back to upstream MAS, stop this"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"users", "oauth2_access_tokens", "compat_access_tokens", "personal_access_tokens"} {
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM public.`+table).Scan(&n); err != nil || n != f.Rows[table] {
			t.Errorf("public.%s: %d rows (%v), upstream has %d", table, n, err, f.Rows[table])
		}
	}
	mustSucceed(t, run(t, "database", "migrate", "-c", cfg), "migrate after the in-place import")

	// The service runs on the converted database, every token answering
	// as upstream did; it stops before the rollback, as the instructions
	// say.
	t.Run("service", func(t *testing.T) {
		env := testenv.New(t, testenv.Options{Configure: func(c *config.Config) {
			c.Database.URI = dsn
			c.Secrets.Encryption, c.Secrets.EncryptionFile = testEncryption, ""
		}})
		upstreamtest.CheckTokens(t, env.BaseURL, env.Config.Matrix.Secret, f, nil)
	})
	mustFail(t, run(t, "database", "import-upstream", "--in-place", "-c", cfg), "already holds this service's tables")

	rollback := rollbackStatements(t, r.stdout)
	pgtest.Exec(t, dsn, rollback)
	if after := pgtest.Snapshot(t, dsn); after != before {
		t.Fatalf("after the rollback the database differs from upstream's:\n%s\nrollback:\n%s", pgtest.SnapshotDiff(before, after), rollback)
	}
}

// rollbackStatements cuts the statements out of the command's output,
// from BEGIN; to COMMIT;, as an operator would copy them.
func rollbackStatements(t *testing.T, out string) string {
	t.Helper()
	start, end := strings.Index(out, "\nBEGIN;\n"), strings.Index(out, "\nCOMMIT;\n")
	if start < 0 || end < start {
		t.Fatalf("no rollback statements in:\n%s", out)
	}
	return out[start+1 : end+len("\nCOMMIT;")]
}

// TestDatabaseImportUpstreamUsage: a source is required, one only, and it
// must be PostgreSQL.
func TestDatabaseImportUpstreamUsage(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "config.yaml", baseConfig(t, sqliteURI(t.TempDir())))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "give upstream's database with --from postgres://…, or --in-place"},
		{[]string{"--from", "postgres://x@localhost/mas", "--in-place"}, "--from and --in-place cannot be combined"},
		{[]string{"--from", "sqlite:/tmp/mas.db"}, "is not a postgres:// URI"},
	} {
		r := run(t, append([]string{"database", "import-upstream", "-c", cfg}, tc.args...)...)
		mustFail(t, r, tc.want)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", tc.args, r.code)
		}
	}
	mustFail(t, run(t, "database", "import-upstream", "--in-place", "-c", cfg), "--in-place needs database.uri to be upstream MAS's PostgreSQL database")
}
