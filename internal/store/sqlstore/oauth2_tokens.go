package sqlstore

import (
	"context"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type accessTokenRepo struct{ r repos }

func (r repos) AccessTokens() store.AccessTokenRepository { return accessTokenRepo{r} }

const accessTokenColumns = `oauth2_access_token_id, oauth2_session_id, access_token, created_at, expires_at, revoked_at, first_used_at`

func scanAccessToken(row interface{ Scan(...any) error }) (*domain.AccessToken, error) {
	t := &domain.AccessToken{}
	err := row.Scan(id(&t.ID), id(&t.SessionID), &t.Token, ts(&t.CreatedAt), tsn(&t.ExpiresAt), tsn(&t.RevokedAt), tsn(&t.FirstUsedAt))
	return t, err
}

func (a accessTokenRepo) Add(ctx context.Context, sessionID domain.ID, token string, expiresAt *time.Time) (*domain.AccessToken, error) {
	t := a.newToken(sessionID, token, expiresAt)
	_, err := a.r.exec(ctx, `INSERT INTO oauth2_access_tokens (oauth2_access_token_id, oauth2_session_id, access_token, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, a.args(t)...)
	if err != nil {
		return nil, fmt.Errorf("add oauth2 access token: %w", err)
	}
	return t, nil
}

func (a accessTokenRepo) newToken(sessionID domain.ID, token string, expiresAt *time.Time) *domain.AccessToken {
	now := a.r.now()
	t := &domain.AccessToken{ID: a.r.newID(now), SessionID: sessionID, Token: token, CreatedAt: now}
	if expiresAt != nil {
		// A copy at the stored precision, so the caller's value is not
		// aliased and the result equals what Lookup will return.
		exp := expiresAt.UTC().Truncate(time.Microsecond)
		t.ExpiresAt = &exp
	}
	return t
}

// args are the values of the INSERT's columns, in order.
func (a accessTokenRepo) args(t *domain.AccessToken) []any {
	return []any{idv(t.ID), idv(t.SessionID), t.Token, a.r.t(t.CreatedAt), a.r.tp(t.ExpiresAt)}
}

func (a accessTokenRepo) Lookup(ctx context.Context, tokenID domain.ID) (*domain.AccessToken, error) {
	return queryOne(ctx, a.r, scanAccessToken, `SELECT `+accessTokenColumns+` FROM oauth2_access_tokens WHERE oauth2_access_token_id = $1`, idv(tokenID))
}

// FindByToken is on the path of every authenticated request; the unique
// index on access_token makes it a single index probe.
func (a accessTokenRepo) FindByToken(ctx context.Context, token string) (*domain.AccessToken, error) {
	return queryOne(ctx, a.r, scanAccessToken, `SELECT `+accessTokenColumns+` FROM oauth2_access_tokens WHERE access_token = $1`, token)
}

func (a accessTokenRepo) Revoke(ctx context.Context, t *domain.AccessToken) error {
	next := *t
	if err := next.Revoke(a.r.now()); err != nil {
		return err
	}
	err := a.r.atomically(ctx, func(r repos) error {
		if err := r.transition(ctx, "oauth2 access token", `UPDATE oauth2_access_tokens SET revoked_at = $2
			WHERE oauth2_access_token_id = $1 AND revoked_at IS NULL`, idv(t.ID), r.tp(next.RevokedAt)); err != nil {
			return err
		}
		return r.invalidate(ctx, store.InvalidateAccessToken, t.ID)
	})
	if err != nil {
		return err
	}
	*t = next
	return nil
}

// MarkUsed writes only the first time: later uses of the token cost no
// write. When two requests race, both end up with the instant the first
// one stored.
func (a accessTokenRepo) MarkUsed(ctx context.Context, t *domain.AccessToken) error {
	if t.FirstUsedAt != nil {
		return nil
	}
	var firstUsed time.Time
	err := a.r.q.QueryRowContext(ctx, `UPDATE oauth2_access_tokens SET first_used_at = COALESCE(first_used_at, $2)
		WHERE oauth2_access_token_id = $1 RETURNING first_used_at`, idv(t.ID), a.r.t(a.r.now())).Scan(ts(&firstUsed))
	if err != nil {
		return fmt.Errorf("mark oauth2 access token %s used: %w", t.ID, a.r.mapErr(err))
	}
	t.FirstUsedAt = &firstUsed
	return nil
}

// The clean-ups below rely on the schema's ON DELETE SET NULL: refresh
// tokens pointing at a deleted access token or successor keep existing,
// with the reference cleared, so no delete is ever blocked.

func (a accessTokenRepo) DeleteRevoked(ctx context.Context, before time.Time) (int, error) {
	n, err := a.r.exec(ctx, `DELETE FROM oauth2_access_tokens WHERE revoked_at < $1`, a.r.t(before))
	if err != nil {
		return 0, fmt.Errorf("delete revoked oauth2 access tokens: %w", err)
	}
	return int(n), nil
}

func (a accessTokenRepo) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	n, err := a.r.exec(ctx, `DELETE FROM oauth2_access_tokens WHERE expires_at < $1`, a.r.t(before))
	if err != nil {
		return 0, fmt.Errorf("delete expired oauth2 access tokens: %w", err)
	}
	return int(n), nil
}

type refreshTokenRepo struct{ r repos }

func (r repos) RefreshTokens() store.RefreshTokenRepository { return refreshTokenRepo{r} }

const refreshTokenColumns = `oauth2_refresh_token_id, oauth2_session_id, oauth2_access_token_id, refresh_token,
	created_at, consumed_at, revoked_at, next_oauth2_refresh_token_id`

func scanRefreshToken(row interface{ Scan(...any) error }) (*domain.RefreshToken, error) {
	t := &domain.RefreshToken{}
	err := row.Scan(id(&t.ID), id(&t.SessionID), idn(&t.AccessTokenID), &t.Token,
		ts(&t.CreatedAt), tsn(&t.ConsumedAt), tsn(&t.RevokedAt), idn(&t.NextRefreshTokenID))
	return t, err
}

func (f refreshTokenRepo) Add(ctx context.Context, sessionID domain.ID, accessTokenID *domain.ID, token string) (*domain.RefreshToken, error) {
	t := f.newToken(sessionID, accessTokenID, token)
	_, err := f.r.exec(ctx, `INSERT INTO oauth2_refresh_tokens (oauth2_refresh_token_id, oauth2_session_id, oauth2_access_token_id, refresh_token, created_at)
		VALUES ($1, $2, $3, $4, $5)`, f.args(t)...)
	if err != nil {
		return nil, fmt.Errorf("add oauth2 refresh token: %w", err)
	}
	return t, nil
}

func (f refreshTokenRepo) newToken(sessionID domain.ID, accessTokenID *domain.ID, token string) *domain.RefreshToken {
	now := f.r.now()
	t := &domain.RefreshToken{ID: f.r.newID(now), SessionID: sessionID, Token: token, CreatedAt: now}
	if accessTokenID != nil {
		at := *accessTokenID
		t.AccessTokenID = &at
	}
	return t
}

// args are the values of the INSERT's columns, in order.
func (f refreshTokenRepo) args(t *domain.RefreshToken) []any {
	return []any{idv(t.ID), idv(t.SessionID), idp(t.AccessTokenID), t.Token, f.r.t(t.CreatedAt)}
}

func (f refreshTokenRepo) Lookup(ctx context.Context, tokenID domain.ID) (*domain.RefreshToken, error) {
	return queryOne(ctx, f.r, scanRefreshToken, `SELECT `+refreshTokenColumns+` FROM oauth2_refresh_tokens WHERE oauth2_refresh_token_id = $1`, idv(tokenID))
}

func (f refreshTokenRepo) FindByToken(ctx context.Context, token string) (*domain.RefreshToken, error) {
	return queryOne(ctx, f.r, scanRefreshToken, `SELECT `+refreshTokenColumns+` FROM oauth2_refresh_tokens WHERE refresh_token = $1`, token)
}

// Consume is where concurrent refreshes with one token are decided: only
// the first UPDATE still finds the token neither consumed nor revoked.
func (f refreshTokenRepo) Consume(ctx context.Context, t *domain.RefreshToken, next domain.ID) error {
	updated := *t
	if err := updated.Consume(f.r.now(), next); err != nil {
		return err
	}
	err := f.r.transition(ctx, "oauth2 refresh token", `UPDATE oauth2_refresh_tokens
		SET consumed_at = $2, next_oauth2_refresh_token_id = $3
		WHERE oauth2_refresh_token_id = $1 AND consumed_at IS NULL AND revoked_at IS NULL`,
		idv(t.ID), f.r.tp(updated.ConsumedAt), idp(updated.NextRefreshTokenID))
	if err != nil {
		return err
	}
	*t = updated
	return nil
}

func (f refreshTokenRepo) Revoke(ctx context.Context, t *domain.RefreshToken) error {
	updated := *t
	if err := updated.Revoke(f.r.now()); err != nil {
		return err
	}
	err := f.r.transition(ctx, "oauth2 refresh token", `UPDATE oauth2_refresh_tokens SET revoked_at = $2
		WHERE oauth2_refresh_token_id = $1 AND revoked_at IS NULL`, idv(t.ID), f.r.tp(updated.RevokedAt))
	if err != nil {
		return err
	}
	*t = updated
	return nil
}

func (f refreshTokenRepo) DeleteRevoked(ctx context.Context, before time.Time) (int, error) {
	n, err := f.r.exec(ctx, `DELETE FROM oauth2_refresh_tokens WHERE revoked_at < $1`, f.r.t(before))
	if err != nil {
		return 0, fmt.Errorf("delete revoked oauth2 refresh tokens: %w", err)
	}
	return int(n), nil
}

func (f refreshTokenRepo) DeleteConsumed(ctx context.Context, before time.Time) (int, error) {
	n, err := f.r.exec(ctx, `DELETE FROM oauth2_refresh_tokens WHERE consumed_at < $1`, f.r.t(before))
	if err != nil {
		return 0, fmt.Errorf("delete consumed oauth2 refresh tokens: %w", err)
	}
	return int(n), nil
}
