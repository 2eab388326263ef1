package domain

import "time"

// User is an account. The username is the Matrix localpart.
type User struct {
	ID              ID
	Username        string
	CreatedAt       time.Time
	LockedAt        *time.Time
	DeactivatedAt   *time.Time
	CanRequestAdmin bool
	// IsGuest marks guests imported from Synapse; new guests cannot be made.
	IsGuest bool
}

// IsValid reports whether the user may authenticate and use tokens: neither
// locked nor deactivated.
func (u *User) IsValid() bool { return u.LockedAt == nil && u.DeactivatedAt == nil }

// Lock marks the user locked. Locking a locked user is a no-op.
func (u *User) Lock(now time.Time) {
	if u.LockedAt == nil {
		u.LockedAt = &now
	}
}

// Unlock clears the lock.
func (u *User) Unlock() { u.LockedAt = nil }

// Deactivate marks the user deactivated. Deactivating twice is an error so
// that the side effects (erasing on the homeserver) are not scheduled twice.
func (u *User) Deactivate(now time.Time) error {
	if u.DeactivatedAt != nil {
		return transitionError("user", "deactivated", "deactivated")
	}
	u.DeactivatedAt = &now
	return nil
}

// Reactivate clears the deactivation.
func (u *User) Reactivate() error {
	if u.DeactivatedAt == nil {
		return transitionError("user", "active", "active")
	}
	u.DeactivatedAt = nil
	return nil
}

// Password is one entry of a user's password history. The newest entry is
// the active one; Version names the hashing scheme from the configuration.
type Password struct {
	ID             ID
	UserID         ID
	HashedPassword string
	Version        int
	UpgradedFromID *ID
	CreatedAt      time.Time
}

// UserEmail is a confirmed email address of a user.
type UserEmail struct {
	ID        ID
	UserID    ID
	Email     string
	CreatedAt time.Time
}

// BrowserSession is a user's login in a web browser (upstream: user_sessions).
type BrowserSession struct {
	ID           ID
	UserID       ID
	CreatedAt    time.Time
	FinishedAt   *time.Time
	UserAgent    string
	LastActiveAt *time.Time
	LastActiveIP string
}

// Active reports whether the session has not been finished.
func (s *BrowserSession) Active() bool { return s.FinishedAt == nil }

// Finish ends the session.
func (s *BrowserSession) Finish(now time.Time) error {
	if s.FinishedAt != nil {
		return transitionError("browser session", "finished", "finished")
	}
	s.FinishedAt = &now
	return nil
}

// Authentication records one proof of identity on a browser session: a
// password check or an upstream login.
type Authentication struct {
	ID                ID
	BrowserSessionID  ID
	CreatedAt         time.Time
	PasswordID        *ID
	UpstreamSessionID *ID
}
