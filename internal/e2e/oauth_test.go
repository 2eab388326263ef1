package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"mas/internal/browsertest"
	"mas/internal/testenv"
)

const (
	redirectURI = "http://127.0.0.1/callback"
	deviceID    = "ABCDEFGHIJ"
)

// backends runs fn on SQLite and on PostgreSQL.
func backends(t *testing.T, fn func(t *testing.T, postgres bool)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, false) })
	t.Run("postgres", func(t *testing.T) { fn(t, true) })
}

// registerClient registers a native public client through the real
// registration endpoint and returns its client_id.
func registerClient(t *testing.T, env *testenv.Env, grants ...string) string {
	t.Helper()
	metadata := map[string]any{
		"application_type":           "native",
		"client_name":                "End-to-end test client",
		"client_uri":                 "https://client.example.com/",
		"redirect_uris":              []string{redirectURI},
		"token_endpoint_auth_method": "none",
		"grant_types":                grants,
		"response_types":             []string{},
	}
	if slices.Contains(grants, "authorization_code") {
		metadata["response_types"] = []string{"code"}
	}
	body, _ := json.Marshal(metadata)
	resp, err := http.Post(env.URL("/oauth2/registration"), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("registration: %d %s", resp.StatusCode, raw)
	}
	var out struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.ClientID == "" {
		t.Fatalf("registration response %s: %v", raw, err)
	}
	return out.ClientID
}

// introspect asks the introspection endpoint as the homeserver does.
func introspect(t *testing.T, env *testenv.Env, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, env.URL("/oauth2/introspect"),
		strings.NewReader(url.Values{"token": {token}, "token_type_hint": {"access_token"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+env.Config.Matrix.Secret)
	req.Header.Set("X-MAS-Supports-Device-Id", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspection: %d %s", resp.StatusCode, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("introspection %s: %v", raw, err)
	}
	return out
}

// login walks the login page from wherever the browser was sent.
func login(t *testing.T, b *browsertest.Browser, start string, username, password string) *browsertest.Response {
	t.Helper()
	p := b.Follow(start)
	if !strings.Contains(p.URL.Path, "/login") {
		t.Fatalf("expected the login page, got %s (%d)", p.URL, p.Status)
	}
	resp := b.Submit(p, map[string]string{"username": username, "password": password}, "")
	if resp.Status != http.StatusSeeOther {
		t.Fatalf("login answered %d: %s", resp.Status, resp.Body)
	}
	return b.Settle(resp)
}

// codeClient registers a public authorization-code client and returns its
// configuration, endpoints from discovery, asking for the scopes.
func codeClient(t *testing.T, env *testenv.Env, scopes ...string) *oauth2.Config {
	t.Helper()
	provider, err := oidc.NewProvider(context.Background(), env.BaseURL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := &oauth2.Config{
		ClientID:    registerClient(t, env, "authorization_code", "refresh_token"),
		Endpoint:    provider.Endpoint(),
		RedirectURL: redirectURI,
		Scopes:      scopes,
	}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	return conf
}

// codeFlow logs username in through the authorization endpoint with PKCE
// and returns the tokens and the client configuration.
func codeFlow(t *testing.T, env *testenv.Env, username, password string, scopes ...string) (*oauth2.Token, *oauth2.Config) {
	t.Helper()
	conf, code, verifier := authorizeCode(t, env, username, password, scopes...)
	tok, err := conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok, conf
}

// authorizeCode is codeFlow up to the code exchange: it returns the client
// configuration, the authorization code and its PKCE verifier.
func authorizeCode(t *testing.T, env *testenv.Env, username, password string, scopes ...string) (conf *oauth2.Config, code, verifier string) {
	t.Helper()
	conf = codeClient(t, env, scopes...)
	verifier = oauth2.GenerateVerifier()
	b := browsertest.New(t, env.BaseURL)
	consent := login(t, b, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), username, password)
	resp := b.Submit(consent, nil, "allow")
	loc, err := url.Parse(resp.Location)
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("consent answered %d to %q", resp.Status, resp.Location)
	}
	return conf, loc.Query().Get("code"), verifier
}

// TestAuthorizationCodeFlow is the flow a Matrix client runs (MSC2964 with
// MSC2965/2966/2967): discovery, registration, authorization with PKCE,
// login and consent in the browser, code exchange, ID token verification
// through discovery and the JWKS, introspection by the homeserver,
// refresh, revocation.
func TestAuthorizationCodeFlow(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		env := testenv.New(t, testenv.Options{Postgres: postgres})
		env.CreateUser("alice", "correct horse battery staple")
		ctx := context.Background()

		provider, err := oidc.NewProvider(ctx, env.BaseURL)
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		clientID := registerClient(t, env, "authorization_code", "refresh_token")
		conf := &oauth2.Config{
			ClientID:    clientID,
			Endpoint:    provider.Endpoint(),
			RedirectURL: redirectURI,
			Scopes:      []string{"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:" + deviceID},
		}
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		verifier := oauth2.GenerateVerifier()
		authURL := conf.AuthCodeURL("the-state", oauth2.S256ChallengeOption(verifier), oidc.Nonce("the-nonce"))

		b := browsertest.New(t, env.BaseURL)
		consent := login(t, b, authURL, "alice", "correct horse battery staple")
		if !strings.Contains(consent.URL.Path, "/consent/") {
			t.Fatalf("expected the consent page, got %s", consent.URL)
		}
		if !strings.Contains(consent.Body, "End-to-end test client") || !strings.Contains(consent.Body, deviceID) {
			t.Fatalf("consent page does not name the client and the device:\n%s", consent.Body)
		}
		resp := b.Submit(consent, nil, "allow")
		loc, err := url.Parse(resp.Location)
		if err != nil || resp.Status != http.StatusSeeOther || !strings.HasPrefix(loc.String(), redirectURI) {
			t.Fatalf("consent answered %d to %q", resp.Status, resp.Location)
		}
		if loc.Query().Get("state") != "the-state" || loc.Query().Get("code") == "" {
			t.Fatalf("redirect %s lacks code or state", loc)
		}

		tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if !strings.HasPrefix(tok.AccessToken, "mat_") || !strings.HasPrefix(tok.RefreshToken, "mar_") {
			t.Fatalf("unexpected token shapes: %q %q", tok.AccessToken, tok.RefreshToken)
		}
		rawID, _ := tok.Extra("id_token").(string)
		idToken, err := provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, rawID)
		if err != nil {
			t.Fatalf("ID token: %v", err)
		}
		if idToken.Nonce != "the-nonce" {
			t.Fatalf("nonce = %q", idToken.Nonce)
		}

		// The homeserver now knows the user and the device.
		env.Eventually("the device on the homeserver", func() bool {
			return slices.Contains(env.Homeserver.Devices("alice"), deviceID)
		})

		info := introspect(t, env, tok.AccessToken)
		if info["active"] != true || info["username"] != "alice" || info["sub"] != idToken.Subject || info["client_id"] != clientID {
			t.Fatalf("introspection = %v", info)
		}
		scope := strings.Fields(info["scope"].(string))
		for _, want := range []string{
			"urn:matrix:client:api:*", "urn:matrix:org.matrix.msc2967.client:api:*",
			"urn:matrix:client:device:" + deviceID, "urn:matrix:org.matrix.msc2967.client:device:" + deviceID,
		} {
			if !slices.Contains(scope, want) {
				t.Errorf("introspected scope %v lacks %s", scope, want)
			}
		}

		// Refresh: a new pair, the old access token no longer works.
		expired := *tok
		expired.Expiry = time.Now().Add(-time.Minute)
		refreshed, err := conf.TokenSource(ctx, &expired).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if refreshed.AccessToken == tok.AccessToken || refreshed.RefreshToken == tok.RefreshToken {
			t.Fatal("refresh did not rotate the tokens")
		}
		if introspect(t, env, tok.AccessToken)["active"] != false {
			t.Fatal("the rotated-away access token is still active")
		}
		if introspect(t, env, refreshed.AccessToken)["active"] != true {
			t.Fatal("the new access token is not active")
		}

		// Revocation ends the session: the token is inactive.
		form := url.Values{"token": {refreshed.AccessToken}, "client_id": {clientID}}
		rresp, err := http.PostForm(env.URL("/oauth2/revoke"), form)
		if err != nil {
			t.Fatal(err)
		}
		rresp.Body.Close()
		if rresp.StatusCode != http.StatusOK {
			t.Fatalf("revocation: %d", rresp.StatusCode)
		}
		if introspect(t, env, refreshed.AccessToken)["active"] != false {
			t.Fatal("the revoked access token is still active")
		}
		// And the device disappears from the homeserver once the job runs.
		env.Eventually("the device to be removed", func() bool {
			return !slices.Contains(env.Homeserver.Devices("alice"), deviceID)
		})
	})
}

// TestDeviceAuthorizationGrant runs RFC 8628 end to end with polling, as
// Element X's QR-code login does.
func TestDeviceAuthorizationGrant(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		env := testenv.New(t, testenv.Options{Postgres: postgres})
		env.CreateUser("bob", "another long passphrase")
		ctx := context.Background()
		provider, err := oidc.NewProvider(ctx, env.BaseURL)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			DeviceEndpoint string `json:"device_authorization_endpoint"`
		}
		if err := provider.Claims(&meta); err != nil || meta.DeviceEndpoint == "" {
			t.Fatalf("no device endpoint in discovery: %v", err)
		}
		clientID := registerClient(t, env, "urn:ietf:params:oauth:grant-type:device_code", "refresh_token")
		conf := &oauth2.Config{
			ClientID: clientID,
			Endpoint: provider.Endpoint(),
			Scopes:   []string{"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:QRLOGIN123"},
		}
		conf.Endpoint.DeviceAuthURL = meta.DeviceEndpoint
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		da, err := conf.DeviceAuth(ctx)
		if err != nil {
			t.Fatalf("device authorization: %v", err)
		}

		// The user enters the code in a browser while the device polls.
		done := make(chan error, 1)
		var tok *oauth2.Token
		go func() {
			var err error
			tok, err = conf.DeviceAccessToken(ctx, da)
			done <- err
		}()
		b := browsertest.New(t, env.BaseURL)
		link := b.Follow(da.VerificationURI)
		resp := b.Submit(link, map[string]string{"code": strings.ToLower(da.UserCode)}, "")
		consent := login(t, b, resp.Location, "bob", "another long passphrase")
		if !strings.Contains(consent.URL.Path, "/device/") {
			t.Fatalf("expected the device consent page, got %s:\n%s", consent.URL, consent.Body)
		}
		resp = b.Submit(consent, nil, "consent")
		if resp.Status >= 400 {
			t.Fatalf("device consent answered %d", resp.Status)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("polling: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("polling did not finish")
		}
		info := introspect(t, env, tok.AccessToken)
		if info["active"] != true || info["username"] != "bob" {
			t.Fatalf("introspection = %v", info)
		}
		env.Eventually("the device on the homeserver", func() bool {
			return slices.Contains(env.Homeserver.Devices("bob"), "QRLOGIN123")
		})
	})
}
