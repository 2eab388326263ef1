package pgtest_test

import (
	"testing"

	"mas/internal/store/postgres/pgtest"
)

// TestSnapshotSeesChanges holds Snapshot to its promise: each of these
// changes, applied one after the other, must show in the snapshot, and
// reading must not.
func TestSnapshotSeesChanges(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	steps := []string{
		`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)`,
		`INSERT INTO t VALUES (1, 'a')`,
		`UPDATE t SET name = 'b'`,
		`ALTER TABLE t ADD COLUMN extra BOOLEAN`,
		`ALTER TABLE t ALTER COLUMN extra SET DEFAULT TRUE`,
		`ALTER TABLE t ADD CONSTRAINT t_name_check CHECK (name <> '')`,
		`CREATE INDEX t_name ON t (name)`,
		`CREATE SEQUENCE s`,
		`SELECT nextval('s')`,
		`CREATE TYPE st AS ENUM ('x')`,
		`ALTER TYPE st ADD VALUE 'y'`,
		`CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
		`CREATE OR REPLACE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
		`CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()`,
		`ALTER TABLE t DISABLE TRIGGER tr`,
		`CREATE VIEW v AS SELECT id FROM t`,
		`CREATE SCHEMA other`,
		`CREATE TABLE other.lock_table (id INTEGER)`,
		`CREATE EXTENSION IF NOT EXISTS pg_trgm`,
		`GRANT SELECT ON t TO PUBLIC`,
		`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET work_mem = ''8MB''', current_database()); END $$`,
		`DROP TABLE other.lock_table`,
	}
	prev := pgtest.Snapshot(t, dsn)
	for _, step := range steps {
		pgtest.Exec(t, dsn, step)
		next := pgtest.Snapshot(t, dsn)
		if next == prev {
			t.Errorf("the snapshot did not change after %s", step)
		}
		prev = next
	}
	pgtest.Exec(t, dsn, `SELECT * FROM t; SELECT count(*) FROM pg_class`)
	if again := pgtest.Snapshot(t, dsn); again != prev {
		t.Errorf("reading changed the snapshot:\n%s", pgtest.SnapshotDiff(prev, again))
	}
}
