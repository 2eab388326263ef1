package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// txInvalidations is what one transaction recorded, for its Commit.
type txInvalidations struct {
	locked bool // PostgreSQL: the feed's advisory lock is held
	maxSeq int64
	list   []store.Invalidation
}

// feedChannel is the PostgreSQL channel an invalidating commit notifies.
const feedChannel = "mas_cache_invalidations"

// invalidate records that cached facts about the objects are stale, in
// the transaction r is bound to (see atomically for callers on the pool).
//
// On PostgreSQL the rows are numbered under a transaction-level advisory
// lock, so that invalidating transactions commit in the order of their
// numbers: a follower that has read up to n has then seen every row below
// n, and its acknowledgement can be trusted. The lock is taken only here,
// just before the first row, to keep the serialized part short.
func (r repos) invalidate(ctx context.Context, kind store.InvalidationKind, ids ...domain.ID) error {
	if len(ids) == 0 {
		return nil
	}
	if r.inv == nil {
		return errors.New("recording an invalidation outside a transaction")
	}
	if r.s.opts.Dialect == Postgres && !r.inv.locked {
		if _, err := r.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('`+feedChannel+`')), pg_notify('`+feedChannel+`', '')`); err != nil {
			return fmt.Errorf("record invalidation: %w", err)
		}
		r.inv.locked = true
	}
	now := r.t(r.now())
	for _, id := range ids {
		var seq int64
		err := r.q.QueryRowContext(ctx, `INSERT INTO cache_invalidations (kind, object_id, created_at)
			VALUES ($1, $2, $3) RETURNING seq`, string(kind), idv(id), now).Scan(&seq)
		if err != nil {
			return fmt.Errorf("record invalidation of %s %s: %w", kind, id, r.mapErr(err))
		}
		r.inv.maxSeq = max(r.inv.maxSeq, seq)
		r.inv.list = append(r.inv.list, store.Invalidation{Kind: kind, ID: id})
	}
	return nil
}

// scanIDs reads a single column of IDs (an UPDATE ... RETURNING).
func scanIDs(ctx context.Context, r repos, query string, args ...any) ([]domain.ID, error) {
	rows, err := r.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, r.mapErr(err)
	}
	defer rows.Close()
	var out []domain.ID
	for rows.Next() {
		var v domain.ID
		if err := rows.Scan(id(&v)); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// committed runs after a transaction committed: this process's subscribers
// hear of its invalidations first, then it waits for the other followers.
func (f *feed) committed(inv *txInvalidations) {
	if inv == nil || len(inv.list) == 0 {
		return
	}
	f.deliver(inv.list)
	f.waitFollowers(inv.maxSeq)
}

// waitFollowers returns once every other live follower has applied seq,
// or after feedLease+feedMargin, when those that have not can no longer be
// Fresh: a catch-up that started after the commit would have read the row.
// A follower whose heartbeat is older than feedLive cannot be Fresh either
// until it has read past the row (see feedLive), so a dead one costs
// nothing. On a database error it waits the whole bound, which is always
// safe.
func (f *feed) waitFollowers(seq int64) {
	deadline := time.Now().Add(feedLease + feedMargin)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	self := f.followerID()
	query := `SELECT COUNT(*) FROM cache_followers
		WHERE follower_id <> $1 AND applied_seq < $2 AND heartbeat_at > ` + f.s.dbNowMicros() + ` - $3`
	window := feedLive.Microseconds()
	pause := time.Millisecond
	for {
		var laggards int
		err := f.s.opts.DB.QueryRowContext(ctx, query, self, seq, window).Scan(&laggards)
		if err == nil && laggards == 0 {
			return
		}
		if err != nil {
			time.Sleep(time.Until(deadline))
			return
		}
		if time.Until(deadline) <= 0 {
			return
		}
		time.Sleep(min(pause, time.Until(deadline)))
		pause = min(2*pause, 5*time.Millisecond)
	}
}

// dbNowMicros is the database's clock in microseconds since the epoch:
// heartbeats are written and judged by the one clock all processes share.
func (s *Store) dbNowMicros() string {
	if s.opts.Dialect == Postgres {
		return `CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)`
	}
	return `CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)`
}
