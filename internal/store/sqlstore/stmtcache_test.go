package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the driver the cache serves
)

// oneConnection is an in-memory SQLite pool of one connection.
func oneConnection(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	return db
}

// The cache keeps at most max texts; the others still run, unprepared.
// Once closed it keeps nothing more.
func TestStmtCacheBound(t *testing.T) {
	ctx := context.Background()
	db := oneConnection(t)
	c := newStmtCache(db, 2)
	q := cachedDB{c}
	answer := func(i int) {
		t.Helper()
		var got int
		if err := q.QueryRowContext(ctx, fmt.Sprintf("SELECT %d + $1", i), 1).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("SELECT %d + 1 = %d, %v", i, got, err)
		}
	}
	for i := range 4 {
		answer(i)
		answer(i)
	}
	if n := len(c.stmts); n != 2 {
		t.Fatalf("kept %d statements, want the bound 2", n)
	}
	// Batches with long argument lists are left out.
	long := make([]any, maxCachedArgs+1)
	if stmt := c.get(ctx, "SELECT 1", len(long)); stmt != nil {
		t.Fatal("a statement with a long argument list was kept")
	}
	c.close()
	if len(c.stmts) != 0 {
		t.Fatalf("closed cache holds %d statements", len(c.stmts))
	}
	if stmt := c.get(ctx, "SELECT 2", 0); stmt != nil {
		t.Fatal("a closed cache kept a new statement")
	}
}

// gatedDriver is the SQLite driver whose Prepare of a text containing
// "gated" waits for release, after saying so on entered.
type gatedDriver struct {
	driver.Driver
	entered, release chan struct{}
}

func (d gatedDriver) Open(name string) (driver.Conn, error) {
	c, err := d.Driver.Open(name)
	if err != nil {
		return nil, err
	}
	return gatedConn{c, d}, nil
}

type gatedConn struct {
	driver.Conn
	d gatedDriver
}

func (c gatedConn) Prepare(query string) (driver.Stmt, error) {
	if strings.Contains(query, "gated") {
		c.d.entered <- struct{}{}
		<-c.d.release
	}
	return c.Conn.Prepare(query)
}

// close waits for a preparation running in the background: it holds a
// connection, which must not outlive the store's Close (the last
// connection to a SQLite file removes its WAL, racing whoever removes the
// directory next).
func TestStmtCacheCloseWaitsForBackgroundPrepare(t *testing.T) {
	probe, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	d := gatedDriver{Driver: probe.Driver(), entered: make(chan struct{}), release: make(chan struct{})}
	probe.Close()
	db := sql.OpenDB(driverConnector{d})
	defer db.Close()
	c := newStmtCache(db, 4)
	if stmt := c.getInTx("SELECT 'gated'", 0); stmt != nil {
		t.Fatal("getInTx prepared in the foreground")
	}
	<-d.entered
	closed := make(chan struct{})
	go func() { c.close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("close returned while a background preparation held a connection")
	case <-time.After(100 * time.Millisecond):
	}
	close(d.release)
	<-closed
	if len(c.stmts) != 0 || len(c.pending) != 0 {
		t.Fatalf("after close: %d statements kept, %d pending", len(c.stmts), len(c.pending))
	}
}

// driverConnector opens a database/sql pool on a driver value.
type driverConnector struct{ d driver.Driver }

func (c driverConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(":memory:") }
func (c driverConnector) Driver() driver.Driver                        { return c.d }

// close does not wait for a preparation still waiting for a connection:
// with every connection in a transaction, that could be for ever (and is,
// when the goroutine closing the store owns the transaction).
func TestStmtCacheCloseDoesNotWaitForATransaction(t *testing.T) {
	ctx := context.Background()
	db := oneConnection(t)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // the test's end
	c := newStmtCache(db, 4)
	if stmt := c.getInTx("SELECT 1", 0); stmt != nil {
		t.Fatal("getInTx prepared in the foreground")
	}
	closed := make(chan struct{})
	go func() { c.close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("close waited for the open transaction's connection")
	}
}
