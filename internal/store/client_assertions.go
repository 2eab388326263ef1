package store

import (
	"context"
	"time"

	"mas/internal/domain"
)

// ClientAssertionRepository remembers the JWT client assertions
// (client_secret_jwt, private_key_jwt) already accepted, so that each `jti`
// is single-use until the assertion expires (RFC 7523 §3, RFC 7521 §5.2).
// The check is one conditional write, so that two replicas racing on the
// same assertion cannot both accept it.
type ClientAssertionRepository interface {
	// Use records that the client presented the assertion identified by
	// jti, valid until expiresAt. It returns ErrConflict when the same
	// client already used that jti and the earlier assertion has not
	// expired yet (by the store's clock); an identifier whose earlier use
	// has expired may be used again.
	Use(ctx context.Context, clientID domain.ID, jti string, expiresAt time.Time) error
	// DeleteExpired removes the records of assertions that expired before
	// the given instant and returns how many were removed.
	DeleteExpired(ctx context.Context, before time.Time) (int, error)
}
