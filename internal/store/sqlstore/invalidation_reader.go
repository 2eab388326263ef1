package sqlstore

import (
	"context"
	"database/sql"
)

// feedReadQuery is the follower's poll: the rows past the last applied one.
const feedReadQuery = `SELECT seq, kind, object_id FROM cache_invalidations WHERE seq > $1 ORDER BY seq LIMIT $2`

// feedReader is where the follower reads: a connection of its own with
// the poll prepared on it, so that neither a busy pool nor parsing the
// statement again (half of each poll's cost on SQLite, which polls fifty
// times a second) delays a catch-up. A pool too small to spare a
// connection (SQLite's ":memory:" has one) is used as it is.
type feedReader struct {
	db   *sql.DB
	conn *sql.Conn
	poll *sql.Stmt
}

// open takes the connection and prepares the poll, if it can; on failure
// the reader uses the pool until the next open.
func (r *feedReader) open(ctx context.Context) {
	if r.conn != nil {
		return
	}
	if n := r.db.Stats().MaxOpenConnections; n != 0 && n <= 2 {
		return
	}
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return
	}
	poll, err := conn.PrepareContext(ctx, feedReadQuery)
	if err != nil {
		conn.Close()
		return
	}
	r.conn, r.poll = conn, poll
}

// close gives the connection back (after a failure, or at the end).
func (r *feedReader) close() {
	if r.conn != nil {
		r.poll.Close()
		r.conn.Close()
		r.conn, r.poll = nil, nil
	}
}

func (r *feedReader) q() querier {
	if r.conn != nil {
		return r.conn
	}
	return r.db
}

// rows runs the poll.
func (r *feedReader) rows(ctx context.Context, after int64) (*sql.Rows, error) {
	if r.poll != nil {
		return r.poll.QueryContext(ctx, after, feedBatch)
	}
	return r.db.QueryContext(ctx, feedReadQuery, after, feedBatch)
}
