package synapsetest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Response is Synapse's answer to Do.
type Response struct {
	Status int
	// Body is the decoded JSON object, nil when the body was not one.
	Body map[string]any
	Raw  []byte
}

// Errcode is the Matrix error code of the answer, if any.
func (r *Response) Errcode() string {
	code, _ := r.Body["errcode"].(string)
	return code
}

func (r *Response) String() string {
	return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(r.Raw))
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// Do sends a request to Synapse itself (not through the fronts). token is
// sent as a bearer token when not empty; body, when not nil, as JSON.
func (s *Synapse) Do(ctx context.Context, method, path, token string, body any) (*Response, error) {
	return do(ctx, method, s.URL()+path, token, body)
}

func do(ctx context.Context, method, target, token string, body any) (*Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
	if err != nil {
		return nil, err
	}
	out := &Response{Status: resp.StatusCode, Raw: raw}
	_ = json.Unmarshal(raw, &out.Body) // not every answer is JSON
	return out, nil
}

// User is Synapse's view of a user on its service API
// (/_synapse/mas/query_user).
type User struct {
	UserID      string  `json:"user_id"`
	DisplayName *string `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
	Suspended   bool    `json:"is_suspended"`
	Deactivated bool    `json:"is_deactivated"`
}

// QueryUser asks Synapse about a user with the shared secret, as this
// service does. It returns nil and no error when Synapse does not know
// the user.
func (s *Synapse) QueryUser(ctx context.Context, localpart string) (*User, error) {
	resp, err := s.Do(ctx, http.MethodGet, "/_synapse/mas/query_user?localpart="+url.QueryEscape(localpart), s.Secret, nil)
	if err != nil {
		return nil, err
	}
	switch resp.Status {
	case http.StatusOK:
		var u User
		if err := json.Unmarshal(resp.Raw, &u); err != nil {
			return nil, fmt.Errorf("query_user: %w", err)
		}
		return &u, nil
	case http.StatusNotFound:
		return nil, nil
	default:
		return nil, fmt.Errorf("query_user %s: %s", localpart, resp)
	}
}

// RegisterUser creates a user through Synapse's shared-secret registration
// API (Legacy mode) and returns the access token of the login it makes.
func (s *Synapse) RegisterUser(ctx context.Context, localpart, password string, admin bool) (token, deviceID string, err error) {
	resp, err := s.Do(ctx, http.MethodGet, "/_synapse/admin/v1/register", "", nil)
	if err != nil {
		return "", "", err
	}
	nonce, _ := resp.Body["nonce"].(string)
	if resp.Status != http.StatusOK || nonce == "" {
		return "", "", fmt.Errorf("registration nonce: %s", resp)
	}
	role := "notadmin"
	if admin {
		role = "admin"
	}
	mac := hmac.New(sha1.New, []byte(s.RegistrationSecret))
	for i, part := range []string{nonce, localpart, password, role} {
		if i > 0 {
			mac.Write([]byte{0})
		}
		mac.Write([]byte(part))
	}
	resp, err = s.Do(ctx, http.MethodPost, "/_synapse/admin/v1/register", "", map[string]any{
		"nonce": nonce, "username": localpart, "password": password, "admin": admin,
		"mac": hex.EncodeToString(mac.Sum(nil)),
	})
	if err != nil {
		return "", "", err
	}
	token, _ = resp.Body["access_token"].(string)
	deviceID, _ = resp.Body["device_id"].(string)
	if resp.Status != http.StatusOK || token == "" {
		return "", "", fmt.Errorf("registering %s: %s", localpart, resp)
	}
	return token, deviceID, nil
}

// ClientDo is Do through ClientURL, the way Matrix clients reach the
// homeserver (the legacy login API thus reaches the attached service).
func (s *Synapse) ClientDo(ctx context.Context, method, path, token string, body any) (*Response, error) {
	return do(ctx, method, s.ClientURL()+path, token, body)
}
