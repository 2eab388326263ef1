package synapse

import (
	"context"
	"errors"

	"mas/internal/homeserver"
)

// ErrReadOnly is matched (with errors.Is) by every refusal of a read-only
// connection, so callers can tell "not allowed by configuration" from a
// homeserver failure and, for example, not retry the job.
var ErrReadOnly = errors.New("homeserver connection is read-only")

// ReadOnlyError is returned by a read-only connection for each write.
type ReadOnlyError struct {
	// Operation names what was refused, e.g. "provisioning".
	Operation string
}

func (e *ReadOnlyError) Error() string {
	return e.Operation + " is not supported in read-only mode"
}

// Is makes errors.Is(err, ErrReadOnly) work.
func (e *ReadOnlyError) Is(target error) bool { return target == ErrReadOnly }

// ReadOnly wraps a connection for matrix.kind "synapse_read_only": the
// homeserver is consulted (token verification, user queries, localpart
// availability) but never changed, which lets an operator run this service
// next to a homeserver whose users are managed elsewhere.
func ReadOnly(conn homeserver.Connection) homeserver.Connection {
	return readOnly{conn}
}

type readOnly struct {
	inner homeserver.Connection
}

func refuse(operation string) error { return &ReadOnlyError{Operation: operation} }

func (r readOnly) ServerName() string            { return r.inner.ServerName() }
func (r readOnly) MXID(localpart string) string  { return r.inner.MXID(localpart) }
func (r readOnly) VerifyToken(token string) bool { return r.inner.VerifyToken(token) }

func (r readOnly) QueryUser(ctx context.Context, localpart string) (*homeserver.MatrixUser, error) {
	return r.inner.QueryUser(ctx, localpart)
}

func (r readOnly) IsLocalpartAvailable(ctx context.Context, localpart string) (bool, error) {
	return r.inner.IsLocalpartAvailable(ctx, localpart)
}

func (readOnly) ProvisionUser(context.Context, homeserver.ProvisionRequest) (bool, error) {
	return false, refuse("provisioning")
}

func (readOnly) UpsertDevice(context.Context, string, string, string) error {
	return refuse("device creation")
}

func (readOnly) UpdateDeviceDisplayName(context.Context, string, string, string) error {
	return refuse("device display name update")
}

func (readOnly) DeleteDevice(context.Context, string, string) error {
	return refuse("device deletion")
}

func (readOnly) SyncDevices(context.Context, string, []string) error {
	return refuse("device synchronization")
}

func (readOnly) DeleteUser(context.Context, string, bool) error {
	return refuse("user deletion")
}

func (readOnly) ReactivateUser(context.Context, string) error {
	return refuse("user reactivation")
}

func (readOnly) SetDisplayName(context.Context, string, string) error {
	return refuse("display name update")
}

func (readOnly) UnsetDisplayName(context.Context, string) error {
	return refuse("display name update")
}

func (readOnly) AllowCrossSigningReset(context.Context, string) error {
	return refuse("allowing cross-signing reset")
}
