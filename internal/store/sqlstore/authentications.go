package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"mas/internal/domain"
)

const authenticationColumns = `user_session_authentication_id, user_session_id, created_at, user_password_id,
	upstream_oauth_authorization_session_id`

func scanAuthentication(row interface{ Scan(...any) error }) (*domain.Authentication, error) {
	a := &domain.Authentication{}
	err := row.Scan(id(&a.ID), id(&a.BrowserSessionID), ts(&a.CreatedAt), idn(&a.PasswordID), idn(&a.UpstreamSessionID))
	return a, err
}

// Authenticate needs exactly one proof: an authentication with neither
// would say nothing about how the user got in, one with both is ambiguous.
func (b browserSessionRepo) Authenticate(ctx context.Context, sessionID domain.ID, passwordID, upstreamSessionID *domain.ID) (*domain.Authentication, error) {
	switch {
	case passwordID == nil && upstreamSessionID == nil:
		return nil, errors.New("authenticate browser session: neither a password nor an upstream session given")
	case passwordID != nil && upstreamSessionID != nil:
		return nil, errors.New("authenticate browser session: both a password and an upstream session given")
	}
	now := b.r.now()
	a := &domain.Authentication{ID: b.r.newID(now), BrowserSessionID: sessionID, CreatedAt: now,
		PasswordID: passwordID, UpstreamSessionID: upstreamSessionID}
	_, err := b.r.exec(ctx, `INSERT INTO user_session_authentications (`+authenticationColumns+`)
		VALUES ($1, $2, $3, $4, $5)`, idv(a.ID), idv(sessionID), b.r.t(now), idp(passwordID), idp(upstreamSessionID))
	if err != nil {
		return nil, fmt.Errorf("authenticate browser session %s: %w", sessionID, err)
	}
	return a, nil
}

// LastAuthentication orders by time first: IDs made in the same
// millisecond are not ordered among themselves.
func (b browserSessionRepo) LastAuthentication(ctx context.Context, sessionID domain.ID) (*domain.Authentication, error) {
	return queryOne(ctx, b.r, scanAuthentication, `SELECT `+authenticationColumns+`
		FROM user_session_authentications WHERE user_session_id = $1
		ORDER BY created_at DESC, user_session_authentication_id DESC LIMIT 1`, idv(sessionID))
}
