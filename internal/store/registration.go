package store

import (
	"context"
	"time"

	"mas/internal/domain"
)

// RegistrationRepository persists registrations in progress.
type RegistrationRepository interface {
	// Add stores a new registration, assigning ID and CreatedAt.
	Add(ctx context.Context, r *domain.UserRegistration) error
	Lookup(ctx context.Context, id domain.ID) (*domain.UserRegistration, error)
	// Update writes the fields filled in by later steps (display name,
	// email authentication, password, token); ErrConflict if completed.
	Update(ctx context.Context, r *domain.UserRegistration) error
	Complete(ctx context.Context, r *domain.UserRegistration) error
	// DeleteCreatedBefore is a housekeeping batch (see housekeeping.go).
	DeleteCreatedBefore(ctx context.Context, before time.Time, limit int) (int, error)
}

// RegistrationTokenRepository persists registration tokens.
type RegistrationTokenRepository interface {
	// Add stores a new token, assigning ID and CreatedAt; ErrConflict if
	// the token string exists.
	Add(ctx context.Context, t *domain.RegistrationToken) error
	Lookup(ctx context.Context, id domain.ID) (*domain.RegistrationToken, error)
	FindByToken(ctx context.Context, token string) (*domain.RegistrationToken, error)
	// Use counts one use; ErrConflict if the token became invalid, so two
	// concurrent uses of a single-use token cannot both succeed.
	Use(ctx context.Context, t *domain.RegistrationToken) error
	// Update writes ExpiresAt, UsageLimit and RevokedAt.
	Update(ctx context.Context, t *domain.RegistrationToken) error
	// UpdateLimits writes only ExpiresAt and UsageLimit, so that an edit
	// cannot undo a concurrent revocation; ErrNotFound if it does not exist.
	UpdateLimits(ctx context.Context, t *domain.RegistrationToken) error
	// Revoke and Unrevoke set or clear RevokedAt; ErrConflict if the token
	// already was in that state, ErrNotFound if it does not exist.
	Revoke(ctx context.Context, t *domain.RegistrationToken) error
	Unrevoke(ctx context.Context, t *domain.RegistrationToken) error
	// ListPage and CountFiltered list the tokens for the Admin API.
	ListPage(ctx context.Context, f RegistrationTokenFilter, p Page) ([]*domain.RegistrationToken, error)
	CountFiltered(ctx context.Context, f RegistrationTokenFilter) (int, error)
}

// EmailAuthenticationRepository persists email verification attempts.
type EmailAuthenticationRepository interface {
	// Add stores a new authentication (for a browser session or a
	// registration), assigning ID and CreatedAt.
	Add(ctx context.Context, a *domain.EmailAuthentication) error
	Lookup(ctx context.Context, id domain.ID) (*domain.EmailAuthentication, error)
	AddCode(ctx context.Context, authID domain.ID, code string, expiresAt time.Time) (*domain.EmailAuthenticationCode, error)
	FindCode(ctx context.Context, authID domain.ID, code string) (*domain.EmailAuthenticationCode, error)
	// LatestCode returns the code of the authentication that expires
	// last, expired or not; ErrNotFound if it has none. The code job
	// sends it again on a retry instead of drawing another.
	LatestCode(ctx context.Context, authID domain.ID) (*domain.EmailAuthenticationCode, error)
	// Complete marks it done; ErrConflict if it already was.
	Complete(ctx context.Context, a *domain.EmailAuthentication) error
	// DeleteCreatedBefore is a housekeeping batch (see housekeeping.go).
	DeleteCreatedBefore(ctx context.Context, before time.Time, limit int) (int, error)
}

// RecoveryRepository persists password recovery sessions and tickets.
type RecoveryRepository interface {
	AddSession(ctx context.Context, s *domain.RecoverySession) error
	LookupSession(ctx context.Context, id domain.ID) (*domain.RecoverySession, error)
	ConsumeSession(ctx context.Context, s *domain.RecoverySession) error
	AddTicket(ctx context.Context, sessionID, userEmailID domain.ID, ticket string, expiresAt time.Time) (*domain.RecoveryTicket, error)
	FindTicket(ctx context.Context, ticket string) (*domain.RecoveryTicket, error)
	// DeleteSessionsCreatedBefore is a housekeeping batch (see housekeeping.go).
	DeleteSessionsCreatedBefore(ctx context.Context, before time.Time, limit int) (int, error)
}

// PolicyDataRepository persists versions of the dynamic policy data.
type PolicyDataRepository interface {
	Add(ctx context.Context, data string) (*domain.PolicyData, error)
	// Latest returns the newest version; ErrNotFound if none.
	Latest(ctx context.Context) (*domain.PolicyData, error)
	Lookup(ctx context.Context, id domain.ID) (*domain.PolicyData, error)
	// Prune deletes all but the newest keep versions.
	Prune(ctx context.Context, keep int) (int, error)
}
