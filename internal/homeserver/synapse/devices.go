package synapse

import (
	"context"
	"errors"
	"net/http"
	"slices"
)

// UpsertDevice implements homeserver.Connection. Synapse answers 201 for a
// new device and 200 for an existing one; both are success here because
// callers only need the device to exist.
func (c *Client) UpsertDevice(ctx context.Context, localpart, deviceID, displayName string) error {
	if localpart == "" {
		return errEmptyLocalpart
	}
	if deviceID == "" {
		return errEmptyDeviceID
	}
	body := struct {
		Localpart   string  `json:"localpart"`
		DeviceID    string  `json:"device_id"`
		DisplayName *string `json:"display_name,omitempty"`
	}{Localpart: localpart, DeviceID: deviceID}
	if displayName != "" {
		body.DisplayName = &displayName
	}
	_, err := c.do(ctx, request{method: http.MethodPost, path: pathUpsertDevice, body: body})
	return err
}

// UpdateDeviceDisplayName implements homeserver.Connection.
func (c *Client) UpdateDeviceDisplayName(ctx context.Context, localpart, deviceID, displayName string) error {
	if localpart == "" {
		return errEmptyLocalpart
	}
	if deviceID == "" {
		return errEmptyDeviceID
	}
	_, err := c.do(ctx, request{
		method: http.MethodPost,
		path:   pathUpdateDeviceName,
		body: struct {
			Localpart   string `json:"localpart"`
			DeviceID    string `json:"device_id"`
			DisplayName string `json:"display_name"`
		}{localpart, deviceID, displayName},
	})
	return err
}

// DeleteDevice implements homeserver.Connection. Synapse answers 204.
func (c *Client) DeleteDevice(ctx context.Context, localpart, deviceID string) error {
	if localpart == "" {
		return errEmptyLocalpart
	}
	if deviceID == "" {
		return errEmptyDeviceID
	}
	_, err := c.do(ctx, request{
		method: http.MethodPost,
		path:   pathDeleteDevice,
		body: struct {
			Localpart string `json:"localpart"`
			DeviceID  string `json:"device_id"`
		}{localpart, deviceID},
	})
	return err
}

// SyncDevices implements homeserver.Connection. The list is sent sorted and
// without duplicates: Synapse treats it as a set, and a stable order keeps
// requests reproducible.
func (c *Client) SyncDevices(ctx context.Context, localpart string, deviceIDs []string) error {
	if localpart == "" {
		return errEmptyLocalpart
	}
	devices := slices.Clone(deviceIDs)
	slices.Sort(devices)
	devices = slices.Compact(devices)
	if devices == nil {
		devices = []string{}
	}
	_, err := c.do(ctx, request{
		method: http.MethodPost,
		path:   pathSyncDevices,
		body: struct {
			Localpart string   `json:"localpart"`
			Devices   []string `json:"devices"`
		}{localpart, devices},
	})
	return err
}

var errEmptyDeviceID = errors.New("homeserver: empty device ID")
