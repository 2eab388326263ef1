package store

import "mas/internal/domain"

// UserEmailFilter selects addresses for a listing (the Admin API's); the
// zero value selects every address.
type UserEmailFilter struct {
	UserID domain.ID // the zero ID does not filter
	// Email keeps the address equal to it, compared case-insensitively.
	Email string
}
