package replicas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"mas/internal/routes"
)

// httpClient has a deadline so that a request to a killed replica fails
// instead of hanging.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// issueToken asks base for a client_credentials access token. err is set
// when no HTTP answer arrived (the request was not acknowledged).
func issueToken(base string) (token string, status int, err error) {
	resp, err := httpClient.PostForm(base+"/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret},
	})
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		// Headers arrived but the body did not: not acknowledged either.
		return "", resp.StatusCode, err
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &body) != nil || body.AccessToken == "" {
		return "", resp.StatusCode, nil
	}
	return body.AccessToken, resp.StatusCode, nil
}

func mustIssueToken(t *testing.T, base string) string {
	t.Helper()
	tok, status, err := issueToken(base)
	if err != nil || tok == "" {
		t.Fatalf("client_credentials token from %s: status %d, %v", base, status, err)
	}
	return tok
}

// introspection is the part of the answer the test reads.
type introspection struct {
	Active   bool   `json:"active"`
	ClientID string `json:"client_id"`
	Username string `json:"username"`
}

// introspect asks base about token as the homeserver does: with the
// shared secret as a bearer token.
func (c *cluster) introspect(base, token string) (introspection, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/oauth2/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return introspection{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+c.hs.Secret())
	resp, err := httpClient.Do(req)
	if err != nil {
		return introspection{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out introspection
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("introspection answered %d: %s", resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("introspection answered %s: %w", raw, err)
	}
	return out, nil
}

func (c *cluster) mustIntrospect(t *testing.T, p *process, token string) introspection {
	t.Helper()
	got, err := c.introspect(p.url, token)
	if err != nil {
		t.Fatalf("introspecting on %s: %v", p.name, err)
	}
	return got
}

// revoke revokes token through base's RFC 7009 endpoint.
func revoke(t *testing.T, base, token string) {
	t.Helper()
	resp, err := httpClient.PostForm(base+"/oauth2/revoke", url.Values{
		"token": {token}, "client_id": {clientID}, "client_secret": {clientSecret},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("revocation on %s answered %d: %s", base, resp.StatusCode, raw)
	}
}

// compatLogin logs in through the legacy m.login.password API.
func compatLogin(t *testing.T, base, user, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"type":       "m.login.password",
		"identifier": map[string]string{"type": "m.id.user", "user": user},
		"password":   password,
	})
	resp, err := httpClient.Post(base+"/_matrix/client/v3/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil || out.AccessToken == "" {
		t.Fatalf("compat login on %s answered %d: %s", base, resp.StatusCode, raw)
	}
	return out.AccessToken
}

// compatLogout ends the compat session of token through base.
func compatLogout(t *testing.T, base, token string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/_matrix/client/v3/logout", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("compat logout on %s answered %d: %s", base, resp.StatusCode, raw)
	}
}

// cacheHits reads the replica's introspection cache hit counter from its
// prometheus resource.
func cacheHits(t *testing.T, p *process) float64 {
	t.Helper()
	resp, err := http.Get(p.url + routes.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics of %s: %d, %v", p.name, resp.StatusCode, err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "mas_introspection_cache_hits_total "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metrics of %s: %q", p.name, line)
			}
			return n
		}
	}
	t.Fatalf("metrics of %s have no mas_introspection_cache_hits_total", p.name)
	return 0
}
