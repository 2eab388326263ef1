package store

import (
	"context"
	"time"

	"mas/internal/domain"
)

// PendingDeviceRepository remembers the devices a login is creating on the
// homeserver before the session that will hold them is committed. The
// device sync counts them as the user's devices, so that a sync running in
// that window does not delete a device the login has just created. A mark
// is removed in the transaction that commits its session, or expires when
// the login died before committing.
type PendingDeviceRepository interface {
	// Add marks deviceID of the user as pending until expiresAt. Marking a
	// device that is already marked extends the mark to expiresAt; it never
	// shortens it, since another login may be relying on the later expiry.
	Add(ctx context.Context, userID domain.ID, deviceID string, expiresAt time.Time) error
	// Remove drops the mark; removing a device that is not pending is not
	// an error.
	Remove(ctx context.Context, userID domain.ID, deviceID string) error
	// ListActive returns the user's devices pending at now (marks expiring
	// at or after now), sorted.
	ListActive(ctx context.Context, userID domain.ID, now time.Time) ([]string, error)
	// DeleteExpired removes the marks that expired before the given instant
	// and returns how many were removed.
	DeleteExpired(ctx context.Context, before time.Time) (int, error)
}
