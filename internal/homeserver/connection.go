package homeserver

import (
	"context"
	"strings"
)

// Connection is the service's view of the homeserver. Every method that talks
// to the homeserver takes a context so that callers (HTTP handlers, jobs) can
// bound it; implementations add their own per-call timeouts on top.
//
// Errors returned by the network methods are either an *Error (the homeserver
// answered with a non-success status) or a wrapped transport error. Neither
// ever contains the shared secret.
type Connection interface {
	// ServerName is the homeserver's server_name (matrix.homeserver), the
	// part after the colon in user IDs.
	ServerName() string

	// MXID builds the full Matrix user ID "@localpart:server_name".
	MXID(localpart string) string

	// VerifyToken reports whether token is the shared secret. The homeserver
	// presents that secret as a bearer token when it calls the introspection
	// endpoint, so this is how the service authenticates it.
	VerifyToken(token string) bool

	// QueryUser fetches the homeserver's view of a user. It returns an error
	// matching ErrUserNotFound when the homeserver does not know the user.
	QueryUser(ctx context.Context, localpart string) (*MatrixUser, error)

	// IsLocalpartAvailable reports whether a new user could be registered
	// with this localpart. Invalid, taken and application-service-reserved
	// localparts are reported as unavailable rather than as errors, because
	// callers only ever need a yes/no answer to show the user.
	IsLocalpartAvailable(ctx context.Context, localpart string) (bool, error)

	// ProvisionUser creates the user if needed and applies the requested
	// profile, email and lock changes. created is true when the user did not
	// exist before.
	ProvisionUser(ctx context.Context, req ProvisionRequest) (created bool, err error)

	// UpsertDevice creates a device, or leaves an existing one in place. An
	// empty displayName sends no display name.
	UpsertDevice(ctx context.Context, localpart, deviceID, displayName string) error

	// UpdateDeviceDisplayName renames an existing device.
	UpdateDeviceDisplayName(ctx context.Context, localpart, deviceID, displayName string) error

	// DeleteDevice removes a device, which also invalidates the tokens the
	// homeserver has cached for it. Deleting an unknown device succeeds.
	DeleteDevice(ctx context.Context, localpart, deviceID string) error

	// SyncDevices makes the user's device list on the homeserver equal to
	// deviceIDs: unlisted devices are deleted, missing ones are created.
	SyncDevices(ctx context.Context, localpart string, deviceIDs []string) error

	// DeleteUser deactivates the user on the homeserver; erase additionally
	// asks it to forget the user's data (GDPR erasure).
	DeleteUser(ctx context.Context, localpart string, erase bool) error

	// ReactivateUser undoes DeleteUser (but not the erasure).
	ReactivateUser(ctx context.Context, localpart string) error

	// SetDisplayName changes the user's display name.
	SetDisplayName(ctx context.Context, localpart, displayName string) error

	// UnsetDisplayName removes the user's display name.
	UnsetDisplayName(ctx context.Context, localpart string) error

	// AllowCrossSigningReset lets the user replace their cross-signing keys
	// without interactive authentication for a short while (ten minutes on
	// Synapse), after they confirmed the reset with the service.
	AllowCrossSigningReset(ctx context.Context, localpart string) error
}

// MatrixUser is what the homeserver knows about a user. Synapse treats an
// empty display name or avatar like an absent one, so the empty string means
// "not set" here.
type MatrixUser struct {
	DisplayName string
	AvatarURL   string
	Deactivated bool
}

// MXID formats a Matrix user ID. Implementations of Connection use it so that
// every package spells user IDs the same way.
func MXID(localpart, serverName string) string {
	return "@" + localpart + ":" + serverName
}

// Localpart extracts the localpart from a user ID that belongs to serverName.
// It returns false for anything else (a malformed ID, or a user on another
// server), so callers cannot accidentally act on a remote user.
func Localpart(mxid, serverName string) (string, bool) {
	rest, ok := strings.CutPrefix(mxid, "@")
	if !ok {
		return "", false
	}
	// Localparts never contain ':', server names may (ports), so the first
	// colon is the separator.
	localpart, server, ok := strings.Cut(rest, ":")
	if !ok || localpart == "" || server != serverName {
		return "", false
	}
	return localpart, true
}
