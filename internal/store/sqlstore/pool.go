package sqlstore

import (
	"context"
	"database/sql"
	"time"
)

// Pool is the connection pool shape both backends apply to their *sql.DB.
type Pool struct {
	// MaxConns bounds open connections; it is also the idle limit, because
	// database/sql's default of two idle connections closes and reopens
	// connections under any real concurrency (measured: 15-27% of
	// introspection CPU, and 25-34 new PostgreSQL backends a second).
	MaxConns int
	// MinConns connections are opened at start, so that the first requests
	// do not pay for connecting. database/sql has no floor below which it
	// keeps connections: IdleTimeout still closes them.
	MinConns    int
	IdleTimeout time.Duration // zero keeps idle connections
	MaxLifetime time.Duration // zero keeps connections forever
}

// Apply sets the limits on db.
func (p Pool) Apply(db *sql.DB) {
	if p.MaxConns > 0 {
		db.SetMaxOpenConns(p.MaxConns)
		db.SetMaxIdleConns(p.MaxConns)
	}
	db.SetConnMaxIdleTime(p.IdleTimeout)
	db.SetConnMaxLifetime(p.MaxLifetime)
}

// Warm opens MinConns connections (capped at MaxConns) and returns them to
// the pool, where they stay idle.
func (p Pool) Warm(ctx context.Context, db *sql.DB) error {
	n := p.MinConns
	if p.MaxConns > 0 && n > p.MaxConns {
		n = p.MaxConns
	}
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	return nil
}
