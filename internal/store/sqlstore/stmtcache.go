package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// SQLite parses and plans every statement database/sql has not prepared,
// and the store's queries are short enough that parsing costs about as
// much as running them (17% of the server's CPU under the code-flow
// load). stmtCache prepares each query text once on the pool; database/sql
// then prepares it on each connection the first time that connection runs
// it and keeps it there, and a transaction reuses the one already prepared
// on its connection (Tx.StmtContext). PostgreSQL does not use it: pgx
// already caches statements per connection.
type stmtCache struct {
	db *sql.DB
	// max bounds the query texts kept: the store's are static but for a
	// few built from filters, and SQLite keeps each prepared statement in
	// memory on every connection that ran it.
	max int

	mu      sync.RWMutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool // being prepared in the background
	closed  bool
	// background counts the preparations running in the background, which
	// close cancels and waits for: one may hold a connection, and a
	// connection closed after the pool is (the last to a SQLite file
	// removes its WAL) would outlive Close. Cancelled, one still waiting
	// for a connection (every connection in a transaction) gives up at
	// once, so Close never waits on an open transaction.
	background       sync.WaitGroup
	backgroundCtx    context.Context
	cancelBackground context.CancelFunc
}

// stmtCacheSize is comfortably above the number of query texts the store
// has (about 120 call sites).
const stmtCacheSize = 256

// maxCachedArgs leaves out statements with long argument lists, which
// are built for a batch and rarely run twice.
const maxCachedArgs = 64

func newStmtCache(db *sql.DB, max int) *stmtCache {
	ctx, cancel := context.WithCancel(context.Background())
	return &stmtCache{db: db, max: max, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{},
		backgroundCtx: ctx, cancelBackground: cancel}
}

// lookup returns the statement prepared for query, or nil; full when no
// more can be kept.
func (c *stmtCache) lookup(query string) (stmt *sql.Stmt, full bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[query], c.closed || len(c.stmts) >= c.max
}

// get returns query prepared on the pool, preparing it now if needed; nil
// when it cannot be kept (the cache is full, or preparing failed: the
// caller runs the query unprepared and any error surfaces there). It must
// not be called while holding a connection of the pool, since preparing
// takes one.
func (c *stmtCache) get(ctx context.Context, query string, nargs int) *sql.Stmt {
	if nargs > maxCachedArgs {
		return nil
	}
	if stmt, full := c.lookup(query); stmt != nil || full {
		return stmt
	}
	stmt, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	return c.keep(query, stmt)
}

// getInTx returns query prepared on the pool if it is, and otherwise has
// it prepared in the background and returns nil. A transaction holds a
// connection; waiting for another one to prepare on could wait forever
// if every connection belongs to a transaction doing the same.
func (c *stmtCache) getInTx(query string, nargs int) *sql.Stmt {
	if nargs > maxCachedArgs {
		return nil
	}
	if stmt, full := c.lookup(query); stmt != nil || full {
		return stmt
	}
	c.mu.Lock()
	start := !c.closed && !c.pending[query] && len(c.stmts)+len(c.pending) < c.max
	if start {
		c.pending[query] = true
		c.background.Add(1)
	}
	c.mu.Unlock()
	if start {
		go func() {
			defer c.background.Done()
			stmt, err := c.db.PrepareContext(c.backgroundCtx, query)
			c.mu.Lock()
			delete(c.pending, query)
			c.mu.Unlock()
			if err == nil {
				c.keep(query, stmt)
			}
		}()
	}
	return nil
}

// keep stores stmt for query and returns the statement to use: stmt, or
// the one another caller stored first, or nil (stmt closed) when the
// cache is full or closed.
func (c *stmtCache) keep(query string, stmt *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	kept, ok := c.stmts[query]
	if !ok && !c.closed && len(c.stmts) < c.max {
		c.stmts[query], kept, ok = stmt, stmt, true
		stmt = nil
	}
	c.mu.Unlock()
	if stmt != nil {
		stmt.Close()
	}
	return kept
}

// close releases the statements once the background preparations have
// ended; the cache keeps no new ones after it.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancelBackground()
	c.background.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, stmt := range c.stmts {
		stmt.Close()
	}
	clear(c.stmts)
}

// cachedDB runs queries on the pool through the cache.
type cachedDB struct{ c *stmtCache }

func (q cachedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if stmt := q.c.get(ctx, query, len(args)); stmt != nil {
		return stmt.ExecContext(ctx, args...)
	}
	return q.c.db.ExecContext(ctx, query, args...)
}

func (q cachedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if stmt := q.c.get(ctx, query, len(args)); stmt != nil {
		return stmt.QueryContext(ctx, args...)
	}
	return q.c.db.QueryContext(ctx, query, args...)
}

func (q cachedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if stmt := q.c.get(ctx, query, len(args)); stmt != nil {
		return stmt.QueryRowContext(ctx, args...)
	}
	return q.c.db.QueryRowContext(ctx, query, args...)
}

// cachedTx runs queries in a transaction through the cache. The statement
// Tx.StmtContext returns is closed with the transaction; the one prepared
// on the connection stays.
type cachedTx struct {
	c  *stmtCache
	tx *sql.Tx
}

func (q cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if stmt := q.c.getInTx(query, len(args)); stmt != nil {
		return q.tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if stmt := q.c.getInTx(query, len(args)); stmt != nil {
		return q.tx.StmtContext(ctx, stmt).QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if stmt := q.c.getInTx(query, len(args)); stmt != nil {
		return q.tx.StmtContext(ctx, stmt).QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}
