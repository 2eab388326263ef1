package sqlstore

import (
	"context"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type compatAccessTokenRepo struct{ r repos }

func (r repos) CompatAccessTokens() store.CompatAccessTokenRepository {
	return compatAccessTokenRepo{r}
}

const compatAccessTokenColumns = `compat_access_token_id, compat_session_id, access_token, created_at, expires_at, first_used_at`

func scanCompatAccessToken(row interface{ Scan(...any) error }) (*domain.CompatAccessToken, error) {
	t := &domain.CompatAccessToken{}
	err := row.Scan(id(&t.ID), id(&t.SessionID), &t.Token, ts(&t.CreatedAt), tsn(&t.ExpiresAt), tsn(&t.FirstUsedAt))
	return t, err
}

func (a compatAccessTokenRepo) Add(ctx context.Context, sessionID domain.ID, token string, expiresAt *time.Time) (*domain.CompatAccessToken, error) {
	now := a.r.now()
	t := &domain.CompatAccessToken{ID: a.r.newID(now), SessionID: sessionID, Token: token, CreatedAt: now}
	if expiresAt != nil {
		// Hand back the value as it will read back from the database.
		e := expiresAt.UTC().Truncate(time.Microsecond)
		t.ExpiresAt = &e
	}
	_, err := a.r.exec(ctx, `INSERT INTO compat_access_tokens (compat_access_token_id, compat_session_id, access_token,
		created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		idv(t.ID), idv(sessionID), token, a.r.t(now), a.r.tp(t.ExpiresAt))
	if err != nil {
		return nil, fmt.Errorf("add compat access token: %w", err)
	}
	return t, nil
}

func (a compatAccessTokenRepo) Lookup(ctx context.Context, tokenID domain.ID) (*domain.CompatAccessToken, error) {
	return queryOne(ctx, a.r, scanCompatAccessToken, `SELECT `+compatAccessTokenColumns+` FROM compat_access_tokens
		WHERE compat_access_token_id = $1`, idv(tokenID))
}

func (a compatAccessTokenRepo) FindByToken(ctx context.Context, token string) (*domain.CompatAccessToken, error) {
	return queryOne(ctx, a.r, scanCompatAccessToken, `SELECT `+compatAccessTokenColumns+` FROM compat_access_tokens
		WHERE access_token = $1`, token)
}

// Expire is idempotent rather than a guarded transition: a refresh usually
// arrives after the old access token has already run out, and that must
// not fail the refresh. An expiry is only ever brought forward, never
// pushed back.
func (a compatAccessTokenRepo) Expire(ctx context.Context, t *domain.CompatAccessToken) error {
	now := a.r.now()
	var n int64
	err := a.r.atomically(ctx, func(r repos) error {
		var err error
		n, err = r.exec(ctx, `UPDATE compat_access_tokens SET expires_at = $2
			WHERE compat_access_token_id = $1 AND (expires_at IS NULL OR expires_at > $2)`, idv(t.ID), r.t(now))
		if err != nil || n == 0 {
			return err
		}
		return r.invalidate(ctx, store.InvalidateCompatAccessToken, t.ID)
	})
	if err != nil {
		return fmt.Errorf("expire compat access token: %w", err)
	}
	if n == 1 {
		t.ExpiresAt = &now
		return nil
	}
	// Either the token is gone or it had already expired; the stored
	// expiry is then the one to report.
	current, err := a.Lookup(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("expire compat access token: %w", err)
	}
	t.ExpiresAt = current.ExpiresAt
	return nil
}

// MarkUsed writes only the first time, as the OAuth 2.0 access tokens'.
func (a compatAccessTokenRepo) MarkUsed(ctx context.Context, t *domain.CompatAccessToken) error {
	if t.FirstUsedAt != nil {
		return nil
	}
	var firstUsed time.Time
	err := a.r.q.QueryRowContext(ctx, `UPDATE compat_access_tokens SET first_used_at = COALESCE(first_used_at, $2)
		WHERE compat_access_token_id = $1 RETURNING first_used_at`, idv(t.ID), a.r.t(a.r.now())).Scan(ts(&firstUsed))
	if err != nil {
		return fmt.Errorf("mark compat access token %s used: %w", t.ID, a.r.mapErr(err))
	}
	t.FirstUsedAt = &firstUsed
	return nil
}

// DeleteUnused relies on the schema: the refresh token issued with the
// access token goes with it (ON DELETE CASCADE), and a predecessor's link
// to that refresh token is cleared (ON DELETE SET NULL).
func (a compatAccessTokenRepo) DeleteUnused(ctx context.Context, tokenID domain.ID) error {
	var n int64
	err := a.r.atomically(ctx, func(r repos) error {
		var err error
		n, err = r.exec(ctx, `DELETE FROM compat_access_tokens WHERE compat_access_token_id = $1 AND first_used_at IS NULL`, idv(tokenID))
		if err != nil || n == 0 {
			return err
		}
		return r.invalidate(ctx, store.InvalidateCompatAccessToken, tokenID)
	})
	if err != nil {
		return fmt.Errorf("delete compat access token: %w", err)
	}
	if n == 1 {
		return nil
	}
	if _, err := a.Lookup(ctx, tokenID); err != nil {
		return err
	}
	return fmt.Errorf("%w: compat access token used concurrently", store.ErrConflict)
}

type compatRefreshTokenRepo struct{ r repos }

func (r repos) CompatRefreshTokens() store.CompatRefreshTokenRepository {
	return compatRefreshTokenRepo{r}
}

const compatRefreshTokenColumns = `compat_refresh_token_id, compat_session_id, compat_access_token_id, refresh_token,
	created_at, consumed_at, next_compat_refresh_token_id`

func scanCompatRefreshToken(row interface{ Scan(...any) error }) (*domain.CompatRefreshToken, error) {
	t := &domain.CompatRefreshToken{}
	err := row.Scan(id(&t.ID), id(&t.SessionID), id(&t.AccessTokenID), &t.Token, ts(&t.CreatedAt), tsn(&t.ConsumedAt), idn(&t.NextRefreshTokenID))
	return t, err
}

func (f compatRefreshTokenRepo) Add(ctx context.Context, sessionID, accessTokenID domain.ID, token string) (*domain.CompatRefreshToken, error) {
	now := f.r.now()
	t := &domain.CompatRefreshToken{ID: f.r.newID(now), SessionID: sessionID, AccessTokenID: accessTokenID, Token: token, CreatedAt: now}
	_, err := f.r.exec(ctx, `INSERT INTO compat_refresh_tokens (compat_refresh_token_id, compat_session_id,
		compat_access_token_id, refresh_token, created_at) VALUES ($1, $2, $3, $4, $5)`,
		idv(t.ID), idv(sessionID), idv(accessTokenID), token, f.r.t(now))
	if err != nil {
		return nil, fmt.Errorf("add compat refresh token: %w", err)
	}
	return t, nil
}

func (f compatRefreshTokenRepo) Lookup(ctx context.Context, tokenID domain.ID) (*domain.CompatRefreshToken, error) {
	return queryOne(ctx, f.r, scanCompatRefreshToken, `SELECT `+compatRefreshTokenColumns+` FROM compat_refresh_tokens
		WHERE compat_refresh_token_id = $1`, idv(tokenID))
}

func (f compatRefreshTokenRepo) FindByToken(ctx context.Context, token string) (*domain.CompatRefreshToken, error) {
	return queryOne(ctx, f.r, scanCompatRefreshToken, `SELECT `+compatRefreshTokenColumns+` FROM compat_refresh_tokens
		WHERE refresh_token = $1`, token)
}

func (f compatRefreshTokenRepo) Consume(ctx context.Context, t *domain.CompatRefreshToken, next domain.ID) error {
	return persistOrRevert(t, func() error { return t.Consume(f.r.now(), next) }, func() error {
		return f.r.transition(ctx, "compat refresh token", `UPDATE compat_refresh_tokens
			SET consumed_at = $2, next_compat_refresh_token_id = $3
			WHERE compat_refresh_token_id = $1 AND consumed_at IS NULL`, idv(t.ID), f.r.tp(t.ConsumedAt), idv(next))
	})
}
