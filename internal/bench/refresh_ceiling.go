package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/store/sqlstore"
	"mas/internal/tokens"
)

// RefreshCeiling is the ceiling of a refresh-token rotation: the durable
// writes the server's refresh grant makes (internal/oauth
// grant_refresh_token.go and the sqlstore methods it calls), issued
// straight through database/sql on the same database, in one transaction,
// with nothing else around them. The reads the server makes before its
// transaction (refresh token, session, user) are one joined lookup here:
// the least a correct rotation must read.
type RefreshCeiling struct {
	db       *sql.DB
	postgres bool
	ids      *domain.IDGenerator
}

// refreshCeilingConns is the server's default pool size (upstream's
// max_connections), so the ceiling queues on the same number of
// connections.
const refreshCeilingConns = 10

// OpenRefreshCeiling opens its own pool on the server's database.
func OpenRefreshCeiling(databaseURI string) (*RefreshCeiling, error) {
	db, dialect, err := openDB(databaseURI)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(refreshCeilingConns)
	db.SetMaxIdleConns(refreshCeilingConns)
	return newRefreshCeiling(db, dialect == sqlstore.Postgres), nil
}

func newRefreshCeiling(db *sql.DB, postgres bool) *RefreshCeiling {
	return &RefreshCeiling{db: db, postgres: postgres, ids: domain.NewIDGenerator(rand.Reader)}
}

// Close closes the pool.
func (c *RefreshCeiling) Close() error { return c.db.Close() }

// Op rotates the worker's refresh token (refresh[worker], which it
// replaces, so the server can carry on with the chain).
func (c *RefreshCeiling) Op(refresh []string) func(ctx context.Context, worker, seq int) error {
	return func(ctx context.Context, worker, _ int) error {
		if refresh[worker] == "" {
			return fmt.Errorf("no refresh token for worker %d", worker)
		}
		next, err := c.Rotate(ctx, refresh[worker])
		if errors.Is(err, errRefreshUnusable) {
			// The server rotated the token in a request the load
			// generator gave up on at the end of its phase: carry on
			// from the session's live token.
			if refresh[worker], err = c.live(ctx, oauthChain, refresh[worker]); err != nil {
				return err
			}
			next, err = c.Rotate(ctx, refresh[worker])
		}
		if err != nil {
			return err
		}
		refresh[worker] = next
		return nil
	}
}

// errRefreshUnusable: the token is unknown, used, revoked, or its session
// or user no longer valid.
var errRefreshUnusable = errors.New("refresh ceiling: refresh token not usable")

// refreshLookup is the server's three reads (refresh token, session,
// user) as one.
const refreshLookup = `SELECT r.oauth2_refresh_token_id, r.oauth2_session_id, r.oauth2_access_token_id
	FROM oauth2_refresh_tokens r
	JOIN oauth2_sessions s ON s.oauth2_session_id = r.oauth2_session_id
	LEFT JOIN users u ON u.user_id = s.user_id
	WHERE r.refresh_token = $1 AND r.consumed_at IS NULL AND r.revoked_at IS NULL
	AND s.finished_at IS NULL AND u.locked_at IS NULL AND u.deactivated_at IS NULL`

// A token chain's table and columns, for live.
type chain struct{ table, session, live string }

var (
	oauthChain  = chain{"oauth2_refresh_tokens", "oauth2_session_id", "consumed_at IS NULL AND revoked_at IS NULL"}
	compatChain = chain{"compat_refresh_tokens", "compat_session_id", "consumed_at IS NULL"}
)

// live is the unused refresh token of token's session.
func (c *RefreshCeiling) live(ctx context.Context, ch chain, token string) (string, error) {
	var out string
	err := c.db.QueryRowContext(ctx, `SELECT refresh_token FROM `+ch.table+` WHERE `+ch.live+` AND `+ch.session+` =
		(SELECT `+ch.session+` FROM `+ch.table+` WHERE refresh_token = $1) LIMIT 1`, token).Scan(&out)
	if err != nil {
		return "", fmt.Errorf("refresh ceiling: no live token in the session: %w", err)
	}
	return out, nil
}

// Rotate consumes token and returns its successor.
func (c *RefreshCeiling) Rotate(ctx context.Context, token string) (string, error) {
	var oldID, sessionID string
	var oldAccess sql.NullString
	r, err := c.begin(ctx, tokens.AccessToken, tokens.RefreshToken, refreshLookup, token, &oldID, &sessionID, &oldAccess)
	if err != nil {
		return "", err
	}
	tx, now, at, rt, access, refresh := r.tx, r.now, r.accessID, r.refreshID, r.access, r.refresh
	defer func() { _ = tx.Rollback() }()
	err = execEach(ctx, tx, []step{
		{`INSERT INTO oauth2_access_tokens (oauth2_access_token_id, oauth2_session_id, access_token, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, []any{at, sessionID, access, c.t(now), c.t(now.Add(5 * time.Minute))}},
		{`INSERT INTO oauth2_refresh_tokens (oauth2_refresh_token_id, oauth2_session_id, oauth2_access_token_id, refresh_token, created_at)
			VALUES ($1, $2, $3, $4, $5)`, []any{rt, sessionID, at, refresh, c.t(now)}},
		{`UPDATE oauth2_refresh_tokens SET consumed_at = $2, next_oauth2_refresh_token_id = $3
			WHERE oauth2_refresh_token_id = $1 AND consumed_at IS NULL AND revoked_at IS NULL`, []any{oldID, c.t(now), rt}},
	})
	if err != nil {
		return "", err
	}
	if oldAccess.Valid {
		if err := c.revokeAccess(ctx, tx, oldAccess.String, now); err != nil {
			return "", err
		}
	}
	if err := tx.Commit(); err != nil {
		return "", err
	}
	return refresh, nil
}

// step is one statement that must change exactly one row.
type step struct {
	query string
	args  []any
}

// execEach runs the steps in tx; a step that changes no row means the
// token was used meanwhile.
func execEach(ctx context.Context, tx *sql.Tx, steps []step) error {
	for _, s := range steps {
		res, err := tx.ExecContext(ctx, s.query, s.args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errRefreshUnusable
		}
	}
	return nil
}

// revokeAccess revokes the old access token and, when it was live,
// records its invalidation.
func (c *RefreshCeiling) revokeAccess(ctx context.Context, tx *sql.Tx, id string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE oauth2_access_tokens SET revoked_at = $2
		WHERE oauth2_access_token_id = $1 AND revoked_at IS NULL`, id, c.t(now))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	return c.invalidate(ctx, tx, store.InvalidateAccessToken, id, now)
}

// invalidate records an invalidation as the store does
// (invalidation_record.go): on PostgreSQL under the feed's advisory lock,
// with a notification.
func (c *RefreshCeiling) invalidate(ctx context.Context, tx *sql.Tx, kind store.InvalidationKind, id string, now time.Time) error {
	if c.postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('mas_cache_invalidations')), pg_notify('mas_cache_invalidations', '')`); err != nil {
			return err
		}
	}
	var seq int64
	return tx.QueryRowContext(ctx, `INSERT INTO cache_invalidations (kind, object_id, created_at) VALUES ($1, $2, $3) RETURNING seq`,
		string(kind), id, c.t(now)).Scan(&seq)
}

// t binds a time as the store does: microseconds on SQLite.
func (c *RefreshCeiling) t(v time.Time) any {
	if c.postgres {
		return v
	}
	return v.UnixMicro()
}

// rotation is what both kinds of rotation start with: the new tokens and
// their IDs, and the transaction.
type rotation struct {
	tx                  *sql.Tx
	now                 time.Time
	access, refresh     string
	accessID, refreshID string
}

// begin draws the new token pair, looks the old refresh token up (lookup
// scanned into into; no row is errRefreshUnusable) and opens the
// transaction, as the server does: the lookup before, the writes inside.
func (c *RefreshCeiling) begin(ctx context.Context, accessType, refreshType tokens.Type, lookup, token string, into ...any) (*rotation, error) {
	access, err := tokens.Generate(accessType, rand.Reader)
	if err != nil {
		return nil, err
	}
	refresh, err := tokens.Generate(refreshType, rand.Reader)
	if err != nil {
		return nil, err
	}
	err = c.db.QueryRowContext(ctx, lookup, token).Scan(into...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errRefreshUnusable
	}
	if err != nil {
		return nil, err
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	return &rotation{tx: tx, now: now, access: access, refresh: refresh,
		accessID: c.ids.New(now).String(), refreshID: c.ids.New(now).String()}, nil
}
