package oauth

// The devices a session's scope names, created on the homeserver before
// the session is stored.

import (
	"context"
	"errors"
	"fmt"

	"mas/internal/domain"
	"mas/internal/provisioning"
	"mas/internal/requestctx"
)

// errDeviceProvisioning marks a failure of the homeserver while creating a
// session's device; the token request fails with nothing committed.
var errDeviceProvisioning = errors.New("provisioning the device on the homeserver")

// provisionDevices creates on the homeserver every device the scope names,
// synchronously: a client must be able to use its token the moment it
// gets it, and Synapse refuses tokens whose device it does not know. It
// runs before the write transaction so that no database lock (SQLite has
// one writer) is held while the homeserver answers. The devices stay marked
// pending, safe from concurrent device syncs, until the write transaction
// calls Done on the result (nil when the scope names no device).
func (h *Handler) provisionDevices(ctx context.Context, user *domain.User, client *domain.Client, scope []string) (*provisioning.PendingDevices, error) {
	pending, err := provisioning.CreatePendingDevices(ctx, h.Store, h.Homeserver, h.Clock, user,
		domain.DevicesInScope(scope), deviceDisplayName(client))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errDeviceProvisioning, err)
	}
	return pending, nil
}

// forgetOrphanDevices schedules a device sync after a token request created
// devices but then failed to commit its session, so that the homeserver
// does not keep a device no session holds. The pending marks go first, or
// the sync would keep the devices.
func (h *Handler) forgetOrphanDevices(ctx context.Context, user *domain.User, pending *provisioning.PendingDevices) {
	if pending == nil {
		return
	}
	if err := pending.Abort(ctx); err != nil {
		requestctx.Logger(ctx).Error("forgetting pending devices after a failed token request", "error", err)
	}
	if err := h.Store.Jobs().Enqueue(context.WithoutCancel(ctx), domain.SyncDevicesJob{UserID: user.ID}); err != nil {
		requestctx.Logger(ctx).Error("scheduling a device sync after a failed token request", "error", err)
	}
}

// deviceDisplayName is the name a new device gets on the homeserver: the
// client's name, which is what users recognise in their session list.
func deviceDisplayName(client *domain.Client) string {
	if client.ClientName != "" {
		return client.ClientName
	}
	return client.ID.String()
}
