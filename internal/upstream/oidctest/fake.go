package oidctest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/keys"
)

// FakeConfig is how a Fake provider answers. Its zero value is a
// well-behaved provider; each other field makes it misbehave in one way.
type FakeConfig struct {
	// ClientID is the only client the authorization endpoint accepts;
	// empty means "mas-client".
	ClientID string
	// Claims are the user's claims, given in the ID token (with the
	// protocol claims added) and by userinfo. Nil means FakeSubject with
	// Alice's profile; a claim set to nil is left out.
	Claims map[string]any

	// DiscoveryStatus, when not zero, answers discovery with that status.
	DiscoveryStatus int
	// Discovery edits the discovery document before it is sent (delete
	// jwks_uri, change issuer...).
	Discovery func(doc map[string]any)

	// AuthorizeError sends the browser back with error=AuthorizeError
	// (access_denied...) instead of a code.
	AuthorizeError string

	// TokenStatus, when not zero, answers the token endpoint with that
	// status and the OAuth error TokenError ("server_error" when empty).
	TokenStatus int
	TokenError  string
	// IDToken edits the ID token's claims (aud, nonce, exp...) before it
	// is signed; deleting a claim leaves it out.
	IDToken func(c map[string]any)
	// NoIDToken leaves the ID token out of the token response.
	NoIDToken bool
	// Impostor signs ID tokens and logout tokens with a key of its own
	// that claims the published key's kid: a forged signature.
	Impostor bool
	// Userinfo edits the userinfo claims before they are sent.
	Userinfo func(c map[string]any)
}

// FakeSubject is the sub of a Fake provider's user unless
// FakeConfig.Claims says otherwise.
const FakeSubject = "fake-sub-0001"

// TokenRequest is what the token endpoint of a Fake received.
type TokenRequest struct {
	// URL is the endpoint that was called.
	URL    string
	Header http.Header
	Form   url.Values
}

// FakeProvider is a small in-process OpenID provider that can be made to
// misbehave: what real providers cannot be configured to do (a forged
// signature, a wrong audience, bad metadata, an error page, going down).
// Its authorization endpoint has no login form: it answers at once with a
// code for the one user. It signs with RS256.
type FakeProvider struct {
	p      *Provider // the issuer, the recorded authorization requests and walk
	srv    *httptest.Server
	issuer string

	mu     sync.Mutex
	cfg    FakeConfig
	codes  map[string]fakeGrant
	access map[string]bool
	tokens []TokenRequest
}

type fakeGrant struct {
	clientID, redirectURI, challenge, nonce string
}

// fakeKeys are made once per test binary: RSA generation is slow.
var fakeKeys struct {
	once             sync.Once
	signer, impostor *keys.PrivateKey
	jwks             []byte
	err              error
}

const fakeKID = "fake-op-1"

func loadFakeKeys() error {
	fakeKeys.once.Do(func() {
		gen := func() *keys.PrivateKey {
			pem, err := keys.Generate(keys.KindRSA, rand.Reader)
			if err != nil {
				fakeKeys.err = err
				return nil
			}
			k, err := keys.ParsePrivateKey(keys.Spec{KID: fakeKID, Data: pem})
			if err != nil {
				fakeKeys.err = err
			}
			return k
		}
		fakeKeys.signer, fakeKeys.impostor = gen(), gen()
		if fakeKeys.err != nil {
			return
		}
		ks, err := keys.NewKeySetFromKeys(fakeKeys.signer)
		if err != nil {
			fakeKeys.err = err
			return
		}
		fakeKeys.jwks = ks.JWKS()
	})
	return fakeKeys.err
}

// Fake starts a Fake provider on 127.0.0.1 (plain HTTP: use discovery_mode
// insecure, or oidc to see its strict checks refuse it) and stops it when
// the test ends. Its endpoints are /.well-known/openid-configuration,
// /jwks, /authorize, /token and /userinfo under Issuer().
func Fake(t testing.TB, cfg FakeConfig) *FakeProvider {
	t.Helper()
	if err := loadFakeKeys(); err != nil {
		t.Fatalf("oidctest: fake provider keys: %v", err)
	}
	f := &FakeProvider{cfg: cfg, codes: map[string]fakeGrant{}, access: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(fakeKeys.jwks)
	})
	mux.HandleFunc("GET /authorize", f.authorize)
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("GET /userinfo", f.userinfo)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.issuer = f.srv.URL
	f.p = &Provider{Kind: "fake", issuer: f.issuer}
	return f
}

// Issuer is the issuer identifier (no trailing slash).
func (f *FakeProvider) Issuer() string { return f.issuer }

// Update changes how the provider answers from now on.
func (f *FakeProvider) Update(change func(c *FakeConfig)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(&f.cfg)
}

// Close stops the provider: its port refuses connections from now on, as
// a provider that is down does.
func (f *FakeProvider) Close() { f.srv.Close() }

// AuthorizeRequests are the query parameters of each authorization
// request received, oldest first.
func (f *FakeProvider) AuthorizeRequests() []url.Values { return f.p.AuthorizeRequests() }

// TokenRequests are the token requests received, oldest first: what a
// test checks for client authentication and PKCE.
func (f *FakeProvider) TokenRequests() []TokenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.tokens)
}

// Login starts at start (the provider's authorization URL, or a URL of
// the client that redirects there) and returns the provider's answer to
// the client without delivering it: a redirect, or with
// response_mode=form_post the form the browser would post.
func (f *FakeProvider) Login(t testing.TB, client *http.Client, start string) *Callback {
	t.Helper()
	cb, pg, err := f.p.walk(client, start, nil)
	if err == nil && cb == nil {
		err = fmt.Errorf("answered %d without a redirect back: %s", pg.status, pg.text)
	}
	if err != nil {
		t.Fatalf("oidctest: fake provider login from %s: %v", start, err)
	}
	return cb
}

// LogoutToken mints a back-channel logout token for the subject sub (and
// the session sid, when not empty), with a fresh jti, signed as ID tokens
// are (by the impostor with FakeConfig.Impostor). edit, when not nil,
// changes its claims first.
func (f *FakeProvider) LogoutToken(sub, sid string, edit func(c map[string]any)) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	c := map[string]any{
		"iss": f.issuer, "aud": f.clientID(), "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti":    randomToken(),
		"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
	}
	if sub != "" {
		c["sub"] = sub
	}
	if sid != "" {
		c["sid"] = sid
	}
	if edit != nil {
		edit(c)
	}
	return f.sign(c)
}

// clientID is the accepted client (f.mu held).
func (f *FakeProvider) clientID() string {
	if f.cfg.ClientID != "" {
		return f.cfg.ClientID
	}
	return "mas-client"
}

// userClaims are the user's claims (f.mu held).
func (f *FakeProvider) userClaims() map[string]any {
	c := map[string]any{
		"sub": FakeSubject, "preferred_username": Alice.Username, "name": Alice.Name,
		"email": Alice.Email, "email_verified": Alice.EmailVerified,
	}
	if f.cfg.Claims != nil {
		c = map[string]any{}
		for k, v := range f.cfg.Claims {
			if v != nil {
				c[k] = v
			}
		}
	}
	return c
}

// sign signs claims with the published key, or the impostor's (f.mu held).
func (f *FakeProvider) sign(c map[string]any) string {
	k := fakeKeys.signer
	if f.cfg.Impostor {
		k = fakeKeys.impostor
	}
	tok, err := k.Sign("RS256", c)
	if err != nil {
		panic(fmt.Sprintf("oidctest: fake provider signing: %v", err))
	}
	return tok
}

func fakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *FakeProvider) discovery(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cfg.DiscoveryStatus != 0 {
		http.Error(w, "discovery is failing", f.cfg.DiscoveryStatus)
		return
	}
	doc := map[string]any{
		"issuer":                                f.issuer,
		"authorization_endpoint":                f.issuer + "/authorize",
		"token_endpoint":                        f.issuer + "/token",
		"userinfo_endpoint":                     f.issuer + "/userinfo",
		"jwks_uri":                              f.issuer + "/jwks",
		"scopes_supported":                      []string{"openid", "profile", "email"},
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query", "form_post"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{
			"none", "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt",
		},
		"token_endpoint_auth_signing_alg_values_supported": []string{"HS256", "RS256", "ES256"},
	}
	if f.cfg.Discovery != nil {
		f.cfg.Discovery(doc)
	}
	fakeJSON(w, http.StatusOK, doc)
}

// authorize answers at once, without a login form: a code for the user, or
// FakeConfig.AuthorizeError.
func (f *FakeProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.p.recordAuthorize(q)
	f.mu.Lock()
	clientID := f.clientID()
	f.mu.Unlock()
	redirectURI := q.Get("redirect_uri")
	target, err := url.Parse(redirectURI)
	if err != nil || !target.IsAbs() || q.Get("client_id") != clientID || q.Get("response_type") != "code" {
		// An authorization server must not redirect to an unchecked URI.
		http.Error(w, "unknown client, redirect_uri or response_type", http.StatusBadRequest)
		return
	}
	if m := q.Get("code_challenge_method"); q.Has("code_challenge") && m != "S256" {
		http.Error(w, "only S256 challenges", http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {q.Get("state")}, "iss": {f.issuer}}
	f.mu.Lock()
	if f.cfg.AuthorizeError != "" {
		back.Set("error", f.cfg.AuthorizeError)
		back.Set("error_description", "the fake provider was told to refuse")
	} else {
		code := randomToken()
		f.codes[code] = fakeGrant{clientID: q.Get("client_id"), redirectURI: redirectURI, challenge: q.Get("code_challenge"), nonce: q.Get("nonce")}
		back.Set("code", code)
	}
	f.mu.Unlock()
	if q.Get("response_mode") == "form_post" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="%s">`, html.EscapeString(redirectURI))
		for _, k := range slices.Sorted(maps.Keys(back)) {
			fmt.Fprintf(w, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(back.Get(k)))
		}
		fmt.Fprint(w, `<button type="submit">Continue</button></form></body></html>`)
		return
	}
	if target.RawQuery != "" {
		target.RawQuery += "&" + back.Encode()
	} else {
		target.RawQuery = back.Encode()
	}
	http.Redirect(w, r, target.String(), http.StatusFound)
}

func fakeTokenError(w http.ResponseWriter, status int, code, desc string) {
	fakeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// token redeems a code once, checking redirect_uri and PKCE. It records
// the request and leaves the client authentication to the test to check.
func (f *FakeProvider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		fakeTokenError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = append(f.tokens, TokenRequest{URL: f.issuer + r.URL.Path, Header: r.Header.Clone(), Form: r.PostForm})
	if f.cfg.TokenStatus != 0 {
		code := f.cfg.TokenError
		if code == "" {
			code = "server_error"
		}
		fakeTokenError(w, f.cfg.TokenStatus, code, "the fake provider was told to refuse")
		return
	}
	code := r.PostForm.Get("code")
	g, ok := f.codes[code]
	delete(f.codes, code)
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code":
		fakeTokenError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	case !ok:
		fakeTokenError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
		return
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		fakeTokenError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	}
	verifier := r.PostForm.Get("code_verifier")
	sum := sha256.Sum256([]byte(verifier))
	if (g.challenge == "") != (verifier == "") || g.challenge != "" && base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		fakeTokenError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		return
	}
	access := randomToken()
	f.access[access] = true
	resp := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 300}
	if !f.cfg.NoIDToken {
		now := time.Now()
		c := f.userClaims()
		maps.Copy(c, map[string]any{
			"iss": f.issuer, "aud": g.clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		})
		if g.nonce != "" {
			c["nonce"] = g.nonce
		}
		if f.cfg.IDToken != nil {
			f.cfg.IDToken(c)
		}
		resp["id_token"] = f.sign(c)
	}
	fakeJSON(w, http.StatusOK, resp)
}

func (f *FakeProvider) userinfo(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !f.access[tok] {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	c := f.userClaims()
	if f.cfg.Userinfo != nil {
		f.cfg.Userinfo(c)
	}
	fakeJSON(w, http.StatusOK, c)
}

// randomToken is 128 random bits, base64url.
func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
