package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type upstreamSessionRepo struct{ r repos }

func (r repos) UpstreamSessions() store.UpstreamSessionRepository { return upstreamSessionRepo{r} }

const upstreamSessionColumns = `upstream_oauth_authorization_session_id, upstream_oauth_provider_id, state,
	code_verifier, nonce, id_token, id_token_claims, userinfo, extra_callback_parameters, upstream_oauth_link_id,
	user_session_id, post_auth_action, created_at, completed_at, consumed_at, unlinked_at`

func scanUpstreamSession(row interface{ Scan(...any) error }) (*domain.UpstreamAuthSession, error) {
	s := &domain.UpstreamAuthSession{}
	err := row.Scan(id(&s.ID), id(&s.ProviderID), &s.State, strn(&s.CodeVerifier), strn(&s.Nonce), strn(&s.IDToken),
		strn(&s.IDTokenClaims), strn(&s.Userinfo), strn(&s.ExtraCallbackParams), idn(&s.LinkID), idn(&s.BrowserSessionID),
		strn(&s.PostAuthAction), ts(&s.CreatedAt), tsn(&s.CompletedAt), tsn(&s.ConsumedAt), tsn(&s.UnlinkedAt))
	return s, err
}

// Add writes every field of s as given; empty strings become NULL, which
// JSON columns need since "" is not a JSON document.
func (u upstreamSessionRepo) Add(ctx context.Context, s *domain.UpstreamAuthSession) error {
	now := u.r.now()
	sessionID := u.r.newID(now)
	_, err := u.r.exec(ctx, `INSERT INTO upstream_oauth_authorization_sessions (`+upstreamSessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		idv(sessionID), idv(s.ProviderID), s.State, strp(s.CodeVerifier), strp(s.Nonce), strp(s.IDToken),
		strp(s.IDTokenClaims), strp(s.Userinfo), strp(s.ExtraCallbackParams), idp(s.LinkID), idp(s.BrowserSessionID),
		strp(s.PostAuthAction), u.r.t(now), u.r.tp(s.CompletedAt), u.r.tp(s.ConsumedAt), u.r.tp(s.UnlinkedAt))
	if err != nil {
		return fmt.Errorf("add upstream session: %w", err)
	}
	s.ID, s.CreatedAt = sessionID, now
	return nil
}

func (u upstreamSessionRepo) Lookup(ctx context.Context, sessionID domain.ID) (*domain.UpstreamAuthSession, error) {
	return queryOne(ctx, u.r, scanUpstreamSession, `SELECT `+upstreamSessionColumns+`
		FROM upstream_oauth_authorization_sessions WHERE upstream_oauth_authorization_session_id = $1`, idv(sessionID))
}

// Complete persists the callback result, which the caller puts in s
// beforehand: LinkID (required), IDToken, IDTokenClaims, Userinfo and
// ExtraCallbackParams; the interface passes none of them separately. As
// with every transition here, s is only changed once the write succeeded.
func (u upstreamSessionRepo) Complete(ctx context.Context, s *domain.UpstreamAuthSession) error {
	var link domain.ID
	switch {
	case s.LinkID != nil:
		link = *s.LinkID
	case s.Stage() == domain.StagePending:
		return fmt.Errorf("complete upstream session %s: no link set", s.ID)
	}
	next := *s
	if err := next.Complete(u.r.now(), link, s.IDToken, s.IDTokenClaims, s.Userinfo); err != nil {
		return err
	}
	sub, sid := logoutKeys(next.IDTokenClaims)
	err := u.r.transition(ctx, "upstream session", `UPDATE upstream_oauth_authorization_sessions
		SET completed_at = $2, upstream_oauth_link_id = $3, id_token = $4, id_token_claims = $5, userinfo = $6,
			extra_callback_parameters = $7, id_token_sub = $8, id_token_sid = $9
		WHERE upstream_oauth_authorization_session_id = $1 AND completed_at IS NULL AND consumed_at IS NULL`,
		idv(next.ID), u.r.tp(next.CompletedAt), idv(link), strp(next.IDToken), strp(next.IDTokenClaims),
		strp(next.Userinfo), strp(next.ExtraCallbackParams), strp(sub), strp(sid))
	if err != nil {
		return err
	}
	*s = next
	return nil
}

func (u upstreamSessionRepo) Consume(ctx context.Context, s *domain.UpstreamAuthSession, browserSessionID domain.ID) error {
	next := *s
	if err := next.Consume(u.r.now(), browserSessionID); err != nil {
		return err
	}
	err := u.r.transition(ctx, "upstream session", `UPDATE upstream_oauth_authorization_sessions
		SET consumed_at = $2, user_session_id = $3
		WHERE upstream_oauth_authorization_session_id = $1 AND completed_at IS NOT NULL AND consumed_at IS NULL`,
		idv(next.ID), u.r.tp(next.ConsumedAt), idv(browserSessionID))
	if err != nil {
		return err
	}
	*s = next
	return nil
}

// logoutKeys reads the sub and sid claims of an ID token's claims (JSON),
// which back-channel logout tokens refer to; "" for an absent or
// non-string claim.
func logoutKeys(claims string) (sub, sid string) {
	var c struct {
		Sub any `json:"sub"`
		Sid any `json:"sid"`
	}
	if claims == "" || json.Unmarshal([]byte(claims), &c) != nil {
		return "", ""
	}
	sub, _ = c.Sub.(string)
	sid, _ = c.Sid.(string)
	return sub, sid
}

func (u upstreamSessionRepo) ListLoggedIn(ctx context.Context, providerID domain.ID, sub, sid string) ([]*domain.UpstreamAuthSession, error) {
	query := `SELECT ` + upstreamSessionColumns + ` FROM upstream_oauth_authorization_sessions
		WHERE upstream_oauth_provider_id = $1 AND consumed_at IS NOT NULL AND user_session_id IS NOT NULL`
	args := []any{idv(providerID)}
	if sub == "" && sid == "" {
		return nil, errors.New("list upstream sessions for logout: neither sub nor sid given")
	}
	if sub != "" {
		args = append(args, sub)
		query += fmt.Sprintf(" AND id_token_sub = $%d", len(args))
	}
	if sid != "" {
		args = append(args, sid)
		query += fmt.Sprintf(" AND id_token_sid = $%d", len(args))
	}
	return queryAll(ctx, u.r, scanUpstreamSession, query+" ORDER BY upstream_oauth_authorization_session_id", args...)
}

func (u upstreamSessionRepo) RecordLogoutToken(ctx context.Context, providerID domain.ID, jti string, keepUntil time.Time) error {
	return u.r.atomically(ctx, func(r repos) error {
		if _, err := r.exec(ctx, `DELETE FROM upstream_oauth_logout_tokens WHERE expires_at < $1`, r.t(r.now())); err != nil {
			return fmt.Errorf("forget old logout tokens: %w", err)
		}
		_, err := r.exec(ctx, `INSERT INTO upstream_oauth_logout_tokens (upstream_oauth_provider_id, jti, expires_at)
			VALUES ($1, $2, $3)`, idv(providerID), jti, r.t(keepUntil))
		if err != nil {
			return fmt.Errorf("record logout token: %w", err)
		}
		return nil
	})
}
