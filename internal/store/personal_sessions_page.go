package store

import (
	"time"

	"mas/internal/domain"
)

// PersonalSessionFilter selects personal sessions for a listing (the Admin
// API's); the zero value selects every session.
type PersonalSessionFilter struct {
	// OwnerUser, OwnerClient and ActorUser keep the sessions of that
	// owner or actor (the zero ID does not filter).
	OwnerUser, OwnerClient, ActorUser domain.ID
	// Scope keeps the sessions whose scope holds every one of these.
	Scope []string
	// Status is "", PersonalSessionStatusActive or PersonalSessionStatusRevoked.
	Status string
	// ExpiresBefore and ExpiresAfter bound the expiry of the session's
	// usable token; Expires keeps the sessions whose usable token has (or
	// has not) an expiry.
	ExpiresBefore, ExpiresAfter *time.Time
	Expires                     *bool
}

// Personal session statuses of PersonalSessionFilter.Status.
const (
	PersonalSessionStatusActive  = "active"
	PersonalSessionStatusRevoked = "revoked"
)

// PersonalSessionListed is a listed personal session with the expiry of
// its usable (not revoked) token, nil when it has none or it never expires.
type PersonalSessionListed struct {
	Session        *domain.PersonalSession
	TokenExpiresAt *time.Time
}
