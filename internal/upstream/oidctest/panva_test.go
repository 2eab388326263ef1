package oidctest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"mas/internal/upstream/oidctest"
)

func webClient(id string) oidctest.Client {
	return oidctest.Client{ID: id, Secret: "secret-of-" + id + "-0123456789abcdef0123456789", RedirectURIs: []string{redirectURI}}
}

func TestPanvaDiscovery(t *testing.T) {
	t.Parallel()
	p := oidctest.Panva(t, oidctest.Config{})
	doc := discovery(t, p)
	for key, want := range map[string]string{
		"code_challenge_methods_supported":      "S256",
		"response_modes_supported":              "form_post",
		"token_endpoint_auth_methods_supported": "private_key_jwt",
		"id_token_signing_alg_values_supported": "EdDSA",
	} {
		if list, _ := doc[key].([]any); !slices.Contains(list, any(want)) {
			t.Errorf("discovery %s = %v, want %s in it", key, doc[key], want)
		}
	}
	if doc["userinfo_endpoint"] == nil {
		t.Error("no userinfo_endpoint")
	}
}

func TestPanvaCodeFlowWithPKCE(t *testing.T) {
	t.Parallel()
	c := webClient("basic")
	p := oidctest.Panva(t, oidctest.Config{Clients: []oidctest.Client{c}})
	b := browser(t)
	r := flow{client: c, username: "alice", password: oidctest.Alice.Password, browser: b}.run(t, p)
	checkClaims(t, p, "alice", r, false)
	if r.callback.Method != http.MethodGet || !strings.HasPrefix(r.callback.URL.String(), redirectURI+"?") {
		t.Errorf("callback %s %s, want GET %s", r.callback.Method, r.callback.URL, redirectURI)
	}
	authz := p.AuthorizeRequests()
	if len(authz) != 1 || authz[0].Get("code_challenge_method") != "S256" || authz[0].Get("code_challenge") == "" {
		t.Errorf("authorization requests %v: want one with an S256 challenge", authz)
	}

	// The provider's session cookie logs the same browser straight in: no
	// password asked (a wrong one would be refused).
	r = flow{client: c, username: "alice", password: "not-asked", browser: b}.run(t, p)
	checkClaims(t, p, "alice", r, false)

	// Bob, whose address is not verified, in another browser.
	r = flow{client: c, username: "bob", password: oidctest.Bob.Password}.run(t, p)
	checkClaims(t, p, "bob", r, false)
	if r.idToken["email_verified"] != false {
		t.Errorf("bob's email_verified = %v, want false", r.idToken["email_verified"])
	}
}

func TestPanvaClientAuthMethods(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	basic, post, secretJWT := webClient("basic"), webClient("post"), webClient("secret-jwt")
	post.AuthMethod, secretJWT.AuthMethod = "client_secret_post", "client_secret_jwt"
	keyJWT := oidctest.Client{ID: "key-jwt", RedirectURIs: []string{redirectURI}, AuthMethod: "private_key_jwt", JWKS: jwks}
	// The same key, fetched from the client's jwks_uri on 127.0.0.1.
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	defer keys.Close()
	keyURI := oidctest.Client{ID: "key-jwt-uri", RedirectURIs: []string{redirectURI}, AuthMethod: "private_key_jwt", JWKSURI: keys.URL + "/keys.json"}
	public := oidctest.Client{ID: "public", RedirectURIs: []string{redirectURI}, AuthMethod: "none"}
	p := oidctest.Panva(t, oidctest.Config{Clients: []oidctest.Client{basic, post, secretJWT, keyJWT, keyURI, public}})
	signWithKey := func(t *testing.T, c oidctest.Client, aud string) string {
		return assertion(t, jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, c.ID, aud)
	}

	for _, tc := range []struct {
		client oidctest.Client
		sign   func(t *testing.T, client oidctest.Client, aud string) string
	}{
		{client: basic},
		{client: post},
		{client: secretJWT, sign: func(t *testing.T, c oidctest.Client, aud string) string {
			return assertion(t, jose.SigningKey{Algorithm: jose.HS256, Key: []byte(c.Secret)}, c.ID, aud)
		}},
		{client: keyJWT, sign: signWithKey},
		{client: keyURI, sign: signWithKey},
		{client: public},
	} {
		t.Run(tc.client.ID, func(t *testing.T) {
			f := flow{client: tc.client, username: "alice", password: oidctest.Alice.Password}
			if tc.sign != nil {
				f.exchangeParams = func(tokenURL string) []oauth2.AuthCodeOption {
					return []oauth2.AuthCodeOption{
						oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
						oauth2.SetAuthURLParam("client_assertion", tc.sign(t, tc.client, tokenURL)),
					}
				}
			}
			checkClaims(t, p, "alice", f.run(t, p), false)
		})
	}

	// The provider holds each client to its method: a refused client
	// authentication is invalid_client, before the (bogus) code is looked at.
	for _, tc := range []struct {
		name, id, secret string
		style            oauth2.AuthStyle
	}{
		{"wrong secret", basic.ID, "wrong", oauth2.AuthStyleInHeader},
		{"post client in the header", post.ID, post.Secret, oauth2.AuthStyleInHeader},
		{"basic client in the body", basic.ID, basic.Secret, oauth2.AuthStyleInParams},
		{"key client with a secret", keyJWT.ID, basic.Secret, oauth2.AuthStyleInParams},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := oauth2.Config{ClientID: tc.id, ClientSecret: tc.secret, RedirectURL: redirectURI,
				Endpoint: oauth2.Endpoint{TokenURL: p.Issuer() + "/token", AuthStyle: tc.style}}
			_, err := conf.Exchange(t.Context(), "no-such-code")
			if err == nil || !strings.Contains(err.Error(), "invalid_client") {
				t.Errorf("exchange: %v, want invalid_client", err)
			}
		})
	}
}

// assertion is a client authentication JWT (RFC 7523).
func assertion(t *testing.T, key jose.SigningKey, clientID, aud string) string {
	t.Helper()
	signer, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: clientID, Subject: clientID, Audience: jwt.Audience{aud}, ID: random(t),
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute)),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPanvaIDTokenAlgorithms(t *testing.T) {
	t.Parallel()
	algs := []string{"RS256", "PS256", "ES256", "EdDSA"}
	var clients []oidctest.Client
	for _, alg := range algs {
		c := webClient("alg-" + alg)
		c.IDTokenSigningAlg = alg
		clients = append(clients, c)
	}
	p := oidctest.Panva(t, oidctest.Config{Clients: clients})
	for i, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			// Verification accepts this algorithm alone.
			r := flow{client: clients[i], username: "alice", password: oidctest.Alice.Password, algs: []string{alg}}.run(t, p)
			checkClaims(t, p, "alice", r, false)
		})
	}
}

func TestPanvaFormPost(t *testing.T) {
	t.Parallel()
	got := make(chan url.Values, 1)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got <- r.PostForm
	}))
	defer rp.Close()
	c := webClient("form-post")
	c.RedirectURIs = []string{rp.URL + "/callback"}
	p := oidctest.Panva(t, oidctest.Config{Clients: []oidctest.Client{c}})
	r := flow{client: c, username: "alice", password: oidctest.Alice.Password,
		authParams: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("response_mode", "form_post")}}.run(t, p)
	cb := r.callback
	if cb.Method != http.MethodPost || cb.URL.String() != rp.URL+"/callback" || cb.Form.Get("code") == "" || cb.URL.RawQuery != "" {
		t.Fatalf("callback %s %s %v: want a POST of the code to the redirect URI", cb.Method, cb.URL, cb.Form)
	}
	if cb.Form.Get("iss") != p.Issuer() {
		t.Errorf("form_post iss = %q, want %q", cb.Form.Get("iss"), p.Issuer())
	}
	// The test's own browser delivers it.
	req, err := cb.Request(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if form := <-got; form.Get("state") != cb.Form.Get("state") {
		t.Errorf("delivered %v, want %v", form, cb.Form)
	}
}

func TestPanvaConformIDTokenClaims(t *testing.T) {
	t.Parallel()
	c := webClient("conform")
	p := oidctest.Panva(t, oidctest.Config{Clients: []oidctest.Client{c}, ConformIDTokenClaims: true})
	r := flow{client: c, username: "alice", password: oidctest.Alice.Password}.run(t, p)
	checkClaims(t, p, "alice", r, true)
}

func TestPanvaRequirePKCE(t *testing.T) {
	t.Parallel()
	c := webClient("pkce")
	p := oidctest.Panva(t, oidctest.Config{Clients: []oidctest.Client{c}, RequirePKCE: true})
	conf := oauth2.Config{ClientID: c.ID, RedirectURL: redirectURI, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: p.Issuer() + "/auth"}}
	cb := p.Login(t, browser(t), conf.AuthCodeURL("st"), "alice", oidctest.Alice.Password)
	if q := cb.Params(); q.Get("error") != "invalid_request" || q.Get("state") != "st" {
		t.Errorf("authorization without PKCE answered %v, want error=invalid_request", q)
	}
	// With PKCE it goes through.
	checkClaims(t, p, "alice", flow{client: c, username: "alice", password: oidctest.Alice.Password}.run(t, p), false)
}

func TestPanvaNoUserinfo(t *testing.T) {
	t.Parallel()
	p := oidctest.Panva(t, oidctest.Config{NoUserinfo: true})
	if doc := discovery(t, p); doc["userinfo_endpoint"] != nil {
		t.Errorf("userinfo_endpoint = %v, want none", doc["userinfo_endpoint"])
	}
}

func TestPanvaConsentFormAndCustomUsers(t *testing.T) {
	t.Parallel()
	c := webClient("consent")
	carol := oidctest.User{Subject: "carol-1", Username: "carol", Password: "pw-carol", Name: "Carol", Email: "carol@example.net",
		Extra: map[string]any{"groups": []any{"admins", "staff"}}}
	p := oidctest.Panva(t, oidctest.Config{Clients: []oidctest.Client{c}, Users: []oidctest.User{carol}, ConsentForm: true})
	r := flow{client: c, username: "carol", password: "pw-carol"}.run(t, p)
	checkClaims(t, p, "carol", r, false)
	if _, ok := p.User("alice"); ok {
		t.Error("alice exists although Users replaced the defaults")
	}
}

func TestPanvaRefusesWrongPassword(t *testing.T) {
	t.Parallel()
	c := webClient("refuse")
	p := oidctest.Panva(t, oidctest.Config{Clients: []oidctest.Client{c}})
	conf := oauth2.Config{ClientID: c.ID, RedirectURL: redirectURI, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: p.Issuer() + "/auth"}}
	_, err := p.Authorize(browser(t), conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("login_hint", "alice")), "alice", "wrong")
	if err == nil || !strings.Contains(err.Error(), "Wrong username or password") {
		t.Errorf("wrong password: %v, want the login form's refusal", err)
	}
	if authz := p.AuthorizeRequests(); len(authz) != 1 || authz[0].Get("login_hint") != "alice" {
		t.Errorf("authorization requests %v, want one with login_hint=alice", authz)
	}
}

func TestPanvaBackchannelLogout(t *testing.T) {
	t.Parallel()
	tokens := make(chan string, 1)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		tokens <- r.PostForm.Get("logout_token")
	}))
	defer rp.Close()
	c := webClient("bcl")
	c.BackchannelLogoutURI = rp.URL + "/backchannel-logout"
	p := oidctest.Panva(t, oidctest.Config{Clients: []oidctest.Client{c}, BackchannelLogout: true})
	if doc := discovery(t, p); doc["backchannel_logout_supported"] != true {
		t.Errorf("backchannel_logout_supported = %v", doc["backchannel_logout_supported"])
	}
	b := browser(t)
	r := flow{client: c, username: "alice", password: oidctest.Alice.Password, browser: b}.run(t, p)
	p.Logout(t, b)
	var token string
	select {
	case token = <-tokens:
	case <-time.After(10 * time.Second):
		t.Fatal("no logout token arrived")
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := parsed.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatal(err)
	}
	if claims["sub"] != oidctest.Alice.Subject || claims["iss"] != p.Issuer() || claims["sid"] == nil || claims["sid"] != r.idToken["sid"] || claims["events"] == nil {
		t.Errorf("logout token claims %v; ID token had sid %v", claims, r.idToken["sid"])
	}
	// The session is gone: the password is asked again.
	if _, err := p.Authorize(b, authURLFor(p, c), "alice", "wrong"); err == nil {
		t.Error("after the logout the browser is still logged in")
	}
}

func authURLFor(p *oidctest.Provider, c oidctest.Client) string {
	conf := oauth2.Config{ClientID: c.ID, RedirectURL: c.RedirectURIs[0], Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: p.Issuer() + "/auth"}}
	return conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
}
