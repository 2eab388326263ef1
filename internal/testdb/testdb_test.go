package testdb_test

import (
	"context"
	"testing"

	"mas/internal/clock"
	"mas/internal/store/sqlite"
	"mas/internal/store/sqlstore"
	"mas/internal/testdb"
)

func openSQLite(t *testing.T) *sqlite.Store {
	t.Helper()
	s, _ := testdb.OpenBackend(t, testdb.SQLite, clock.System{})
	ss, ok := s.(*sqlite.Store)
	if !ok {
		t.Fatalf("OpenBackend(%q) = %T, want *sqlite.Store", testdb.SQLite, s)
	}
	return ss
}

func TestSQLiteCopyIsUpToDate(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	migrations, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	pending, err := sqlstore.Pending(ctx, s.DB(), migrations)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Errorf("pending migrations on a copy: %v", pending)
	}
	// Migrate also covers the job queue's ledger, which Pending does not.
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Errorf("Migrate on a copy applied %v, want nothing", applied)
	}
}

func TestSQLiteCopyHasOpenSettings(t *testing.T) {
	db := openSQLite(t).DB()
	// One connection, so that every pragma is read on the same one.
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"busy_timeout": "10000",
	} {
		var got string
		if err := conn.QueryRowContext(context.Background(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
}

func TestSQLiteCopiesAreFreshAndIndependent(t *testing.T) {
	ctx := context.Background()
	a, b := openSQLite(t), openSQLite(t)
	if _, err := a.DB().ExecContext(ctx,
		`INSERT INTO users (user_id, username, created_at) VALUES ('01J00000000000000000000000', 'alice', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB().ExecContext(ctx,
		`INSERT INTO river_job (args, kind, max_attempts, queue, state) VALUES ('{}', 'probe', 1, 'default', 'available')`); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"users", "river_job"} {
		var n int
		if err := b.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatalf("%s in a second copy: %v", table, err)
		}
		if n != 0 {
			t.Errorf("%s in a second copy has %d rows, want 0", table, n)
		}
	}
	// A third copy, made after the first was written to, must not see it
	// either: the writes must not reach the template.
	c := openSQLite(t)
	var n int
	if err := c.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("users in a copy made after a write: %d rows, want 0", n)
	}
}

// A subtest's temporary directory carries its name, and Go names a repeated
// subtest "name#01": the copy must still be the store's file.
func TestSQLiteCopyUnderTestNameWithHash(t *testing.T) {
	for i := range 2 {
		t.Run("same", func(t *testing.T) {
			s := openSQLite(t)
			ctx := context.Background()
			var n int
			if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
				t.Fatalf("store %d: %v", i, err)
			}
			if n != 0 {
				t.Errorf("store %d: users has %d rows, want 0", i, n)
			}
			if _, err := s.DB().ExecContext(ctx,
				`INSERT INTO users (user_id, username, created_at) VALUES ('01J00000000000000000000000', 'alice', 0)`); err != nil {
				t.Fatalf("store %d: %v", i, err)
			}
		})
	}
}
