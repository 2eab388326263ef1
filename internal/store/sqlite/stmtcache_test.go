package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/store/sqlstore"
)

// prepareCounter wraps the SQLite driver and counts the statements each
// query text is prepared for. Its connections offer only Prepare (not
// QueryerContext/ExecerContext), so database/sql prepares every statement
// it runs unprepared too: the count is the number of times SQLite parsed
// the text.
type prepareCounter struct {
	drv driver.Driver
	dsn string

	mu     sync.Mutex
	counts map[string]int
}

func (p *prepareCounter) Connect(context.Context) (driver.Conn, error) {
	c, err := p.drv.Open(p.dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, p: p}, nil
}

func (p *prepareCounter) Driver() driver.Driver { return p.drv }

// prepared returns how many times the text containing fragment was
// prepared.
func (p *prepareCounter) prepared(fragment string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for q, c := range p.counts {
		if strings.Contains(q, fragment) {
			n += c
		}
	}
	return n
}

type countingConn struct {
	driver.Conn
	p *prepareCounter
}

func (c *countingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.p.mu.Lock()
	c.p.counts[query]++
	c.p.mu.Unlock()
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

// openCounting opens a migrated store over one connection whose prepares
// are counted.
func openCounting(t *testing.T) (*sqlstore.Store, *prepareCounter) {
	t.Helper()
	ctx := context.Background()
	probe, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	counter := &prepareCounter{drv: probe.Driver(), dsn: dsn(filepath.Join(t.TempDir(), "mas.db")), counts: map[string]int{}}
	probe.Close()
	db := sql.OpenDB(counter)
	sqlstore.Pool{MaxConns: 1}.Apply(db)
	migrations, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sqlstore.ApplyMigrations(ctx, conn, sqlstore.SQLite, migrations, time.Now())
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := sqlstore.New(sqlstore.Options{DB: db, Dialect: sqlstore.SQLite,
		Clock: clocktest.New(time.Now()), IDs: domain.NewIDGenerator(rand.Reader)})
	t.Cleanup(func() { s.Close() })
	return s, counter
}

// The store prepares each query text once and reuses it, in and out of
// transactions: SQLite otherwise parses and plans the text on every call.
func TestStatementsArePreparedOnce(t *testing.T) {
	s, counter := openCounting(t)
	ctx := context.Background()
	missing := domain.NewIDGenerator(rand.Reader).New(time.Now())
	const userByID = "FROM users WHERE user_id"
	lookup := func(r store.Repos) {
		t.Helper()
		if _, err := r.Users().Lookup(ctx, missing); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("lookup: %v, want ErrNotFound", err)
		}
	}
	for range 3 {
		lookup(s)
	}
	if n := counter.prepared(userByID); n != 1 {
		t.Fatalf("three lookups prepared the query %d times, want 1", n)
	}
	// A transaction reuses the statement already prepared on its
	// connection.
	err := store.WithTx(ctx, s, func(tx store.Tx) error {
		lookup(tx)
		lookup(tx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := counter.prepared(userByID); n != 1 {
		t.Fatalf("after lookups in a transaction: prepared %d times, want 1", n)
	}

	// A text first seen in a transaction runs unprepared there (preparing
	// it on the pool would need a second connection) and is prepared for
	// the pool in the background: transactions soon stop preparing it.
	const sessionByID = "FROM user_sessions WHERE user_session_id"
	lookupSession := func(r store.Repos) {
		t.Helper()
		if _, err := r.BrowserSessions().Lookup(ctx, missing); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session lookup: %v, want ErrNotFound", err)
		}
	}
	inTx := func() {
		t.Helper()
		if err := store.WithTx(ctx, s, func(tx store.Tx) error { lookupSession(tx); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		before := counter.prepared(sessionByID)
		inTx()
		if counter.prepared(sessionByID) == before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("transactions still prepare the text after %d lookups", counter.prepared(sessionByID))
		}
	}
	settled := counter.prepared(sessionByID)
	for range 2 {
		lookupSession(s)
		inTx()
	}
	if n := counter.prepared(sessionByID); n != settled {
		t.Fatalf("after four more lookups: prepared %d times, want still %d", n, settled)
	}
}
