package store

import (
	"time"

	"mas/internal/domain"
)

// Session statuses of the session filters' Status.
const (
	SessionStatusActive   = "active"
	SessionStatusFinished = "finished"
)

// SessionTimes bounds a session listing by when the sessions were created
// and last active; every bound is strict and nil does not bound. A session
// never active matches no last-active bound.
type SessionTimes struct {
	CreatedBefore, CreatedAfter       *time.Time
	LastActiveBefore, LastActiveAfter *time.Time
}

// BrowserSessionFilter selects browser sessions for a listing (the Admin
// API's); the zero value selects every session.
type BrowserSessionFilter struct {
	UserID domain.ID // the zero ID does not filter
	Status string    // "", SessionStatusActive or SessionStatusFinished
	SessionTimes
}

// CompatSessionFilter selects compat sessions for a listing.
type CompatSessionFilter struct {
	UserID           domain.ID
	BrowserSessionID domain.ID // the browser session the login came from
	Status           string
	SessionTimes
}

// OAuth2SessionFilter selects OAuth 2.0 sessions for a listing.
type OAuth2SessionFilter struct {
	UserID domain.ID
	// ClientIDs keeps the sessions of any of these clients (none: all).
	ClientIDs []domain.ID
	// StaticClient, when set, keeps the sessions of static (configured)
	// clients, or of dynamically registered ones when false.
	StaticClient     *bool
	BrowserSessionID domain.ID
	// Scope keeps the sessions whose scope holds every one of these tokens.
	Scope  []string
	Status string
	SessionTimes
}

// CompatSessionEntry is a compat session as a listing shows it: with the
// redirect URI of the SSO login that created it ("" for a password or
// token login).
type CompatSessionEntry struct {
	*domain.CompatSession
	RedirectURI string
}
