package app

import (
	"context"
	"errors"
	"fmt"

	"mas/internal/domain"
	"mas/internal/provisioning"
	"mas/internal/store"
	"mas/internal/tokens"
)

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

// KillSessions ends every browser, OAuth 2.0 and compat session of the
// user and schedules the device sync, as `manage kill-sessions` does
// upstream (personal sessions are left alone there too). A dry run does
// the same in a transaction it rolls back, so the counts are exact.
func (a *App) KillSessions(ctx context.Context, username string, dryRun bool) (*domain.User, store.EndedSessions, error) {
	var user *domain.User
	var n store.EndedSessions
	err := store.WithTx(ctx, a.Store, func(tx store.Tx) error {
		var err error
		if user, err = findUser(ctx, tx, username); err != nil {
			return err
		}
		if n, err = store.EndEverySession(ctx, tx, user.ID); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return user, n, err
}

// deviceIDLength is the length of generated device IDs, as upstream's.
const deviceIDLength = 10

// ErrDeviceNotCreated means the homeserver refused or failed to create the
// device of a compatibility token; nothing was stored.
var ErrDeviceNotCreated = errors.New("Could not create the device on the homeserver")

// IssuedCompatToken is what IssueCompatibilityToken made.
type IssuedCompatToken struct {
	Token   string
	Session *domain.CompatSession
	User    *domain.User
}

// IssueCompatibilityToken gives the user a non-expiring compat access
// token on a new compat session holding deviceID (a random one if empty).
// As for a login, the device is created on the homeserver before the
// session is written; if that fails nothing is stored and a device sync is
// scheduled to remove whatever the homeserver kept. synapseAdmin makes the
// session a Synapse admin session.
func (a *App) IssueCompatibilityToken(ctx context.Context, username, deviceID string, synapseAdmin bool) (*IssuedCompatToken, error) {
	user, err := findUser(ctx, a.Store, username)
	if err != nil {
		return nil, err
	}
	if deviceID == "" {
		if deviceID, err = tokens.RandomAlphanumeric(a.Rand, deviceIDLength); err != nil {
			return nil, err
		}
	}
	token, err := tokens.Generate(tokens.CompatAccessToken, a.Rand)
	if err != nil {
		return nil, err
	}
	pending, err := provisioning.CreatePendingDevices(ctx, a.Store, a.Homeserver, a.Clock, user, []string{deviceID}, "")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%w: %w", ErrDeviceNotCreated, err), a.syncDevicesLater(ctx, user.ID))
	}
	sess := &domain.CompatSession{UserID: user.ID, DeviceID: deviceID, IsSynapseAdmin: synapseAdmin}
	err = store.WithTx(ctx, a.Store, func(tx store.Tx) error {
		if err := tx.Users().Hold(ctx, user.ID); err != nil {
			return err
		}
		if err := tx.CompatSessions().Add(ctx, sess); err != nil {
			return err
		}
		if _, err := tx.CompatAccessTokens().Add(ctx, sess.ID, token, nil); err != nil {
			return err
		}
		return pending.Done(ctx, tx)
	})
	if err != nil {
		// The device is on the homeserver without a session: the sync
		// removes it.
		return nil, errors.Join(err, pending.Abort(ctx), a.syncDevicesLater(ctx, user.ID))
	}
	return &IssuedCompatToken{Token: token, Session: sess, User: user}, nil
}

// syncDevicesLater schedules a device sync outside any transaction, to
// clean up after a failure that may have left a device on the homeserver.
func (a *App) syncDevicesLater(ctx context.Context, userID domain.ID) error {
	ctx = context.WithoutCancel(ctx)
	if err := a.Store.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: userID}); err != nil {
		return fmt.Errorf("scheduling a device sync: %w", err)
	}
	return nil
}
