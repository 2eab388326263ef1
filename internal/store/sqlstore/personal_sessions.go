package sqlstore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type personalSessionRepo struct{ r repos }

func (r repos) PersonalSessions() store.PersonalSessionRepository { return personalSessionRepo{r} }

const personalSessionColumns = `personal_session_id, owner_user_id, owner_oauth2_client_id, actor_user_id, human_name,
	scope_list, created_at, revoked_at, last_active_at, last_active_ip`

func scanPersonalSession(row interface{ Scan(...any) error }) (*domain.PersonalSession, error) {
	s := &domain.PersonalSession{}
	err := row.Scan(id(&s.ID), idn(&s.OwnerUserID), idn(&s.OwnerClientID), id(&s.ActorUserID), strn(&s.HumanName),
		scope(&s.Scope), ts(&s.CreatedAt), tsn(&s.RevokedAt), tsn(&s.LastActiveAt), strn(&s.LastActiveIP))
	return s, err
}

func (p personalSessionRepo) Add(ctx context.Context, s *domain.PersonalSession) error {
	// The schema enforces this too; checking first gives a clear message
	// instead of a constraint name.
	if (s.OwnerUserID == nil) == (s.OwnerClientID == nil) {
		return fmt.Errorf("add personal session: exactly one of owner user and owner client must be set")
	}
	now := p.r.now()
	sessionID := p.r.newID(now)
	_, err := p.r.exec(ctx, `INSERT INTO personal_sessions (personal_session_id, owner_user_id, owner_oauth2_client_id,
		actor_user_id, human_name, scope_list, created_at, revoked_at, last_active_at, last_active_ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		idv(sessionID), idp(s.OwnerUserID), idp(s.OwnerClientID), idv(s.ActorUserID), strp(s.HumanName),
		scopeValue(s.Scope), p.r.t(now), p.r.tp(s.RevokedAt), p.r.tp(s.LastActiveAt), strp(s.LastActiveIP))
	if err != nil {
		return fmt.Errorf("add personal session: %w", err)
	}
	s.ID, s.CreatedAt = sessionID, now
	return nil
}

func (p personalSessionRepo) Lookup(ctx context.Context, sessionID domain.ID) (*domain.PersonalSession, error) {
	return queryOne(ctx, p.r, scanPersonalSession, `SELECT `+personalSessionColumns+` FROM personal_sessions
		WHERE personal_session_id = $1`, idv(sessionID))
}

// Revoke ends the session only; its token is revoked separately through
// PersonalAccessTokens, in the same transaction.
func (p personalSessionRepo) Revoke(ctx context.Context, s *domain.PersonalSession) error {
	return persistOrRevert(s, func() error { return s.Revoke(p.r.now()) }, func() error {
		return p.r.atomically(ctx, func(r repos) error {
			if err := r.transition(ctx, "personal session", `UPDATE personal_sessions SET revoked_at = $2
				WHERE personal_session_id = $1 AND revoked_at IS NULL`, idv(s.ID), r.tp(s.RevokedAt)); err != nil {
				return err
			}
			return r.invalidate(ctx, store.InvalidatePersonalSession, s.ID)
		})
	})
}

func (p personalSessionRepo) ListActiveForActor(ctx context.Context, userID domain.ID) ([]*domain.PersonalSession, error) {
	return queryAll(ctx, p.r, scanPersonalSession, `SELECT `+personalSessionColumns+` FROM personal_sessions
		WHERE actor_user_id = $1 AND revoked_at IS NULL ORDER BY personal_session_id`, idv(userID))
}

type personalAccessTokenRepo struct{ r repos }

func (r repos) PersonalAccessTokens() store.PersonalAccessTokenRepository {
	return personalAccessTokenRepo{r}
}

const personalAccessTokenColumns = `personal_access_token_id, personal_session_id, access_token_sha256, created_at,
	expires_at, revoked_at`

func scanPersonalAccessToken(row interface{ Scan(...any) error }) (*domain.PersonalAccessToken, error) {
	t := &domain.PersonalAccessToken{}
	err := row.Scan(id(&t.ID), id(&t.SessionID), bytesCol(&t.TokenSHA256), ts(&t.CreatedAt), tsn(&t.ExpiresAt),
		tsn(&t.RevokedAt))
	return t, err
}

// Add fails with ErrConflict when the hash is already stored or when the
// session still has a token that is not revoked.
func (a personalAccessTokenRepo) Add(ctx context.Context, sessionID domain.ID, tokenSHA256 []byte, expiresAt *time.Time) (*domain.PersonalAccessToken, error) {
	if len(tokenSHA256) != sha256.Size {
		return nil, fmt.Errorf("add personal access token: hash is %d bytes, want a %d-byte SHA-256", len(tokenSHA256), sha256.Size)
	}
	now := a.r.now()
	t := &domain.PersonalAccessToken{ID: a.r.newID(now), SessionID: sessionID,
		TokenSHA256: append([]byte(nil), tokenSHA256...), CreatedAt: now}
	if expiresAt != nil {
		e := expiresAt.UTC().Truncate(time.Microsecond)
		t.ExpiresAt = &e
	}
	_, err := a.r.exec(ctx, `INSERT INTO personal_access_tokens (personal_access_token_id, personal_session_id,
		access_token_sha256, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		idv(t.ID), idv(sessionID), t.TokenSHA256, a.r.t(now), a.r.tp(t.ExpiresAt))
	if err != nil {
		return nil, fmt.Errorf("add personal access token: %w", err)
	}
	return t, nil
}

func (a personalAccessTokenRepo) FindBySHA256(ctx context.Context, sum []byte) (*domain.PersonalAccessToken, error) {
	return queryOne(ctx, a.r, scanPersonalAccessToken, `SELECT `+personalAccessTokenColumns+` FROM personal_access_tokens
		WHERE access_token_sha256 = $1`, sum)
}

func (a personalAccessTokenRepo) ActiveForSession(ctx context.Context, sessionID domain.ID) (*domain.PersonalAccessToken, error) {
	return queryOne(ctx, a.r, scanPersonalAccessToken, `SELECT `+personalAccessTokenColumns+` FROM personal_access_tokens
		WHERE personal_session_id = $1 AND revoked_at IS NULL`, idv(sessionID))
}

func (a personalAccessTokenRepo) Revoke(ctx context.Context, t *domain.PersonalAccessToken) error {
	return persistOrRevert(t, func() error { return t.Revoke(a.r.now()) }, func() error {
		return a.r.atomically(ctx, func(r repos) error {
			if err := r.transition(ctx, "personal access token", `UPDATE personal_access_tokens SET revoked_at = $2
				WHERE personal_access_token_id = $1 AND revoked_at IS NULL`, idv(t.ID), r.tp(t.RevokedAt)); err != nil {
				return err
			}
			return r.invalidate(ctx, store.InvalidatePersonalAccessToken, t.ID)
		})
	})
}
