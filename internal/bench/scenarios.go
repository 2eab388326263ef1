package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"

	"mas/internal/routes"
)

// post sends one request and returns the body of a 2xx answer.
func post(ctx context.Context, c *http.Client, u, contentType string, body []byte, header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 != 2 {
		return nil, statusError("POST "+u, res.StatusCode, data)
	}
	return data, nil
}

// Introspector sends introspection requests the way Synapse does: the
// homeserver secret as bearer, device IDs as a field.
type Introspector struct {
	Client *http.Client
	Secret string
	Tokens []string
}

func (in *Introspector) header() http.Header {
	return http.Header{"Authorization": {"Bearer " + in.Secret}, "X-Mas-Supports-Device-Id": {"1"}}
}

// Once introspects token at base and returns the answer.
func (in *Introspector) Once(ctx context.Context, base, token string) ([]byte, error) {
	body := []byte(url.Values{"token": {token}}.Encode())
	data, err := post(ctx, in.Client, base+routes.OAuth2Introspection, "application/x-www-form-urlencoded", body, in.header())
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(data, []byte(`{"active":true`)) {
		return nil, fmt.Errorf("introspection: token not active: %s", data)
	}
	return data, nil
}

// Nth introspects the pool's tokens in order (seq is the index).
func (in *Introspector) Nth(base string) func(ctx context.Context, worker, seq int) error {
	return func(ctx context.Context, _, seq int) error {
		_, err := in.Once(ctx, base, in.Tokens[seq])
		return err
	}
}

// Op introspects a random token of the pool.
func (in *Introspector) Op(base string) func(ctx context.Context, worker, seq int) error {
	return func(ctx context.Context, _, _ int) error {
		_, err := in.Once(ctx, base, in.Tokens[rand.IntN(len(in.Tokens))])
		return err
	}
}

// compatLogin is the body of an m.login.password request.
func compatLogin(user, password string, refresh bool) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":          "m.login.password",
		"identifier":    map[string]string{"type": "m.id.user", "user": user},
		"password":      password,
		"refresh_token": refresh,
	})
	return b
}

type compatLoginAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// CompatLogin logs user in with m.login.password.
func CompatLogin(ctx context.Context, c *http.Client, base, user, password string, refresh bool) (compatLoginAnswer, error) {
	var ans compatLoginAnswer
	data, err := post(ctx, c, base+routes.CompatLogin(), "application/json", compatLogin(user, password, refresh), nil)
	if err != nil {
		return ans, err
	}
	if err := json.Unmarshal(data, &ans); err != nil || ans.AccessToken == "" {
		return ans, fmt.Errorf("compat login: unexpected answer %s", data)
	}
	return ans, nil
}

// LoginOp logs in a random seeded user.
func LoginOp(c *http.Client, base string, seed *Seed) func(ctx context.Context, worker, seq int) error {
	return func(ctx context.Context, _, _ int) error {
		_, err := CompatLogin(ctx, c, base, seed.Users[rand.IntN(len(seed.Users))], seed.Password, false)
		return err
	}
}

// compatRefreshPath is the refresh endpoint at the version the server
// itself uses.
var compatRefreshPath = strings.Replace(routes.CompatRefreshPattern, "{version}", routes.CompatVersion, 1)

// CompatRefreshOp rotates one compat refresh token per worker (each
// worker logs in once, outside the measurement, on its first call);
// current[worker] is the worker's token.
func CompatRefreshOp(c *http.Client, base string, seed *Seed, current []string) func(ctx context.Context, worker, seq int) error {
	return func(ctx context.Context, worker, _ int) error {
		if current[worker] == "" {
			ans, err := CompatLogin(ctx, c, base, seed.Users[worker%len(seed.Users)], seed.Password, true)
			if err != nil {
				return err
			}
			current[worker] = ans.RefreshToken
		}
		body, _ := json.Marshal(map[string]string{"refresh_token": current[worker]})
		data, err := post(ctx, c, base+compatRefreshPath, "application/json", body, nil)
		if err != nil {
			current[worker] = ""
			return err
		}
		var ans compatLoginAnswer
		if err := json.Unmarshal(data, &ans); err != nil || ans.RefreshToken == "" {
			current[worker] = ""
			return fmt.Errorf("compat refresh: unexpected answer %s", data)
		}
		current[worker] = ans.RefreshToken
		return nil
	}
}
