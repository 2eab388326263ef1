package store

import (
	"context"
	"time"

	"mas/internal/domain"
)

// CompatSessionRepository persists legacy Matrix login sessions.
type CompatSessionRepository interface {
	// Add stores a new session, assigning ID and CreatedAt.
	Add(ctx context.Context, s *domain.CompatSession) error
	Lookup(ctx context.Context, id domain.ID) (*domain.CompatSession, error)
	Finish(ctx context.Context, s *domain.CompatSession) error
	FinishAllForUser(ctx context.Context, userID domain.ID) (int, error)
	// ListActiveForDevice returns active sessions of the user holding deviceID.
	ListActiveForDevice(ctx context.Context, userID domain.ID, deviceID string) ([]*domain.CompatSession, error)
	ListActiveForUser(ctx context.Context, userID domain.ID) ([]*domain.CompatSession, error)
	CountActiveForUser(ctx context.Context, userID domain.ID) (int, error)
	RecordActivity(ctx context.Context, id domain.ID, at time.Time, ip string) error
	// Housekeeping (see housekeeping.go for the rules they share).
	DeleteFinishedBefore(ctx context.Context, before time.Time, limit int) (int, error)
	ForgetIPsInactiveBefore(ctx context.Context, before time.Time, limit int) (int, error)
	ListInactive(ctx context.Context, before time.Time, limit int) ([]*domain.CompatSession, error)
	// LookupEntry is Lookup with the session's SSO redirect URI.
	LookupEntry(ctx context.Context, id domain.ID) (*CompatSessionEntry, error)
	// ListPage returns a page of the sessions the filter selects (see Page).
	ListPage(ctx context.Context, f CompatSessionFilter, p Page) ([]*CompatSessionEntry, error)
	CountFiltered(ctx context.Context, f CompatSessionFilter) (int, error)
}

// CompatAccessTokenRepository persists legacy access tokens.
type CompatAccessTokenRepository interface {
	Add(ctx context.Context, sessionID domain.ID, token string, expiresAt *time.Time) (*domain.CompatAccessToken, error)
	Lookup(ctx context.Context, id domain.ID) (*domain.CompatAccessToken, error)
	FindByToken(ctx context.Context, token string) (*domain.CompatAccessToken, error)
	// Expire sets the expiry to now (used when a refresh rotates it away).
	Expire(ctx context.Context, t *domain.CompatAccessToken) error
	// MarkUsed sets FirstUsedAt if it is unset.
	MarkUsed(ctx context.Context, t *domain.CompatAccessToken) error
	// DeleteUnused removes a token that was never presented, with the
	// refresh token issued alongside it: a pair whose delivery failed.
	// ErrConflict if it was used meanwhile, ErrNotFound if it is gone.
	DeleteUnused(ctx context.Context, id domain.ID) error
	// FindForIntrospection returns the token with its session and user in
	// one indexed query, for the homeserver's introspection requests.
	FindForIntrospection(ctx context.Context, token string) (*domain.CompatAccessToken, *domain.CompatSession, *domain.User, error)
}

// CompatRefreshTokenRepository persists legacy refresh tokens.
type CompatRefreshTokenRepository interface {
	Add(ctx context.Context, sessionID, accessTokenID domain.ID, token string) (*domain.CompatRefreshToken, error)
	Lookup(ctx context.Context, id domain.ID) (*domain.CompatRefreshToken, error)
	FindByToken(ctx context.Context, token string) (*domain.CompatRefreshToken, error)
	// Consume marks the token used, rotated into next; ErrConflict if it
	// already was.
	Consume(ctx context.Context, t *domain.CompatRefreshToken, next domain.ID) error
}

// CompatSSOLoginRepository persists m.login.sso round trips.
type CompatSSOLoginRepository interface {
	Add(ctx context.Context, redirectURI, loginToken string) (*domain.CompatSSOLogin, error)
	Lookup(ctx context.Context, id domain.ID) (*domain.CompatSSOLogin, error)
	FindByToken(ctx context.Context, loginToken string) (*domain.CompatSSOLogin, error)
	Fulfill(ctx context.Context, l *domain.CompatSSOLogin, browserSessionID domain.ID) error
	Exchange(ctx context.Context, l *domain.CompatSSOLogin, sessionID domain.ID) error
	// DeleteUnexchangedCreatedBefore removes the logins created before the
	// given instant that never became a session: what unauthenticated
	// visitors leave behind.
	DeleteUnexchangedCreatedBefore(ctx context.Context, before time.Time) (int, error)
}

// PersonalSessionRepository persists personal-access-token sessions.
type PersonalSessionRepository interface {
	// Add stores a new session, assigning ID and CreatedAt.
	Add(ctx context.Context, s *domain.PersonalSession) error
	Lookup(ctx context.Context, id domain.ID) (*domain.PersonalSession, error)
	Revoke(ctx context.Context, s *domain.PersonalSession) error
	ListActiveForActor(ctx context.Context, userID domain.ID) ([]*domain.PersonalSession, error)
	// ListPage and CountFiltered list the sessions matching a filter, one
	// cursor page at a time, with their usable token's expiry (the Admin API).
	ListPage(ctx context.Context, f PersonalSessionFilter, p Page) ([]*PersonalSessionListed, error)
	CountFiltered(ctx context.Context, f PersonalSessionFilter) (int, error)
}

// PersonalAccessTokenRepository persists mpt_ tokens by their SHA-256.
type PersonalAccessTokenRepository interface {
	Add(ctx context.Context, sessionID domain.ID, tokenSHA256 []byte, expiresAt *time.Time) (*domain.PersonalAccessToken, error)
	FindBySHA256(ctx context.Context, sum []byte) (*domain.PersonalAccessToken, error)
	// ActiveForSession returns the session's non-revoked token.
	ActiveForSession(ctx context.Context, sessionID domain.ID) (*domain.PersonalAccessToken, error)
	Revoke(ctx context.Context, t *domain.PersonalAccessToken) error
	// FindForIntrospection returns the token with its session, the user
	// the session acts as and, for a user-owned session, the owner (nil
	// when a client owns it), in one indexed query.
	FindForIntrospection(ctx context.Context, sum []byte) (*domain.PersonalAccessToken, *domain.PersonalSession, *domain.User, *domain.User, error)
}
