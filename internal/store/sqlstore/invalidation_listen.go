package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// listen wakes the follower on every PostgreSQL notification of an
// invalidating commit, on a connection of its own taken from the pool.
// Polling goes on regardless: the notifications only make it prompt. When
// the connection is lost the feed stops being fresh at once, until a
// catch-up succeeds again.
func (f *feed) listen(ctx context.Context, fl *follower) {
	for ctx.Err() == nil {
		err := f.listenOnce(ctx, fl)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			f.setStale()
		}
		select {
		case <-ctx.Done():
		case <-time.After(feedPoll):
		}
	}
}

func (f *feed) listenOnce(ctx context.Context, fl *follower) error {
	conn, err := f.s.opts.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listen: driver connection is a %T", driverConn)
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, `LISTEN `+feedChannel); err != nil {
			return err
		}
		defer func() {
			// Back in the pool, the connection must not keep listening;
			// if this fails the connection is closed and dropped anyway.
			uctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, _ = pc.Exec(uctx, `UNLISTEN *`)
		}()
		fl.poke() // catch up on what came before the LISTEN
		for {
			if _, err := pc.WaitForNotification(ctx); err != nil {
				return err
			}
			fl.poke()
		}
	})
}

// poke wakes the follower's loop without blocking.
func (fl *follower) poke() {
	select {
	case fl.wake <- struct{}{}:
	default:
	}
}
