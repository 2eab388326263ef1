package store

import "mas/internal/domain"

// UserFilter selects users for a listing (the Admin API's); the zero value
// selects every user.
type UserFilter struct {
	// Admin, when set, keeps the users whose can_request_admin matches.
	Admin *bool
	// LegacyGuest, when set, keeps the users whose guest flag matches.
	LegacyGuest *bool
	// Status is "", UserStatusActive, UserStatusLocked (which includes
	// deactivated users, as upstream) or UserStatusDeactivated.
	Status string
	// Search keeps the usernames containing it, case-insensitively.
	Search string
	// ActiveOAuth2Clients, when not empty, keeps the users with an
	// unfinished OAuth 2.0 session of any of these clients.
	ActiveOAuth2Clients []domain.ID
	// HasActiveOAuth2Session and HasActiveCompatSession, when set, keep
	// the users with (or without) an unfinished session of that kind.
	HasActiveOAuth2Session *bool
	HasActiveCompatSession *bool
}

// User statuses of UserFilter.Status.
const (
	UserStatusActive      = "active"
	UserStatusLocked      = "locked"
	UserStatusDeactivated = "deactivated"
)

// Page is one page of a cursor walk over IDs: the IDs after After and
// before Before (the zero ID does not bound), ascending, or descending
// when Backward (a walk from the end). Limit bounds the rows returned.
type Page struct {
	After, Before domain.ID
	Backward      bool
	Limit         int
}
