package oauth

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"mas/internal/domain"
	"mas/internal/policy"
)

func clientCredentialsForm(c *domain.Client, scope string) url.Values {
	f := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID.String()}, "client_secret": {tokenTestSecret}}
	if scope != "" {
		f.Set("scope", scope)
	}
	return f
}

func machineClient(e *tokenEnv) *domain.Client {
	return e.client(e.withSecret, func(c *domain.Client) {
		c.GrantAuthorizationCode, c.GrantRefreshToken, c.GrantClientCredentials = false, false, true
		c.RedirectURIs = nil
	})
}

func TestClientCredentialsGrant(t *testing.T) {
	e := newTokenEnv(t)
	c := machineClient(e)

	m := wantTokenOK(t, e.tokenRequest(clientCredentialsForm(c, "urn:mas:graphql:* openid urn:mas:graphql:*")))
	for _, absent := range []string{"refresh_token", "id_token"} {
		if _, ok := m[absent]; ok {
			t.Errorf("%s in a client_credentials response: %v", absent, m)
		}
	}
	if m["scope"] != "openid urn:mas:graphql:*" || m["expires_in"] != float64(300) {
		t.Errorf("response = %v", m)
	}
	access := m["access_token"].(string)
	s := e.sessionOfAccessToken(access)
	if s.UserID != nil || s.BrowserSessionID != nil || s.ClientID != c.ID {
		t.Fatalf("session = %+v, want a session of the client alone", s)
	}
	got := e.introspect(access, nil)
	if got["active"] != true || got["client_id"] != c.ID.String() {
		t.Fatalf("introspection = %v", got)
	}
	for _, absent := range []string{"username", "sub"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s in the introspection of a userless token: %v", absent, got)
		}
	}

	// Without a scope, the response has none either.
	m = wantTokenOK(t, e.tokenRequest(clientCredentialsForm(c, "")))
	if _, ok := m["scope"]; ok {
		t.Errorf("scope in a response to a request without one: %v", m)
	}
}

func TestClientCredentialsPolicy(t *testing.T) {
	e := newTokenEnv(t)
	c := machineClient(e)

	// Interactive-only scopes are refused, every violation listed.
	rec := e.tokenRequest(clientCredentialsForm(c, "urn:synapse:admin:* urn:matrix:client:api:*"))
	m := wantTokenError(t, rec, http.StatusForbidden, ErrInvalidScope)
	want := "scope 'urn:matrix:client:api:*' not allowed, scope 'urn:synapse:admin:*' not allowed"
	if m["error_description"] != want {
		t.Errorf("error_description = %q, want %q", m["error_description"], want)
	}
	if n := e.count(`SELECT COUNT(*) FROM oauth2_sessions`); n != 0 {
		t.Fatalf("%d sessions after a refusal", n)
	}

	// urn:mas:admin only for the clients the policy data names.
	wantTokenError(t, e.tokenRequest(clientCredentialsForm(c, "urn:mas:admin")), http.StatusForbidden, ErrInvalidScope)
	pol, err := policy.New(json.RawMessage(`{"admin_clients": ["` + c.ID.String() + `"]}`))
	e.must(err)
	e.h.Policy = pol
	m = wantTokenOK(t, e.tokenRequest(clientCredentialsForm(c, "urn:mas:admin")))
	if m["scope"] != "urn:mas:admin" {
		t.Fatalf("scope = %v", m["scope"])
	}

	// The requester rules apply too.
	pol, err = policy.New(json.RawMessage(`{"requester": {"banned_user_agents": {"substrings": ["curl"]}}}`))
	e.must(err)
	e.h.Policy = pol
	rec = e.post("/oauth2/token", clientCredentialsForm(c, ""), http.Header{"User-Agent": {"curl/8.0"}})
	wantTokenError(t, rec, http.StatusForbidden, ErrInvalidScope)
}
