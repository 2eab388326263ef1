package oidctest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"mas/internal/upstream/oidctest"
)

// The redirect URI of the test clients: Login never delivers the callback,
// so nothing needs to listen there.
const redirectURI = "http://127.0.0.1:1/upstream/callback/test"

// browser is a fresh cookie-keeping client, like the flow tests' browser.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

func random(t *testing.T) string {
	t.Helper()
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// flow is one authorization-code login of a client, with PKCE.
type flow struct {
	client   oidctest.Client
	username string
	password string
	// authParams are added to the authorization request.
	authParams []oauth2.AuthCodeOption
	// exchangeParams are added to the token request (client assertions).
	exchangeParams func(tokenURL string) []oauth2.AuthCodeOption
	algs           []string
	browser        *http.Client
}

// result is what a flow yields.
type result struct {
	callback *oidctest.Callback
	idToken  map[string]any
	userinfo map[string]any
}

// run logs in through p's own pages, exchanges the code with
// golang.org/x/oauth2 and checks the ID token with go-oidc.
func (f flow) run(t *testing.T, p *oidctest.Provider) result {
	t.Helper()
	ctx := context.Background()
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	endpoint := op.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if f.client.AuthMethod != "" && f.client.AuthMethod != "client_secret_basic" {
		endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	conf := oauth2.Config{
		ClientID: f.client.ID, RedirectURL: f.client.RedirectURIs[0],
		Endpoint: endpoint, Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
	}
	if f.client.AuthMethod == "" || f.client.AuthMethod == "client_secret_basic" || f.client.AuthMethod == "client_secret_post" {
		conf.ClientSecret = f.client.Secret
	}
	state, nonce, verifier := random(t), random(t), oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL(state, append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)}, f.authParams...)...)
	b := f.browser
	if b == nil {
		b = browser(t)
	}
	cb := p.Login(t, b, authURL, f.username, f.password)
	params := cb.Params()
	if params.Get("state") != state || params.Get("code") == "" {
		t.Fatalf("callback %s %s %v: want state %s and a code", cb.Method, cb.URL, params, state)
	}
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}
	if f.exchangeParams != nil {
		opts = append(opts, f.exchangeParams(endpoint.TokenURL)...)
	}
	tok, err := conf.Exchange(ctx, params.Get("code"), opts...)
	if err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	algs := f.algs
	if algs == nil {
		algs = []string{oidc.RS256}
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: f.client.ID, SupportedSigningAlgs: algs}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != nonce {
		t.Errorf("ID token nonce %q, want %q", idt.Nonce, nonce)
	}
	r := result{callback: cb}
	if err := idt.Claims(&r.idToken); err != nil {
		t.Fatal(err)
	}
	if op.UserInfoEndpoint() != "" {
		ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		if err := ui.Claims(&r.userinfo); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// checkClaims says whether the ID token carries exactly the user's claims
// (only sub, when conform) besides its protocol claims, and userinfo
// exactly them.
func checkClaims(t *testing.T, p *oidctest.Provider, username string, r result, conform bool) {
	t.Helper()
	want := p.Claims(username)
	if want == nil {
		t.Fatalf("%s has no user %q", p.Kind, username)
	}
	wantID := want
	if conform {
		wantID = map[string]any{"sub": want["sub"]}
	}
	if got := withoutProtocolClaims(r.idToken); !reflect.DeepEqual(got, wantID) {
		t.Errorf("ID token claims = %v\nwant                %v", got, wantID)
	}
	if r.userinfo != nil && !reflect.DeepEqual(r.userinfo, want) {
		t.Errorf("userinfo = %v\nwant       %v", r.userinfo, want)
	}
}

// discovery fetches the discovery document at the issuer.
func discovery(t *testing.T, p *oidctest.Provider) map[string]any {
	t.Helper()
	res, err := http.Get(p.Issuer() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("discovery: %s", res.Status)
	}
	var doc map[string]any
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc["issuer"] != p.Issuer() {
		t.Fatalf("discovery issuer %v, want %s", doc["issuer"], p.Issuer())
	}
	if u, _ := url.Parse(p.Issuer()); u.Hostname() != "127.0.0.1" {
		t.Errorf("issuer %s is not on 127.0.0.1", p.Issuer())
	}
	return doc
}

// withoutProtocolClaims drops the ID token's protocol claims.
func withoutProtocolClaims(c map[string]any) map[string]any {
	c = maps.Clone(c)
	for _, k := range []string{"iss", "aud", "exp", "iat", "nonce", "auth_time", "at_hash", "c_hash", "sid", "azp", "amr", "acr", "client_id"} {
		delete(c, k)
	}
	return c
}
