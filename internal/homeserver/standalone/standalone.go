// Package standalone is a homeserver connection for running the service
// with no homeserver at all (matrix.kind: standalone): a quickstart on a
// laptop, a demo. Every write succeeds without going anywhere, and the
// devices it was told about are kept in memory so reads stay coherent.
// Nothing here is suitable for production, which is why the kind must be
// named explicitly and the service warns about it at every start.
package standalone

import (
	"context"
	"crypto/subtle"
	"slices"
	"sync"

	"mas/internal/homeserver"
)

// Connection implements homeserver.Connection without a homeserver.
type Connection struct {
	serverName string
	secret     string

	mu      sync.Mutex
	users   map[string]*homeserver.MatrixUser
	devices map[string][]string
}

var _ homeserver.Connection = (*Connection)(nil)

// New returns a standalone connection for serverName.
func New(serverName, secret string) *Connection {
	return &Connection{
		serverName: serverName,
		secret:     secret,
		users:      map[string]*homeserver.MatrixUser{},
		devices:    map[string][]string{},
	}
}

func (c *Connection) ServerName() string           { return c.serverName }
func (c *Connection) MXID(localpart string) string { return homeserver.MXID(localpart, c.serverName) }

func (c *Connection) VerifyToken(token string) bool {
	return c.secret != "" && subtle.ConstantTimeCompare([]byte(token), []byte(c.secret)) == 1
}

func (c *Connection) QueryUser(_ context.Context, localpart string) (*homeserver.MatrixUser, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.users[localpart]
	if !ok {
		return nil, homeserver.ErrUserNotFound
	}
	copied := *u
	return &copied, nil
}

// IsLocalpartAvailable defers to the service's own user table: with no
// homeserver there is nobody else to ask.
func (c *Connection) IsLocalpartAvailable(context.Context, string) (bool, error) { return true, nil }

func (c *Connection) ProvisionUser(_ context.Context, req homeserver.ProvisionRequest) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, existed := c.users[req.Localpart]
	if !existed {
		u = &homeserver.MatrixUser{DisplayName: req.Localpart}
		c.users[req.Localpart] = u
	}
	if v, ok := req.DisplayName.Value(); ok {
		u.DisplayName = v
	} else if req.DisplayName.IsUnset() {
		u.DisplayName = ""
	}
	if v, ok := req.AvatarURL.Value(); ok {
		u.AvatarURL = v
	} else if req.AvatarURL.IsUnset() {
		u.AvatarURL = ""
	}
	return !existed, nil
}

func (c *Connection) UpsertDevice(_ context.Context, localpart, deviceID, _ string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.devices[localpart], deviceID) {
		c.devices[localpart] = append(c.devices[localpart], deviceID)
	}
	return nil
}

func (c *Connection) UpdateDeviceDisplayName(context.Context, string, string, string) error {
	return nil
}

func (c *Connection) DeleteDevice(_ context.Context, localpart, deviceID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.devices[localpart] = slices.DeleteFunc(c.devices[localpart], func(d string) bool { return d == deviceID })
	return nil
}

func (c *Connection) SyncDevices(_ context.Context, localpart string, deviceIDs []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.devices[localpart] = slices.Clone(deviceIDs)
	return nil
}

func (c *Connection) DeleteUser(_ context.Context, localpart string, _ bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u, ok := c.users[localpart]; ok {
		u.Deactivated = true
	}
	delete(c.devices, localpart)
	return nil
}

func (c *Connection) ReactivateUser(_ context.Context, localpart string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u, ok := c.users[localpart]; ok {
		u.Deactivated = false
	}
	return nil
}

func (c *Connection) SetDisplayName(_ context.Context, localpart, displayName string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u, ok := c.users[localpart]; ok {
		u.DisplayName = displayName
	}
	return nil
}

func (c *Connection) UnsetDisplayName(ctx context.Context, localpart string) error {
	return c.SetDisplayName(ctx, localpart, "")
}

func (c *Connection) AllowCrossSigningReset(context.Context, string) error { return nil }

// Devices lists the devices recorded for a user (for tests and debugging).
func (c *Connection) Devices(localpart string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.devices[localpart])
}
