package store

import (
	"context"
	"time"

	"mas/internal/domain"
)

// UpstreamProviderRepository mirrors the configured upstream providers.
type UpstreamProviderRepository interface {
	// Upsert creates or replaces the provider with p.ID, re-enabling it.
	Upsert(ctx context.Context, p *domain.UpstreamProvider) error
	Lookup(ctx context.Context, id domain.ID) (*domain.UpstreamProvider, error)
	// List returns all providers ordered by UIOrder then ID.
	List(ctx context.Context) ([]*domain.UpstreamProvider, error)
	Disable(ctx context.Context, id domain.ID) error
	Delete(ctx context.Context, id domain.ID) error
	// ListPage and CountFiltered list the providers matching f by ID
	// (upstream_page.go).
	ListPage(ctx context.Context, f UpstreamProviderFilter, p Page) ([]*domain.UpstreamProvider, error)
	CountFiltered(ctx context.Context, f UpstreamProviderFilter) (int, error)
}

// UpstreamLinkRepository persists (provider, subject) → user links.
type UpstreamLinkRepository interface {
	// Add creates a link; ErrConflict if (provider, subject) exists.
	Add(ctx context.Context, providerID domain.ID, subject string, userID *domain.ID, humanAccountName string) (*domain.UpstreamLink, error)
	Lookup(ctx context.Context, id domain.ID) (*domain.UpstreamLink, error)
	FindBySubject(ctx context.Context, providerID domain.ID, subject string) (*domain.UpstreamLink, error)
	// Associate sets the user of an unassociated link; ErrConflict otherwise.
	Associate(ctx context.Context, l *domain.UpstreamLink, userID domain.ID) error
	ListForUser(ctx context.Context, userID domain.ID) ([]*domain.UpstreamLink, error)
	Remove(ctx context.Context, id domain.ID) error
	// ListPage and CountFiltered list the links matching f by ID
	// (upstream_page.go).
	ListPage(ctx context.Context, f UpstreamLinkFilter, p Page) ([]*domain.UpstreamLink, error)
	CountFiltered(ctx context.Context, f UpstreamLinkFilter) (int, error)
	// DeleteOrphansCreatedBefore is a housekeeping batch (see
	// housekeeping.go): links never associated with a user.
	DeleteOrphansCreatedBefore(ctx context.Context, before time.Time, limit int) (int, error)
}

// UpstreamSessionRepository persists upstream login attempts.
type UpstreamSessionRepository interface {
	// Add stores a new attempt, assigning ID and CreatedAt.
	Add(ctx context.Context, s *domain.UpstreamAuthSession) error
	Lookup(ctx context.Context, id domain.ID) (*domain.UpstreamAuthSession, error)
	Complete(ctx context.Context, s *domain.UpstreamAuthSession) error
	Consume(ctx context.Context, s *domain.UpstreamAuthSession, browserSessionID domain.ID) error
	// ListLoggedIn returns the provider's attempts that signed a browser
	// session in (consumed) and whose ID token had the subject sub and,
	// when sid is not empty, the session ID sid; with sub empty, sid
	// alone selects. At least one must be set. This is what a
	// back-channel logout token names.
	ListLoggedIn(ctx context.Context, providerID domain.ID, sub, sid string) ([]*domain.UpstreamAuthSession, error)
	// RecordLogoutToken remembers that the provider's logout token jti was
	// acted on, until keepUntil; ErrConflict when it already was (a
	// replay). Tokens past their keepUntil are forgotten meanwhile.
	RecordLogoutToken(ctx context.Context, providerID domain.ID, jti string, keepUntil time.Time) error
	// DeleteOrphansCreatedBefore is a housekeeping batch (see
	// housekeeping.go): attempts that never led to a browser session.
	DeleteOrphansCreatedBefore(ctx context.Context, before time.Time, limit int) (int, error)
	// DeletePendingCreatedBefore deletes, at most limit, the attempts
	// created before the cut-off that never came back from the provider:
	// state anyone can make us store before logging in.
	DeletePendingCreatedBefore(ctx context.Context, before time.Time, limit int) (int, error)
}
