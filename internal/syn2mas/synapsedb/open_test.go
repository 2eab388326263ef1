package synapsedb_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"mas/internal/store/postgres/pgtest"
	"mas/internal/syn2mas/synapsedb"
	"mas/internal/syn2mas/synapsedb/synapsegen"
)

// execer runs statements on the Synapse database beside the Source, as
// Synapse (or an operator) would.
type execer func(t *testing.T, query string) error

func otherConn(t *testing.T, driver, dsn string) execer {
	t.Helper()
	ctx := context.Background()
	if driver == "postgres" {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close(ctx) })
		return func(t *testing.T, q string) error { _, err := conn.Exec(ctx, q); return err }
	}
	db, err := sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return func(t *testing.T, q string) error { _, err := conn.ExecContext(ctx, q); return err }
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func countUsers(t *testing.T, src synapsedb.Source) int {
	t.Helper()
	n := 0
	must(t, src.Users(context.Background(), func(synapsedb.User) error { n++; return nil }))
	return n
}

const insertUser = `INSERT INTO users (name, creation_ts) VALUES ('@late:example.org', 1700000000)`

// Upstream's locks on PostgreSQL: EXCLUSIVE NOWAIT for a migration (which
// a writing Synapse makes fail at once, and which keeps writers out), and
// ACCESS SHARE for a dry run (which leaves Synapse running).
func TestLockingPostgres(t *testing.T) {
	ctx := context.Background()
	pgtest.Require(t)
	driver := "postgres"
	dsn, _ := homeserver(t, driver, func() string { return synapseDatabase(t) }, synapsegen.Default(40))
	synapse := otherConn(t, driver, dsn)

	// Synapse in the middle of writing a device.
	must(t, synapse(t, "BEGIN"))
	must(t, synapse(t, "LOCK TABLE devices IN ROW EXCLUSIVE MODE"))
	_, err := synapsedb.Open(ctx, synapsedb.Options{Driver: driver, DSN: dsn})
	if err == nil || !strings.Contains(err.Error(), "database error whilst locking Synapse table `devices`") ||
		!strings.Contains(err.Error(), "55P03") {
		t.Fatalf("exclusive Open beside a writer: %v", err)
	}
	dry := open(t, driver, dsn, true)
	if n := countUsers(t, dry); n != 40 {
		t.Errorf("shared snapshot beside a writer: %d users", n)
	}
	must(t, dry.Close())
	must(t, synapse(t, "ROLLBACK"))

	// A mere reader does not stand in the way.
	must(t, synapse(t, "BEGIN"))
	must(t, synapse(t, "SELECT COUNT(*) FROM users"))
	migration := open(t, driver, dsn, false)
	must(t, synapse(t, "ROLLBACK"))

	// While the migration holds its locks: another migration fails on
	// the first table, a dry run reads, and writers are kept out.
	if _, err := synapsedb.Open(ctx, synapsedb.Options{Driver: driver, DSN: dsn}); err == nil ||
		!strings.Contains(err.Error(), "database error whilst locking Synapse table `users`") {
		t.Errorf("second exclusive Open: %v", err)
	}
	if n := countUsers(t, open(t, driver, dsn, true)); n != 40 {
		t.Errorf("shared snapshot beside the migration: %d users", n)
	}
	must(t, synapse(t, "SET lock_timeout = '200ms'"))
	if err := synapse(t, insertUser); err == nil || !strings.Contains(err.Error(), "lock timeout") {
		t.Errorf("a write during the migration: %v", err)
	}

	// It shows as upstream's reader does.
	var apps int
	conn, err := pgx.Connect(ctx, dsn)
	must(t, err)
	defer conn.Close(ctx)
	must(t, conn.QueryRow(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'syn2mas-synapse' AND datname = current_database()`).Scan(&apps))
	if apps == 0 {
		t.Error("no connection with application_name syn2mas-synapse")
	}

	must(t, migration.Close())
	must(t, synapse(t, insertUser))
}

// SQLite locks the file: a migration takes the write lock (failing beside
// a writer), a dry run takes none.
func TestLockingSQLite(t *testing.T) {
	ctx := context.Background()
	dsn, _ := homeserver(t, "sqlite", func() string { return filepath.Join(t.TempDir(), "homeserver.db") }, synapsegen.Default(40))
	synapse := otherConn(t, "sqlite", dsn)

	must(t, synapse(t, "BEGIN IMMEDIATE"))
	must(t, synapse(t, insertUser))
	_, err := synapsedb.Open(ctx, synapsedb.Options{Driver: "sqlite", DSN: dsn})
	if err == nil || !strings.Contains(err.Error(), "database error whilst locking Synapse table `users`") {
		t.Fatalf("exclusive Open beside a writer: %v", err)
	}
	dry := open(t, "sqlite", dsn, true)
	if n := countUsers(t, dry); n != 40 {
		t.Errorf("shared snapshot beside a writer: %d users", n)
	}
	must(t, dry.Close())
	must(t, synapse(t, "ROLLBACK"))

	migration := open(t, "sqlite", dsn, false)
	if _, err := synapsedb.Open(ctx, synapsedb.Options{Driver: "sqlite", DSN: dsn}); err == nil ||
		!strings.Contains(err.Error(), "database error whilst locking Synapse table `users`") {
		t.Errorf("second exclusive Open: %v", err)
	}
	if n := countUsers(t, open(t, "sqlite", dsn, true)); n != 40 {
		t.Errorf("shared snapshot beside the migration: %d users", n)
	}
	if err := synapse(t, insertUser); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("a write during the migration: %v", err)
	}
	must(t, migration.Close())
	must(t, synapse(t, insertUser))
}

// Reading, locks included, leaves Synapse's file as it was: the lock's
// read-write connection never writes, and closes before the read-only one
// (the last connection to close a WAL database would checkpoint it).
func TestSQLiteFileUntouched(t *testing.T) {
	dsn, _ := homeserver(t, "sqlite", func() string { return filepath.Join(t.TempDir(), "homeserver.db") }, synapsegen.Default(40))
	before, err := os.ReadFile(dsn)
	must(t, err)
	for _, shared := range []bool{false, true} {
		src := open(t, "sqlite", dsn, shared)
		listAll(t, src)
		must(t, src.Close())
	}
	after, err := os.ReadFile(dsn)
	must(t, err)
	if !bytes.Equal(before, after) {
		t.Error("reading changed the SQLite file")
	}
}

// One snapshot: rows written after Open are not seen, however long the
// migration reads.
func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	onBoth(t, func(t *testing.T, driver string, newDSN func() string) {
		dsn, _ := homeserver(t, driver, newDSN, synapsegen.Default(25))
		src := open(t, driver, dsn, true)
		must(t, otherConn(t, driver, dsn)(t, insertUser))
		if n := countUsers(t, src); n != 25 {
			t.Errorf("the snapshot sees %d users, want the 25 of when it was opened", n)
		}
		if driver == "sqlite" {
			if n, err := src.Estimate(ctx, "users"); err != nil || n != 25 {
				t.Errorf("Estimate = %d, %v; want 25", n, err)
			}
		}
		if n := countUsers(t, open(t, driver, dsn, true)); n != 26 {
			t.Errorf("a new snapshot sees %d users, want 26", n)
		}
	})
}

// Estimates: PostgreSQL's statistics (0 before the first ANALYZE, not
// -1), SQLite's exact counts.
func TestEstimate(t *testing.T) {
	ctx := context.Background()
	onBoth(t, func(t *testing.T, driver string, newDSN func() string) {
		dsn, sum := homeserver(t, driver, newDSN, synapsegen.Default(200)) // Generate ANALYZEs
		src := open(t, driver, dsn, true)
		exact := map[string]int64{
			"users": sum.Users, "user_threepids": sum.Emails + sum.Phones, "user_external_ids": sum.ExternalIDs["oidc"],
			"devices": sum.DeviceRows, "access_tokens": sum.AccessTokenRows, "refresh_tokens": sum.RefreshTokenRows,
		}
		for _, table := range synapsedb.Tables {
			n, err := src.Estimate(ctx, table)
			if err != nil || n <= 0 || (driver == "sqlite" && n != exact[table]) {
				t.Errorf("Estimate(%s) = %d, %v (exact: %d)", table, n, err, exact[table])
			}
		}
		if _, err := src.Estimate(ctx, "users; DROP TABLE users"); err == nil {
			t.Error("Estimate of a table syn2mas does not read")
		}

		// Tables never analysed.
		ddl, err := synapsegen.Schema(driver)
		must(t, err)
		empty := newDSN()
		if driver == "sqlite" {
			db, err := sql.Open("sqlite", empty)
			must(t, err)
			_, err = db.Exec(ddl)
			must(t, err)
			must(t, db.Close())
		} else {
			must(t, otherConn(t, driver, empty)(t, ddl))
		}
		src = open(t, driver, empty, true)
		for _, table := range synapsedb.Tables {
			if n, err := src.Estimate(ctx, table); err != nil || n != 0 {
				t.Errorf("Estimate(%s) of a fresh table = %d, %v; want 0", table, n, err)
			}
		}
	})
}

// A NULL where Synapse never writes one stops the listing with an error
// that names the table, the row and the column.
func TestBadRows(t *testing.T) {
	ctx := context.Background()
	onBoth(t, func(t *testing.T, driver string, newDSN func() string) {
		dsn, _ := homeserver(t, driver, newDSN, synapsegen.Options{ServerName: "example.org"})
		db := otherConn(t, driver, dsn)
		for _, c := range []struct {
			insert string
			want   synapsedb.BadRowError
		}{
			{`INSERT INTO users (name, creation_ts) VALUES (NULL, 1700000000)`, synapsedb.BadRowError{Table: "users", Row: "#1", Column: "name"}},
			{`INSERT INTO users (name, creation_ts) VALUES ('@old:example.org', NULL)`, synapsedb.BadRowError{Table: "users", Row: "@old:example.org", Column: "creation_ts"}},
		} {
			must(t, db(t, "DELETE FROM users"))
			must(t, db(t, c.insert))
			src := open(t, driver, dsn, false)
			err := src.Users(ctx, func(synapsedb.User) error { return nil })
			must(t, src.Close()) // its locks would keep the next DELETE waiting
			var bad *synapsedb.BadRowError
			if !errors.As(err, &bad) || *bad != c.want {
				t.Errorf("%s: %v, want %v", c.insert, err, &c.want)
			}
		}
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := synapsedb.Open(ctx, synapsedb.Options{Driver: "mysql", DSN: "x"}); err == nil || !strings.Contains(err.Error(), "mysql") {
		t.Errorf("unknown driver: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "nope.db")
	if _, err := synapsedb.Open(ctx, synapsedb.Options{Driver: "sqlite", DSN: missing}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Error("Open created the missing file")
	}
	if _, err := synapsedb.Open(ctx, synapsedb.Options{Driver: "postgres", DSN: "postgres://127.0.0.1:1/synapse?connect_timeout=5"}); err == nil {
		t.Error("Open of a server that is not there")
	}

	onBoth(t, func(t *testing.T, driver string, newDSN func() string) {
		// Not a Synapse database.
		other := newDSN()
		if driver == "sqlite" {
			db, err := sql.Open("sqlite", other)
			must(t, err)
			_, err = db.Exec(`CREATE TABLE something (x)`)
			must(t, err)
			must(t, db.Close())
		}
		for _, shared := range []bool{false, true} {
			_, err := synapsedb.Open(ctx, synapsedb.Options{Driver: driver, DSN: other, Shared: shared})
			if err == nil || !strings.Contains(err.Error(), "database error whilst locking Synapse table `users`") {
				t.Errorf("not a Synapse database (shared %v): %v", shared, err)
			}
		}

		// A Synapse too old for upstream's query (users.locked is from
		// schema 80).
		dsn, _ := homeserver(t, driver, newDSN, synapsegen.Default(3))
		must(t, otherConn(t, driver, dsn)(t, "ALTER TABLE users DROP COLUMN locked"))
		if _, err := synapsedb.Open(ctx, synapsedb.Options{Driver: driver, DSN: dsn}); err == nil || !strings.Contains(err.Error(), "users.locked") {
			t.Errorf("schema without users.locked: %v", err)
		}
	})
}
