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

	// AcquireLoginLease takes a share of the user's device lease for a
	// login creating devices, until expiresAt, unless a sync holds it (and
	// its hold has not expired by now). It reports whether it got it.
	AcquireLoginLease(ctx context.Context, userID domain.ID, now, expiresAt time.Time) (bool, error)
	// ReleaseLoginLease gives one login's share back.
	ReleaseLoginLease(ctx context.Context, userID domain.ID) error
	// AcquireSyncLease takes the user's device lease alone for a device
	// sync, as holder, until expiresAt, if no sync holds it and no login
	// shares it (holds that expired before now do not count).
	AcquireSyncLease(ctx context.Context, userID domain.ID, holder string, now, expiresAt time.Time) (bool, error)
	// ReleaseSyncLease gives the lease up if holder still has it.
	ReleaseSyncLease(ctx context.Context, userID domain.ID, holder string) error
}
