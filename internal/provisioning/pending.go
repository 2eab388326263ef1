package provisioning

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/homeserver"
	"mas/internal/store"
)

// A login creates its devices on the homeserver before it commits the
// session holding them (no transaction stays open during a homeserver
// call). A device sync for the same user in between would push the devices
// of the committed sessions only, and the homeserver would delete the new
// device. So the login first marks its devices pending, in a transaction
// of its own; the sync counts pending devices as the user's; and the
// transaction that commits the session removes the marks. The login also
// holds the user's device lease (lease.go) from marking to creating, which
// the sync holds from reading to pushing; the lease is a row, so this
// holds across processes.

const (
	// PendingDeviceTTL is how long a mark protects its devices. A login
	// normally commits within seconds (each homeserver call is bounded by
	// the connection's timeout); the expiry only matters for a login that
	// died in between, whose devices a later sync may then remove.
	PendingDeviceTTL = 5 * time.Minute
	// expiryMargin allows for the clocks of the other processes (the
	// workers that run syncs) running ahead of ours.
	expiryMargin = time.Minute
)

// PendingDevices are the devices a login created on the homeserver ahead of
// the session that will hold them. A nil *PendingDevices (a login without
// devices) is valid and does nothing.
type PendingDevices struct {
	store   store.Store
	userID  domain.ID
	ids     []string
	clock   clock.Clock
	expires time.Time
}

// CreatePendingDevices marks the devices pending, then creates them on the
// homeserver with EnsureDevices. The caller must then call Done in the
// transaction that commits the session holding the devices, or Abort if
// that transaction fails. If creating the devices fails, the marks are
// removed again and nothing is left to call.
func CreatePendingDevices(ctx context.Context, s store.Store, conn homeserver.Connection, clk clock.Clock,
	user *domain.User, deviceIDs []string, displayName string,
) (*PendingDevices, error) {
	if len(deviceIDs) == 0 {
		return nil, nil
	}
	p := &PendingDevices{
		store:   s,
		userID:  user.ID,
		ids:     deviceIDs,
		clock:   clk,
		expires: clk.Now().Add(PendingDeviceTTL),
	}
	unlock, err := LockDevicesForLogin(ctx, s, clk, user.ID)
	if err != nil {
		return nil, fmt.Errorf("waiting to create the devices of %s: %w", user.Username, err)
	}
	defer unlock()
	// Committed before the homeserver hears of the devices: a sync that
	// could delete them reads this mark.
	err = store.WithTx(ctx, s, func(tx store.Tx) error {
		for _, d := range deviceIDs {
			if err := tx.PendingDevices().Add(ctx, user.ID, d, p.expires); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("marking the devices of %s pending: %w", user.Username, err)
	}
	if err := EnsureDevices(ctx, conn, s, user, deviceIDs, displayName); err != nil {
		return nil, errors.Join(err, p.Abort(ctx))
	}
	return p, nil
}

// Done removes the marks inside tx, the transaction that commits the
// session holding the devices: from its commit on, the session keeps the
// devices in every sync. A login that took longer than the marks' lifetime
// may have had its devices deleted by a sync meanwhile, so it also queues
// a sync, which the homeserver answers by creating the devices it lacks.
func (p *PendingDevices) Done(ctx context.Context, tx store.Tx) error {
	if p == nil {
		return nil
	}
	for _, d := range p.ids {
		if err := tx.PendingDevices().Remove(ctx, p.userID, d); err != nil {
			return err
		}
	}
	if p.clock.Now().After(p.expires.Add(-expiryMargin)) {
		if err := tx.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: p.userID}); err != nil {
			return err
		}
	}
	return nil
}

// Abort removes the marks after the session could not be committed, so that
// a device sync (which the caller queues, as for any orphan device) removes
// the devices. It works even if ctx was cancelled. A mark it cannot remove
// would protect its device until it expires, so it then queues a sync for
// after that, and returns the error for the caller to log.
func (p *PendingDevices) Abort(ctx context.Context) error {
	if p == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for _, d := range p.ids {
		if err := p.store.PendingDevices().Remove(ctx, p.userID, d); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	delay := p.expires.Sub(p.clock.Now()) + expiryMargin
	if err := p.store.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: p.userID},
		store.WithDelaySeconds(int64(delay/time.Second)+1)); err != nil {
		errs = append(errs, fmt.Errorf("scheduling a device sync for after the marks expire: %w", err))
	}
	return fmt.Errorf("forgetting the pending devices of user %s: %w", p.userID, errors.Join(errs...))
}
