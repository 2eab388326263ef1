package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"mas/internal/store"
	"mas/internal/tokens"
)

// CompatOp rotates the worker's compat refresh token (current[worker],
// shared with CompatRefreshOp) with the compat refresh's SQL; a worker
// without one logs in through the server first, as CompatRefreshOp does.
func (c *RefreshCeiling) CompatOp(client *http.Client, base string, seed *Seed, current []string) func(ctx context.Context, worker, seq int) error {
	return func(ctx context.Context, worker, _ int) error {
		if current[worker] == "" {
			ans, err := CompatLogin(ctx, client, base, seed.Users[worker%len(seed.Users)], seed.Password, true)
			if err != nil {
				return err
			}
			current[worker] = ans.RefreshToken
		}
		next, err := c.RotateCompat(ctx, current[worker])
		if errors.Is(err, errRefreshUnusable) {
			// As in Op: the server rotated it for a client that gave up.
			if live, lerr := c.live(ctx, compatChain, current[worker]); lerr == nil {
				current[worker] = live
				next, err = c.RotateCompat(ctx, live)
			}
		}
		if err != nil {
			current[worker] = ""
			return fmt.Errorf("compat refresh ceiling: %w", err)
		}
		current[worker] = next
		return nil
	}
}

// compatRefreshLookup is the compat refresh's reads (refresh token,
// session) as one.
const compatRefreshLookup = `SELECT r.compat_refresh_token_id, r.compat_session_id, r.compat_access_token_id
	FROM compat_refresh_tokens r
	JOIN compat_sessions s ON s.compat_session_id = r.compat_session_id
	WHERE r.refresh_token = $1 AND r.consumed_at IS NULL AND s.finished_at IS NULL`

// RotateCompat makes the writes of internal/compat's refresh (and the
// sqlstore methods it calls) in one transaction: new access and refresh
// tokens, the old refresh token consumed, the old access token expired
// with its invalidation, the session's last activity.
func (c *RefreshCeiling) RotateCompat(ctx context.Context, token string) (string, error) {
	var oldID, sessionID, oldAccess string
	r, err := c.begin(ctx, tokens.CompatAccessToken, tokens.CompatRefreshToken, compatRefreshLookup, token, &oldID, &sessionID, &oldAccess)
	if err != nil {
		return "", err
	}
	tx, now, at, rt, access, refresh := r.tx, r.now, r.accessID, r.refreshID, r.access, r.refresh
	defer func() { _ = tx.Rollback() }()
	err = execEach(ctx, tx, []step{
		{`INSERT INTO compat_access_tokens (compat_access_token_id, compat_session_id, access_token, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, []any{at, sessionID, access, c.t(now), c.t(now.Add(5 * time.Minute))}},
		{`INSERT INTO compat_refresh_tokens (compat_refresh_token_id, compat_session_id, compat_access_token_id, refresh_token, created_at)
			VALUES ($1, $2, $3, $4, $5)`, []any{rt, sessionID, at, refresh, c.t(now)}},
		{`UPDATE compat_refresh_tokens SET consumed_at = $2, next_compat_refresh_token_id = $3
			WHERE compat_refresh_token_id = $1 AND consumed_at IS NULL`, []any{oldID, c.t(now), rt}},
	})
	if err != nil {
		return "", err
	}
	res, err := tx.ExecContext(ctx, `UPDATE compat_access_tokens SET expires_at = $2
		WHERE compat_access_token_id = $1 AND (expires_at IS NULL OR expires_at > $2)`, oldAccess, c.t(now))
	if err != nil {
		return "", err
	}
	if n, err := res.RowsAffected(); err != nil {
		return "", err
	} else if n > 0 {
		if err := c.invalidate(ctx, tx, store.InvalidateCompatAccessToken, oldAccess, now); err != nil {
			return "", err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE compat_sessions SET last_active_at = $2, last_active_ip = $3 WHERE compat_session_id = $1`,
		sessionID, c.t(now), "127.0.0.1"); err != nil {
		return "", err
	}
	if err := tx.Commit(); err != nil {
		return "", err
	}
	return refresh, nil
}
