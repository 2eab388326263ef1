package store

import (
	"context"
	"time"

	"mas/internal/domain"
)

// UserRepository persists users. Usernames are unique case-insensitively.
type UserRepository interface {
	// Add creates a user; ErrConflict if the username is taken.
	Add(ctx context.Context, username string) (*domain.User, error)
	Lookup(ctx context.Context, id domain.ID) (*domain.User, error)
	// FindByUsername matches case-insensitively.
	FindByUsername(ctx context.Context, username string) (*domain.User, error)
	// Update writes the mutable fields (locked, deactivated, admin flag).
	Update(ctx context.Context, u *domain.User) error
	// ListAdmins returns users allowed to request admin, oldest first.
	ListAdmins(ctx context.Context) ([]*domain.User, error)
	// Count returns the number of users.
	Count(ctx context.Context) (int, error)
	// ListPage returns a page of the users the filter selects, in the
	// page's walk order (see Page); the zero filter walks every user.
	ListPage(ctx context.Context, f UserFilter, p Page) ([]*domain.User, error)
	// CountFiltered counts the users the filter selects.
	CountFiltered(ctx context.Context, f UserFilter) (int, error)
	// Hold makes the rest of a transaction exclusive for the user: another
	// transaction calling Hold for the same user waits until this one ends,
	// and then reads what it wrote. Check-then-write rules that span rows,
	// such as one live session per device, take it first. On PostgreSQL it
	// locks the user's row; SQLite write transactions are exclusive anyway.
	// ErrNotFound if there is no such user; an error outside a transaction.
	Hold(ctx context.Context, id domain.ID) error
}

// PasswordRepository keeps each user's password history.
type PasswordRepository interface {
	Add(ctx context.Context, userID domain.ID, hashed string, version int, upgradedFrom *domain.ID) (*domain.Password, error)
	// Active returns the newest password; ErrNotFound if the user has none.
	Active(ctx context.Context, userID domain.ID) (*domain.Password, error)
}

// UserEmailRepository persists confirmed addresses. An address belongs to
// at most one user, compared case-insensitively.
type UserEmailRepository interface {
	// Add attaches an address; ErrConflict if any user already has it.
	Add(ctx context.Context, userID domain.ID, email string) (*domain.UserEmail, error)
	Lookup(ctx context.Context, id domain.ID) (*domain.UserEmail, error)
	FindByEmail(ctx context.Context, email string) (*domain.UserEmail, error)
	ListForUser(ctx context.Context, userID domain.ID) ([]*domain.UserEmail, error)
	Remove(ctx context.Context, id domain.ID) error
	// RemoveAllForUser deletes every address of the user (deactivation).
	RemoveAllForUser(ctx context.Context, userID domain.ID) (int, error)
	// ListPage returns a page of the addresses the filter selects (see Page).
	ListPage(ctx context.Context, f UserEmailFilter, p Page) ([]*domain.UserEmail, error)
	CountFiltered(ctx context.Context, f UserEmailFilter) (int, error)
}

// BrowserSessionRepository persists web logins and their authentications.
type BrowserSessionRepository interface {
	Add(ctx context.Context, userID domain.ID, userAgent string) (*domain.BrowserSession, error)
	Lookup(ctx context.Context, id domain.ID) (*domain.BrowserSession, error)
	// LookupWithUser is Lookup that also returns the session's user, in one
	// round trip (every page behind a login asks for both).
	LookupWithUser(ctx context.Context, id domain.ID) (*domain.BrowserSession, *domain.User, error)
	// LookupForToken is LookupWithUser that also returns the time of the
	// session's newest authentication (nil if none), the ID token's
	// auth_time: one round trip for every token a browser session approves.
	LookupForToken(ctx context.Context, id domain.ID) (*domain.BrowserSession, *domain.User, *time.Time, error)
	// Finish ends the session; ErrConflict if it was already finished.
	Finish(ctx context.Context, s *domain.BrowserSession) error
	// FinishAllForUser ends every active session of the user.
	FinishAllForUser(ctx context.Context, userID domain.ID) (int, error)
	ListActiveForUser(ctx context.Context, userID domain.ID) ([]*domain.BrowserSession, error)
	// ListPage returns a page of the sessions the filter selects (see Page).
	ListPage(ctx context.Context, f BrowserSessionFilter, p Page) ([]*domain.BrowserSession, error)
	CountFiltered(ctx context.Context, f BrowserSessionFilter) (int, error)
	// Authenticate records a password or upstream authentication.
	Authenticate(ctx context.Context, sessionID domain.ID, passwordID, upstreamSessionID *domain.ID) (*domain.Authentication, error)
	// LastAuthentication returns the newest authentication; ErrNotFound if none.
	LastAuthentication(ctx context.Context, sessionID domain.ID) (*domain.Authentication, error)
	RecordActivity(ctx context.Context, id domain.ID, at time.Time, ip string) error
	// Housekeeping (see housekeeping.go for the rules they share).
	// DeleteFinishedBefore skips the sessions an OAuth 2.0 or compat
	// session started from, resuming after the position it last returned.
	DeleteFinishedBefore(ctx context.Context, before time.Time, after CleanupPosition, limit int) (int, CleanupPosition, error)
	ForgetIPsInactiveBefore(ctx context.Context, before time.Time, limit int) (int, error)
	ListInactive(ctx context.Context, before time.Time, limit int) ([]*domain.BrowserSession, error)
}
