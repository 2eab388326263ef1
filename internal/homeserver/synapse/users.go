package synapse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"mas/internal/homeserver"
)

// API paths, relative to the endpoint.
const (
	pathQueryUser              = "_synapse/mas/query_user"
	pathProvisionUser          = "_synapse/mas/provision_user"
	pathIsLocalpartAvailable   = "_synapse/mas/is_localpart_available"
	pathDeleteUser             = "_synapse/mas/delete_user"
	pathReactivateUser         = "_synapse/mas/reactivate_user"
	pathSetDisplayName         = "_synapse/mas/set_displayname"
	pathUnsetDisplayName       = "_synapse/mas/unset_displayname"
	pathAllowCrossSigningReset = "_synapse/mas/allow_cross_signing_reset"
	pathUpsertDevice           = "_synapse/mas/upsert_device"
	pathUpdateDeviceName       = "_synapse/mas/update_device_display_name"
	pathDeleteDevice           = "_synapse/mas/delete_device"
	pathSyncDevices            = "_synapse/mas/sync_devices"
)

// localpartBody is the body of every call that only names a user.
type localpartBody struct {
	Localpart string `json:"localpart"`
}

// QueryUser implements homeserver.Connection.
func (c *Client) QueryUser(ctx context.Context, localpart string) (*homeserver.MatrixUser, error) {
	if localpart == "" {
		return nil, errEmptyLocalpart
	}
	resp, err := c.do(ctx, request{
		method: http.MethodGet,
		path:   pathQueryUser,
		query:  url.Values{"localpart": {localpart}},
	})
	if err != nil {
		return nil, err
	}
	// Pointers tell a missing field from a zero one: a 200 without
	// is_deactivated is not Synapse talking, and guessing "active" would be
	// unsafe.
	var body struct {
		UserID        *string `json:"user_id"`
		DisplayName   *string `json:"display_name"`
		AvatarURL     *string `json:"avatar_url"`
		IsDeactivated *bool   `json:"is_deactivated"`
	}
	if err := json.Unmarshal(resp.body, &body); err != nil {
		return nil, fmt.Errorf("homeserver: /%s: invalid response: %w", pathQueryUser, err)
	}
	if body.UserID == nil || body.IsDeactivated == nil {
		return nil, fmt.Errorf("homeserver: /%s: invalid response: missing user_id or is_deactivated", pathQueryUser)
	}
	user := &homeserver.MatrixUser{Deactivated: *body.IsDeactivated}
	if body.DisplayName != nil {
		user.DisplayName = *body.DisplayName
	}
	if body.AvatarURL != nil {
		user.AvatarURL = *body.AvatarURL
	}
	return user, nil
}

// IsLocalpartAvailable implements homeserver.Connection.
func (c *Client) IsLocalpartAvailable(ctx context.Context, localpart string) (bool, error) {
	// Synapse only accepts ASCII in this query parameter and would answer
	// 400 M_UNKNOWN; no valid localpart is non-ASCII anyway.
	if localpart == "" || !isASCII(localpart) {
		return false, nil
	}
	_, err := c.do(ctx, request{
		method: http.MethodGet,
		path:   pathIsLocalpartAvailable,
		query:  url.Values{"localpart": {localpart}},
	})
	if err == nil {
		return true, nil
	}
	var hsErr *homeserver.Error
	if errors.As(err, &hsErr) {
		switch hsErr.ErrCode {
		case homeserver.ErrCodeInvalidUsername, homeserver.ErrCodeUserInUse, homeserver.ErrCodeExclusive:
			return false, nil
		}
	}
	return false, err
}

// provisionBody is the provision_user body. Field order and omission rules
// follow upstream exactly: absent changes and false flags are left out,
// locked is always present.
type provisionBody struct {
	Localpart        string    `json:"localpart"`
	SetDisplayName   *string   `json:"set_displayname,omitempty"`
	UnsetDisplayName bool      `json:"unset_displayname,omitempty"`
	SetAvatarURL     *string   `json:"set_avatar_url,omitempty"`
	UnsetAvatarURL   bool      `json:"unset_avatar_url,omitempty"`
	SetEmails        *[]string `json:"set_emails,omitempty"`
	UnsetEmails      bool      `json:"unset_emails,omitempty"`
	Locked           bool      `json:"locked"`
}

func newProvisionBody(req homeserver.ProvisionRequest) provisionBody {
	body := provisionBody{
		Localpart:        req.Localpart,
		UnsetDisplayName: req.DisplayName.IsUnset(),
		UnsetAvatarURL:   req.AvatarURL.IsUnset(),
		UnsetEmails:      req.Emails.IsUnset(),
		Locked:           req.Locked,
	}
	if v, ok := req.DisplayName.Value(); ok {
		body.SetDisplayName = &v
	}
	if v, ok := req.AvatarURL.Value(); ok {
		body.SetAvatarURL = &v
	}
	if v, ok := req.Emails.Value(); ok {
		// A user without emails must be sent [] (remove them all), never
		// null, which Synapse would read as "leave them alone".
		if v == nil {
			v = []string{}
		}
		body.SetEmails = &v
	}
	return body
}

// ProvisionUser implements homeserver.Connection.
func (c *Client) ProvisionUser(ctx context.Context, req homeserver.ProvisionRequest) (bool, error) {
	if req.Localpart == "" {
		return false, errEmptyLocalpart
	}
	resp, err := c.do(ctx, request{
		method: http.MethodPost,
		path:   pathProvisionUser,
		body:   newProvisionBody(req),
	})
	if err != nil {
		return false, err
	}
	switch resp.status {
	case http.StatusCreated:
		return true, nil
	case http.StatusOK:
		return false, nil
	default:
		// Only 200 and 201 say whether the user existed; anything else means
		// something between us and Synapse answered.
		return false, fmt.Errorf("homeserver: /%s: unexpected HTTP %d", pathProvisionUser, resp.status)
	}
}

// DeleteUser implements homeserver.Connection.
func (c *Client) DeleteUser(ctx context.Context, localpart string, erase bool) error {
	if localpart == "" {
		return errEmptyLocalpart
	}
	_, err := c.do(ctx, request{
		method: http.MethodPost,
		path:   pathDeleteUser,
		body: struct {
			Localpart string `json:"localpart"`
			Erase     bool   `json:"erase"`
		}{localpart, erase},
		timeout: c.deleteUserTimeout,
	})
	return err
}

// ReactivateUser implements homeserver.Connection.
func (c *Client) ReactivateUser(ctx context.Context, localpart string) error {
	return c.postLocalpart(ctx, pathReactivateUser, localpart)
}

// SetDisplayName implements homeserver.Connection.
func (c *Client) SetDisplayName(ctx context.Context, localpart, displayName string) error {
	if localpart == "" {
		return errEmptyLocalpart
	}
	_, err := c.do(ctx, request{
		method: http.MethodPost,
		path:   pathSetDisplayName,
		body: struct {
			Localpart   string `json:"localpart"`
			DisplayName string `json:"displayname"`
		}{localpart, displayName},
	})
	return err
}

// UnsetDisplayName implements homeserver.Connection.
func (c *Client) UnsetDisplayName(ctx context.Context, localpart string) error {
	return c.postLocalpart(ctx, pathUnsetDisplayName, localpart)
}

// AllowCrossSigningReset implements homeserver.Connection.
func (c *Client) AllowCrossSigningReset(ctx context.Context, localpart string) error {
	return c.postLocalpart(ctx, pathAllowCrossSigningReset, localpart)
}

func (c *Client) postLocalpart(ctx context.Context, path, localpart string) error {
	if localpart == "" {
		return errEmptyLocalpart
	}
	_, err := c.do(ctx, request{
		method: http.MethodPost,
		path:   path,
		body:   localpartBody{localpart},
	})
	return err
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
