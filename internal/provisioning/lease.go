package provisioning

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store"
)

// The pending marks (pending.go) keep a sync from deleting a device whose
// login is under way, but only if the sync reads the marks after the login
// wrote them. A sync that read the user's devices just before, and whose
// push reaches the homeserver just after the login created its device,
// still deleted it; the sync's next round put it back, without its display
// name, and a client using its new token in between was told the token was
// unknown. So a sync's reading and pushing now happen wholly before or
// wholly after a login's marking and creating, through a per-user lease
// (store.PendingDeviceRepository): logins share it, since they only add
// devices; a sync holds it alone.

const (
	// DeviceLeaseTTL is how long a holder that died blocks the others. A
	// holder normally keeps the lease for a few homeserver calls, each
	// bounded by the connection's timeout.
	DeviceLeaseTTL = 2 * time.Minute
	// deviceLeaseWait bounds the wait for a busy lease: far longer than a
	// healthy holder keeps it, short enough that a login gives up before
	// its client does.
	deviceLeaseWait = 45 * time.Second
)

// LockDevicesForLogin waits for a share of the user's device lease, for a
// login about to create devices, and returns the function that gives it
// back.
func LockDevicesForLogin(ctx context.Context, s store.Store, clk clock.Clock, userID domain.ID) (unlock func(), err error) {
	err = waitForLease(ctx, userID, func(now time.Time) (bool, error) {
		return s.PendingDevices().AcquireLoginLease(ctx, userID, now, now.Add(DeviceLeaseTTL))
	}, clk)
	if err != nil {
		return nil, err
	}
	return func() {
		// Best effort: a share left behind expires.
		_ = s.PendingDevices().ReleaseLoginLease(context.WithoutCancel(ctx), userID)
	}, nil
}

// LockDevicesForSync waits until the user's device lease is free and holds
// it alone, for a device sync, and returns the function that frees it.
func LockDevicesForSync(ctx context.Context, s store.Store, clk clock.Clock, userID domain.ID) (unlock func(), err error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	holder := hex.EncodeToString(raw[:])
	err = waitForLease(ctx, userID, func(now time.Time) (bool, error) {
		return s.PendingDevices().AcquireSyncLease(ctx, userID, holder, now, now.Add(DeviceLeaseTTL))
	}, clk)
	if err != nil {
		return nil, err
	}
	return func() {
		_ = s.PendingDevices().ReleaseSyncLease(context.WithoutCancel(ctx), userID, holder)
	}, nil
}

// waitForLease calls acquire until it succeeds, backing off from 5 ms to
// 100 ms, for at most deviceLeaseWait or until ctx ends.
func waitForLease(ctx context.Context, userID domain.ID, acquire func(now time.Time) (bool, error), clk clock.Clock) error {
	deadline := time.Now().Add(deviceLeaseWait)
	wait := 5 * time.Millisecond
	for {
		ok, err := acquire(clk.Now())
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the devices of user %s are being changed by another login or sync for too long", userID)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}
