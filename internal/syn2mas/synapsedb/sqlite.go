package synapsedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// openSQLite opens the snapshot on Synapse's SQLite file (beyond upstream,
// which reads PostgreSQL only). The rows are read through a read-only
// connection (mode=ro) in one read transaction, which sees one version of
// the file however long the migration takes.
//
// SQLite locks the whole file, not tables. Without Options.Shared a second
// connection takes the write lock (BEGIN IMMEDIATE, not waiting: a writer
// in the middle of a transaction makes Open fail with upstream's locking
// text) and holds it, writing nothing, until Close: Synapse can then read
// but not write, as with upstream's EXCLUSIVE locks. A file we may not
// write to cannot be locked, so it is read without the lock. With Shared
// there is no lock: in WAL mode (Synapse's) writers go on while we read;
// in rollback-journal mode our read lock makes their commits wait.
func openSQLite(ctx context.Context, opts Options) (Source, error) {
	if _, err := os.Stat(opts.DSN); err != nil {
		return nil, fmt.Errorf("synapsedb: the Synapse SQLite database: %w", err)
	}
	var lock *sql.Conn
	var lockDB *sql.DB
	releaseLock := func() {
		if lock != nil {
			_, _ = lock.ExecContext(context.Background(), "ROLLBACK")
			_ = lock.Close()
		}
		if lockDB != nil {
			_ = lockDB.Close()
		}
	}
	if !opts.Shared {
		var err error
		lockDB, lock, err = writeLock(ctx, opts.DSN)
		if err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("sqlite", fileURI(opts.DSN)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		releaseLock()
		return nil, fmt.Errorf("synapsedb: opening the Synapse SQLite database: %w", err)
	}
	db.SetMaxOpenConns(1) // the transaction's
	tx, err := snapshot(ctx, db)
	if err != nil {
		_ = db.Close()
		releaseLock()
		return nil, err
	}
	return &source{
		q: sqliteQuerier{tx},
		estimate: func(ctx context.Context, table string) (int64, error) {
			var n int64
			err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n)
			return n, err
		},
		close: func() error {
			// The lock's read-write connection closes first, so that
			// the read-only one is the last: a last read-write
			// connection would checkpoint the WAL into the file.
			releaseLock()
			return errors.Join(tx.Rollback(), db.Close())
		},
	}, nil
}

// writeLock takes SQLite's write lock, or nothing when the file is not
// ours to write.
func writeLock(ctx context.Context, path string) (*sql.DB, *sql.Conn, error) {
	db, err := sql.Open("sqlite", fileURI(path)+"?mode=rw&_pragma=busy_timeout(0)")
	if err != nil {
		return nil, nil, lockError(Tables[0], err)
	}
	conn, err := db.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
		if err != nil {
			_ = conn.Close()
		}
	}
	if err != nil {
		_ = db.Close()
		if readOnlyFile(err) {
			return nil, nil, nil
		}
		return nil, nil, lockError(Tables[0], err)
	}
	return db, conn, nil
}

func readOnlyFile(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
		return true
	}
	return false
}

// snapshot starts the read transaction and reads from every table, which
// pins the version it sees (and tells a file that is not Synapse's).
func snapshot(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("synapsedb: starting the snapshot: %w", err)
	}
	for _, t := range Tables {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM "+t+" LIMIT 1").Scan(&one)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			_ = tx.Rollback()
			return nil, lockError(t, err)
		}
	}
	var hasLocked int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('users') WHERE name = 'locked'`).Scan(&hasLocked); err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("synapsedb: reading the users table's columns: %w", err)
	}
	if hasLocked == 0 {
		_ = tx.Rollback()
		return nil, lockedColumnMissing()
	}
	return tx, nil
}

// fileURI makes a path into an SQLite URI (so that mode= applies), with
// the characters URIs reserve escaped.
func fileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// sqliteQuerier runs the listings in the snapshot's transaction.
type sqliteQuerier struct{ tx *sql.Tx }

func (q sqliteQuerier) query(ctx context.Context, query string, args ...any) (rowCursor, func(), error) {
	rows, err := q.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	return rows, func() { _ = rows.Close() }, nil
}
