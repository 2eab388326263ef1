package oauth

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"testing"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/tokens"
)

func (e *tokenEnv) revoke(c *domain.Client, token, hint string) (int, string) {
	e.t.Helper()
	form := url.Values{"token": {token}, "client_id": {c.ID.String()}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	if c.TokenEndpointAuthMethod == "client_secret_post" {
		form.Set("client_secret", tokenTestSecret)
	}
	rec := e.post(routes.OAuth2Revocation, form, nil)
	return rec.Code, rec.Body.String()
}

func TestRevokeEndsTheSession(t *testing.T) {
	for _, which := range []string{"access token", "refresh token"} {
		t.Run(which, func(t *testing.T) {
			e := newTokenEnv(t)
			c := e.client()
			u := e.user("alice")
			p := e.issue(c, u, "urn:matrix:client:api:*", "urn:matrix:client:device:ABCDEFGHIJ")
			other := e.issue(c, u, "urn:matrix:client:api:*") // another session of the same user
			token, hint := p.access.Token, hintAccessToken
			if which == "refresh token" {
				token, hint = p.refresh.Token, hintRefreshToken
			}
			status, body := e.revoke(c, token, hint)
			if status != http.StatusOK || body != "" {
				t.Fatalf("revoke = %d %q, want 200 and no body", status, body)
			}
			if s := e.session(p.session.ID); s.Active() {
				t.Fatal("session still active")
			}
			if e.active(p.access.Token) || e.active(p.refresh.Token) {
				t.Fatal("tokens of the revoked session still active")
			}
			if !e.active(other.access.Token) {
				t.Fatal("revocation ended another session")
			}
			jobs := e.jobs("sync-devices")
			if len(jobs) != 1 || jobs[0]["user_id"] != u.ID.String() {
				t.Fatalf("sync-devices jobs = %v", jobs)
			}

			// Revoking again is still a success, and queues nothing new.
			if status, _ := e.revoke(c, token, hint); status != http.StatusOK {
				t.Fatalf("second revoke = %d", status)
			}
			if n := len(e.jobs("sync-devices")); n != 1 {
				t.Fatalf("%d sync-devices jobs after a second revoke", n)
			}
		})
	}
}

func TestRevokeWithoutEffect(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	u := e.user("alice")
	p := e.issue(c, u, "openid")
	_, compat := e.compatToken(u, "COMPATDEV1", false, nil)
	unknown, _ := tokens.Generate(tokens.AccessToken, rand.Reader)

	for _, tc := range []struct{ name, token, hint string }{
		{"malformed", "garbage", ""},
		{"malformed with an unknown hint", "garbage", "device_code"},
		{"unknown", unknown, ""},
		{"compat token", compat.Token, ""},
		{"hint says refresh token", p.access.Token, hintRefreshToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			if status, body := e.revoke(c, tc.token, tc.hint); status != http.StatusOK || body != "" {
				t.Fatalf("revoke = %d %q", status, body)
			}
		})
	}
	e.t = t
	if !e.active(p.access.Token) || !e.active(compat.Token) {
		t.Fatal("a no-op revocation ended something")
	}
	if n := len(e.jobs("sync-devices")); n != 0 {
		t.Fatalf("%d sync-devices jobs", n)
	}
}

func TestRevokeErrors(t *testing.T) {
	e := newTokenEnv(t)
	owner := e.client()
	p := e.issue(owner, e.user("alice"), "openid")

	// An unknown hint.
	rec := e.post(routes.OAuth2Revocation, url.Values{"token": {p.access.Token}, "token_type_hint": {"id_token"},
		"client_id": {owner.ID.String()}}, nil)
	wantTokenError(t, rec, http.StatusBadRequest, ErrUnsupportedTokenType)

	// Another client's token.
	other := e.client()
	rec = e.post(routes.OAuth2Revocation, url.Values{"token": {p.access.Token}, "client_id": {other.ID.String()}}, nil)
	wantTokenError(t, rec, http.StatusUnauthorized, ErrUnauthorizedClient)
	if !e.active(p.access.Token) {
		t.Fatal("another client ended the session")
	}

	// No client authentication, no token.
	wantTokenError(t, e.post(routes.OAuth2Revocation, url.Values{"token": {p.access.Token}}, nil), http.StatusUnauthorized, ErrInvalidClient)
	wantTokenError(t, e.post(routes.OAuth2Revocation, url.Values{"client_id": {owner.ID.String()}}, nil), http.StatusBadRequest, ErrInvalidRequest)
}

func TestRevokeClientCredentialsSession(t *testing.T) {
	e := newTokenEnv(t)
	c := machineClient(e)
	m := wantTokenOK(t, e.tokenRequest(clientCredentialsForm(c, "")))
	access := m["access_token"].(string)
	if status, _ := e.revoke(c, access, ""); status != http.StatusOK {
		t.Fatalf("revoke = %d", status)
	}
	if e.active(access) {
		t.Fatal("token still active")
	}
	if n := len(e.jobs("sync-devices")); n != 0 {
		t.Fatalf("sync-devices queued for a session without a user")
	}
	at, err := e.db.AccessTokens().FindByToken(context.Background(), access)
	e.must(err)
	if e.session(at.SessionID).Active() {
		t.Fatal("session not finished")
	}
}
