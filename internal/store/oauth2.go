package store

import (
	"context"
	"time"

	"mas/internal/domain"
)

// ClientRepository persists OAuth 2.0 clients.
type ClientRepository interface {
	// Add stores a new client, assigning ID and CreatedAt when zero.
	// ErrConflict if the ID or the metadata digest already exists.
	Add(ctx context.Context, c *domain.Client) error
	// UpsertStatic creates or replaces a client from the configuration.
	UpsertStatic(ctx context.Context, c *domain.Client) error
	Lookup(ctx context.Context, id domain.ID) (*domain.Client, error)
	FindByMetadataDigest(ctx context.Context, digest string) (*domain.Client, error)
	ListStatic(ctx context.Context) ([]*domain.Client, error)
	// ListPage and CountFiltered list the clients matching a filter, one
	// cursor page at a time (the Admin API).
	ListPage(ctx context.Context, f ClientFilter, p Page) ([]*domain.Client, error)
	CountFiltered(ctx context.Context, f ClientFilter) (int, error)
	// Delete removes a client and, by cascade, nothing else: callers finish
	// its sessions first.
	Delete(ctx context.Context, id domain.ID) error
}

// Approver is the browser session that approved a grant, with its user and
// the time of the session's newest authentication (nil if none), the ID
// token's auth_time.
type Approver struct {
	Session  *domain.BrowserSession
	User     *domain.User
	AuthTime *time.Time
}

// AuthorizationGrantRepository persists /authorize requests.
type AuthorizationGrantRepository interface {
	// Add stores a new grant, assigning ID and CreatedAt.
	Add(ctx context.Context, g *domain.AuthorizationGrant) error
	// AddRequest is Add for a grant /authorize has just received. On
	// PostgreSQL its commit does not wait for the write-ahead log to reach
	// the disk (synchronous_commit off for that one statement): a database
	// crash within a fraction of a second may lose it, which is as if the
	// request had not been made (the user starts again), and the durable
	// commit that fulfils it flushes it too. Inside a transaction it is Add.
	AddRequest(ctx context.Context, g *domain.AuthorizationGrant) error
	Lookup(ctx context.Context, id domain.ID) (*domain.AuthorizationGrant, error)
	// LookupWithClient is Lookup that also returns the grant's client, in
	// one round trip (the consent screen needs both).
	LookupWithClient(ctx context.Context, id domain.ID) (*domain.AuthorizationGrant, *domain.Client, error)
	// LookupForConsent is LookupWithClient that also returns a browser
	// session and its user (BrowserSessionRepository.LookupWithUser), in
	// one round trip: the consent screen's two reads. ErrNotFound when
	// either the grant or the session is unknown.
	LookupForConsent(ctx context.Context, id, browserSessionID domain.ID) (*domain.AuthorizationGrant, *domain.Client, *domain.BrowserSession, *domain.User, error)
	FindByCode(ctx context.Context, code string) (*domain.AuthorizationGrant, error)
	// FindByCodeWithApprover is FindByCode that also returns the browser
	// session that approved the grant, in one round trip (every code
	// exchange needs both). ErrNotFound also when the grant has no
	// approving session: FindByCode tells the two apart.
	FindByCodeWithApprover(ctx context.Context, code string) (*domain.AuthorizationGrant, *Approver, error)
	Fulfill(ctx context.Context, g *domain.AuthorizationGrant, browserSessionID domain.ID) error
	Exchange(ctx context.Context, g *domain.AuthorizationGrant, sessionID domain.ID) error
	// ExchangeForSession is Exchange into a new session stored with its
	// tokens (as SessionRepository.AddWithTokens), all or nothing: one
	// statement on PostgreSQL. ErrConflict, with nothing written, when
	// another request exchanged the grant first.
	ExchangeForSession(ctx context.Context, g *domain.AuthorizationGrant, s *domain.Session, access string, expiresAt *time.Time,
		refresh string) (at *domain.AccessToken, rt *domain.RefreshToken, err error)
	Cancel(ctx context.Context, g *domain.AuthorizationGrant) error
	// DeleteCreatedBefore removes the grants created before the given
	// instant, whatever their stage, and says how many went.
	DeleteCreatedBefore(ctx context.Context, before time.Time) (int, error)
	// DeleteUnusedCreatedBefore removes the grants created before the
	// given instant that no user completed (still pending, or cancelled):
	// what unauthenticated visitors leave behind.
	DeleteUnusedCreatedBefore(ctx context.Context, before time.Time) (int, error)
}

// DeviceCodeGrantRepository persists RFC 8628 device authorizations.
type DeviceCodeGrantRepository interface {
	// Add stores a new grant, assigning ID and CreatedAt. ErrConflict if
	// the user code or device code collides.
	Add(ctx context.Context, g *domain.DeviceCodeGrant) error
	Lookup(ctx context.Context, id domain.ID) (*domain.DeviceCodeGrant, error)
	FindByUserCode(ctx context.Context, userCode string) (*domain.DeviceCodeGrant, error)
	FindByDeviceCode(ctx context.Context, deviceCode string) (*domain.DeviceCodeGrant, error)
	Fulfill(ctx context.Context, g *domain.DeviceCodeGrant, browserSessionID domain.ID) error
	Reject(ctx context.Context, g *domain.DeviceCodeGrant, browserSessionID domain.ID) error
	Exchange(ctx context.Context, g *domain.DeviceCodeGrant, sessionID domain.ID) error
	// DeleteCreatedBefore removes the grants created before the given
	// instant, whatever their stage, and says how many went.
	DeleteCreatedBefore(ctx context.Context, before time.Time) (int, error)
}

// SessionRepository persists OAuth 2.0 sessions.
type SessionRepository interface {
	// Add stores a new session, assigning ID and CreatedAt.
	Add(ctx context.Context, s *domain.Session) error
	// AddWithTokens stores a new session (as Add) with its access token
	// and, unless refresh is empty, a refresh token tied to that access
	// token, all or nothing (one statement on PostgreSQL). rt is nil when
	// refresh is empty.
	AddWithTokens(ctx context.Context, s *domain.Session, access string, expiresAt *time.Time, refresh string) (at *domain.AccessToken, rt *domain.RefreshToken, err error)
	Lookup(ctx context.Context, id domain.ID) (*domain.Session, error)
	// Finish ends the session; ErrConflict if already finished.
	Finish(ctx context.Context, s *domain.Session) error
	FinishAllForUser(ctx context.Context, userID domain.ID) (int, error)
	ListActiveForUser(ctx context.Context, userID domain.ID) ([]*domain.Session, error)
	CountActiveForUser(ctx context.Context, userID domain.ID) (int, error)
	// ListPage returns a page of the sessions the filter selects (see Page).
	ListPage(ctx context.Context, f OAuth2SessionFilter, p Page) ([]*domain.Session, error)
	CountFiltered(ctx context.Context, f OAuth2SessionFilter) (int, error)
	RecordActivity(ctx context.Context, id domain.ID, at time.Time, ip string) error
	// Housekeeping (see housekeeping.go for the rules they share).
	// ListInactive covers the sessions of users with dynamically
	// registered clients only, as upstream's expiry does.
	DeleteFinishedBefore(ctx context.Context, before time.Time, limit int) (int, error)
	ForgetIPsInactiveBefore(ctx context.Context, before time.Time, limit int) (int, error)
	ListInactive(ctx context.Context, before time.Time, limit int) ([]*domain.Session, error)
}

// AccessTokenRepository persists OAuth 2.0 access tokens.
type AccessTokenRepository interface {
	Add(ctx context.Context, sessionID domain.ID, token string, expiresAt *time.Time) (*domain.AccessToken, error)
	Lookup(ctx context.Context, id domain.ID) (*domain.AccessToken, error)
	FindByToken(ctx context.Context, token string) (*domain.AccessToken, error)
	// Revoke invalidates the token; ErrConflict if already revoked.
	Revoke(ctx context.Context, t *domain.AccessToken) error
	// MarkUsed sets FirstUsedAt if it is unset.
	MarkUsed(ctx context.Context, t *domain.AccessToken) error
	// FindForIntrospection returns the token with its session and the
	// session's user (nil for a client-credentials session) in one indexed
	// query: the homeserver asks for this on every uncached request.
	FindForIntrospection(ctx context.Context, token string) (*domain.AccessToken, *domain.Session, *domain.User, error)
	// DeleteRevoked removes the tokens revoked before the given instant.
	// Refresh tokens that named one lose the reference (set to NULL).
	DeleteRevoked(ctx context.Context, before time.Time) (int, error)
	// DeleteExpired removes the tokens that expired before the given
	// instant, revoked or not; tokens without expiry are kept.
	DeleteExpired(ctx context.Context, before time.Time) (int, error)
}

// RefreshTokenRepository persists OAuth 2.0 refresh tokens.
type RefreshTokenRepository interface {
	Add(ctx context.Context, sessionID domain.ID, accessTokenID *domain.ID, token string) (*domain.RefreshToken, error)
	Lookup(ctx context.Context, id domain.ID) (*domain.RefreshToken, error)
	FindByToken(ctx context.Context, token string) (*domain.RefreshToken, error)
	// Consume marks the token rotated into next; ErrConflict if it was
	// consumed or revoked concurrently (only one rotation can win).
	Consume(ctx context.Context, t *domain.RefreshToken, next domain.ID) error
	Revoke(ctx context.Context, t *domain.RefreshToken) error
	// DeleteRevoked removes the tokens revoked before the given instant.
	// A token rotated into one loses its successor reference (set to
	// NULL), which the lost-response recovery treats as a refusal.
	DeleteRevoked(ctx context.Context, before time.Time) (int, error)
	// DeleteConsumed removes the tokens consumed (rotated) before the
	// given instant; once gone, presenting one is an unknown token.
	DeleteConsumed(ctx context.Context, before time.Time) (int, error)
}
