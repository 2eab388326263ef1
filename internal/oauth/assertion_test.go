package oauth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/keys"
	"mas/internal/routes"
)

const regTokenEndpoint = regPublicBase + "oauth2/token"

// regClaims are valid assertion claims for clientID, right now.
func (e *regEnv) regClaims(clientID string) map[string]any {
	now := e.clock.Now()
	jti := make([]byte, 12)
	_, _ = rand.Read(jti)
	return map[string]any{
		"iss": clientID,
		"sub": clientID,
		"aud": regTokenEndpoint,
		"iat": now.Unix(),
		"exp": now.Add(time.Minute).Unix(),
		"jti": base64.RawURLEncoding.EncodeToString(jti),
	}
}

func regHMACAssertion(t *testing.T, alg, secret string, claims map[string]any) string {
	t.Helper()
	tok, err := keys.SignHMAC(alg, []byte(secret), claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func regAssertionForm(assertion string, extra ...string) url.Values {
	return form(append([]string{"client_assertion_type", clientAssertionTypeJWTBearer, "client_assertion", assertion}, extra...)...)
}

// regClientKey loads a fixed private key for a client, with the given kid.
func regClientKey(t *testing.T, file, kid string) *keys.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "keys", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.ParsePrivateKey(keys.Spec{KID: kid, Data: data, Source: file})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func regJWKS(ks ...*keys.PrivateKey) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = string(k.PublicJWK())
	}
	return `{"keys":[` + strings.Join(parts, ",") + `]}`
}

func regSign(t *testing.T, k *keys.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	tok, err := k.Sign(alg, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestClientAssertionSecretJWT(t *testing.T) {
	e := newRegEnv(t)
	id := e.regSecretClient(authMethodClientSecretJWT, regTestSecret)
	hs512 := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodClientSecretJWT, TokenEndpointAuthSigningAlg: "HS512"}, regTestSecret).ID.String()
	basicID := e.regSecretClient(authMethodClientSecretBasic, regTestSecret)
	now := e.clock.Now()

	tests := []struct {
		name   string
		path   string
		client string
		alg    string
		secret string
		edit   func(c map[string]any)
		extra  []string
		status int // 0: authenticated
		desc   string
	}{
		{name: "valid", client: id},
		{name: "valid HS384", client: id, alg: "HS384"},
		{name: "client_id in the form too", client: id, extra: []string{"client_id", ""}},
		{name: "aud is the issuer", client: id, edit: func(c map[string]any) { c["aud"] = regPublicBase }},
		{name: "aud is the issuer without slash", client: id, edit: func(c map[string]any) { c["aud"] = "https://auth.example.com" }},
		{name: "aud is a list", client: id, edit: func(c map[string]any) { c["aud"] = []string{"https://other.example.com", regTokenEndpoint} }},
		{name: "aud is the introspection endpoint, at introspection", path: routes.OAuth2Introspection, client: id,
			edit: func(c map[string]any) { c["aud"] = regPublicBase + "oauth2/introspect" }},
		{name: "aud is the token endpoint, at revocation", path: routes.OAuth2Revocation, client: id},
		{name: "aud is the introspection endpoint, at the token endpoint", client: id, status: 401, desc: "aud",
			edit: func(c map[string]any) { c["aud"] = regPublicBase + "oauth2/introspect" }},
		{name: "wrong aud", client: id, status: 401, desc: "aud claim must contain https://auth.example.com/oauth2/token",
			edit: func(c map[string]any) { c["aud"] = "https://evil.example.com/oauth2/token" }},
		{name: "no aud", client: id, status: 401, desc: "aud", edit: func(c map[string]any) { delete(c, "aud") }},
		{name: "aud not a string", client: id, status: 401, desc: "aud", edit: func(c map[string]any) { c["aud"] = 42 }},
		{name: "wrong secret", client: id, secret: "not-the-secret", status: 401, desc: "signature is invalid"},
		{name: "expired", client: id, status: 401, desc: "expired",
			edit: func(c map[string]any) { c["exp"] = now.Add(-31 * time.Second).Unix() }},
		{name: "expired within leeway", client: id,
			edit: func(c map[string]any) { c["exp"] = now.Add(-20 * time.Second).Unix() }},
		{name: "no exp", client: id, status: 401, desc: "exp", edit: func(c map[string]any) { delete(c, "exp") }},
		{name: "exp not a number", client: id, status: 401, desc: "claims", edit: func(c map[string]any) { c["exp"] = "soon" }},
		{name: "exp too far", client: id, status: 401, desc: "must expire within",
			edit: func(c map[string]any) { c["exp"] = now.Add(2 * time.Hour).Unix() }},
		{name: "fractional exp", client: id,
			edit: func(c map[string]any) { c["exp"] = float64(now.Add(time.Minute).UnixMilli()) / 1000 }},
		{name: "nbf in the future", client: id, status: 401, desc: "not valid yet",
			edit: func(c map[string]any) { c["nbf"] = now.Add(time.Minute).Unix() }},
		{name: "iat in the future", client: id, status: 401, desc: "issued in the future",
			edit: func(c map[string]any) { c["iat"] = now.Add(time.Minute).Unix() }},
		{name: "iat slightly ahead", client: id,
			edit: func(c map[string]any) { c["iat"] = now.Add(10 * time.Second).Unix() }},
		{name: "no jti", client: id, status: 401, desc: "jti", edit: func(c map[string]any) { delete(c, "jti") }},
		{name: "empty jti", client: id, status: 401, desc: "jti", edit: func(c map[string]any) { c["jti"] = "" }},
		{name: "huge jti", client: id, status: 401, desc: "too long", edit: func(c map[string]any) { c["jti"] = strings.Repeat("j", 600) }},
		{name: "iss is not the client", client: id, status: 401, desc: "iss",
			edit: func(c map[string]any) { c["iss"] = "someone-else" }},
		{name: "sub is unknown", client: id, status: 401, desc: "unknown client",
			edit: func(c map[string]any) {
				c["sub"] = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
				c["iss"] = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
			}},
		{name: "no sub", client: id, status: 401, desc: "sub claim", edit: func(c map[string]any) { delete(c, "sub") }},
		{name: "client_id differs from sub", client: id, extra: []string{"client_id", basicID}, status: 401, desc: "does not match the sub"},
		{name: "registered alg", client: hs512, alg: "HS512"},
		{name: "other alg than registered", client: hs512, alg: "HS256", status: 401, desc: "algorithm allowed"},
		{name: "assertion for a basic client", client: basicID, status: 401, desc: "must authenticate with client_secret_basic"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			claims := e.regClaims(tc.client)
			if tc.edit != nil {
				tc.edit(claims)
			}
			alg, secret, path := tc.alg, tc.secret, tc.path
			if alg == "" {
				alg = "HS256"
			}
			if secret == "" {
				secret = regTestSecret
			}
			if path == "" {
				path = routes.OAuth2Token
			}
			extra := tc.extra
			if len(extra) == 2 && extra[1] == "" {
				extra = []string{extra[0], tc.client}
			}
			res := e.authenticate(path, regAssertionForm(regHMACAssertion(t, alg, secret, claims), extra...), "", "")
			if tc.status == 0 {
				wantAuthenticated(t, res, tc.client)
				return
			}
			wantInvalidClient(t, res, false, tc.desc)
		})
	}
}

func TestClientAssertionRequestShape(t *testing.T) {
	e := newRegEnv(t)
	id := e.regSecretClient(authMethodClientSecretJWT, regTestSecret)
	assertion := regHMACAssertion(t, "HS256", regTestSecret, e.regClaims(id))
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   ErrorCode
		desc   string
	}{
		{"unsupported assertion type", form("client_assertion_type", "urn:example:saml", "client_assertion", assertion), 400, ErrInvalidRequest, "client_assertion_type"},
		{"assertion without type", form("client_assertion", assertion), 400, ErrInvalidRequest, "client_assertion_type"},
		{"type without assertion", form("client_assertion_type", clientAssertionTypeJWTBearer), 400, ErrInvalidRequest, "client_assertion parameter is missing"},
		{"assertion and secret", regAssertionForm(assertion, "client_secret", regTestSecret), 400, ErrInvalidRequest, "more than one"},
		{"not a JWT", regAssertionForm("not-a-jwt"), 401, ErrInvalidClient, "not a JWT"},
		{"payload not base64", regAssertionForm("a.%%%.c"), 401, ErrInvalidClient, "not a JWT"},
		{"unsigned", regAssertionForm(regUnsigned(map[string]any{"sub": id, "iss": id})), 401, ErrInvalidClient, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantOAuthError(t, e.authenticate(routes.OAuth2Token, tc.form, "", ""), tc.status, tc.code, tc.desc)
		})
	}
	t.Run("with Basic", func(t *testing.T) {
		res := e.authenticate(routes.OAuth2Token, regAssertionForm(assertion), id, regTestSecret)
		wantOAuthError(t, res, 400, ErrInvalidRequest, "more than one")
	})
}

func regUnsigned(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`))
	b, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(b) + "."
}

func TestClientAssertionReplay(t *testing.T) {
	e := newRegEnv(t)
	id := e.regSecretClient(authMethodClientSecretJWT, regTestSecret)
	claims := e.regClaims(id)
	assertion := regHMACAssertion(t, "HS256", regTestSecret, claims)
	wantAuthenticated(t, e.authenticate(routes.OAuth2Token, regAssertionForm(assertion), "", ""), id)
	wantInvalidClient(t, e.authenticate(routes.OAuth2Token, regAssertionForm(assertion), "", ""), false, "already been used")
	// At another endpoint too.
	wantInvalidClient(t, e.authenticate(routes.OAuth2Introspection, regAssertionForm(assertion), "", ""), false, "already been used")

	// A new assertion reusing the jti is still a replay while the first
	// could be accepted...
	e.clock.Advance(20 * time.Second)
	again := e.regClaims(id)
	again["jti"] = claims["jti"]
	wantInvalidClient(t, e.authenticate(routes.OAuth2Token, regAssertionForm(regHMACAssertion(t, "HS256", regTestSecret, again)), "", ""), false, "already been used")
	// ...and is fine once the first has expired, leeway included.
	e.clock.Advance(time.Minute + assertionLeeway)
	again = e.regClaims(id)
	again["jti"] = claims["jti"]
	wantAuthenticated(t, e.authenticate(routes.OAuth2Token, regAssertionForm(regHMACAssertion(t, "HS256", regTestSecret, again)), "", ""), id)

	// A refused assertion does not use up its jti.
	bad := e.regClaims(id)
	bad["aud"] = "https://evil.example.com/"
	wantInvalidClient(t, e.authenticate(routes.OAuth2Token, regAssertionForm(regHMACAssertion(t, "HS256", regTestSecret, bad)), "", ""), false, "aud")
	bad["aud"] = regTokenEndpoint
	wantAuthenticated(t, e.authenticate(routes.OAuth2Token, regAssertionForm(regHMACAssertion(t, "HS256", regTestSecret, bad)), "", ""), id)
	// Forged with a wrong secret: refused without burning the jti.
	forged := e.regClaims(id)
	wantInvalidClient(t, e.authenticate(routes.OAuth2Token, regAssertionForm(regHMACAssertion(t, "HS256", "guess", forged)), "", ""), false, "signature")
	wantAuthenticated(t, e.authenticate(routes.OAuth2Token, regAssertionForm(regHMACAssertion(t, "HS256", regTestSecret, forged)), "", ""), id)
}

// TestClientAssertionReplayRace sends one assertion from many requests at
// once: exactly one is accepted.
func TestClientAssertionReplayRace(t *testing.T) {
	e := newRegEnv(t)
	id := e.regSecretClient(authMethodClientSecretJWT, regTestSecret)
	body := regAssertionForm(regHMACAssertion(t, "HS256", regTestSecret, e.regClaims(id))).Encode()
	const n = 8
	codes := make(chan int, n)
	for range n {
		go func() {
			res, err := e.srv.Client().Post(e.srv.URL+routes.OAuth2Token, "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				codes <- 0
				return
			}
			res.Body.Close()
			codes <- res.StatusCode
		}()
	}
	ok, refused := 0, 0
	for range n {
		switch <-codes {
		case http.StatusOK:
			ok++
		case http.StatusUnauthorized:
			refused++
		}
	}
	if ok != 1 || refused != n-1 {
		t.Fatalf("%d accepted, %d refused; want 1 and %d", ok, refused, n-1)
	}
}

func TestClientAssertionPrivateKeyJWT(t *testing.T) {
	e := newRegEnv(t)
	ec := regClientKey(t, "p256_sec1.pem", "ec-1")
	rsa := regClientKey(t, "rsa_pkcs1.pem", "rsa-1")
	other := regClientKey(t, "p384_sec1.pem", "ec-2")
	both := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodPrivateKeyJWT, JWKS: regJWKS(ec, rsa)}, "").ID.String()
	es256Only := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodPrivateKeyJWT, TokenEndpointAuthSigningAlg: "ES256", JWKS: regJWKS(ec, rsa)}, "").ID.String()
	secretJWT := e.regSecretClient(authMethodClientSecretJWT, regTestSecret)

	tests := []struct {
		name   string
		client string
		key    *keys.PrivateKey
		alg    string
		desc   string // empty: authenticated
	}{
		{"ES256", both, ec, "ES256", ""},
		{"RS256", both, rsa, "RS256", ""},
		{"PS384", both, rsa, "PS384", ""},
		{"registered alg", es256Only, ec, "ES256", ""},
		{"alg mismatch", es256Only, rsa, "RS256", "algorithm allowed"},
		{"unknown key", both, other, "ES384", "no key of the client"},
		{"private key assertion for a client_secret_jwt client", secretJWT, ec, "ES256", "algorithm allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, tc.key, tc.alg, e.regClaims(tc.client))), "", "")
			if tc.desc == "" {
				wantAuthenticated(t, res, tc.client)
				return
			}
			wantInvalidClient(t, res, false, tc.desc)
		})
	}
	t.Run("HMAC with the public key as secret", func(t *testing.T) {
		tok := regHMACAssertion(t, "HS256", regJWKS(ec), e.regClaims(both))
		wantInvalidClient(t, e.authenticate(routes.OAuth2Token, regAssertionForm(tok), "", ""), false, "algorithm allowed")
	})
	t.Run("private_key_jwt client presenting a secret", func(t *testing.T) {
		res := e.authenticate(routes.OAuth2Token, form("client_id", both, "client_secret", "x"), "", "")
		wantInvalidClient(t, res, false, "must authenticate with private_key_jwt")
	})
}

// regJWKSServer serves a client's JWK Set and counts fetches.
type regJWKSServer struct {
	srv     *httptest.Server
	fetches atomic.Int32
	jwks    atomic.Value // string
	status  atomic.Int32
}

func newRegJWKSServer(t *testing.T, jwks string) *regJWKSServer {
	s := &regJWKSServer{}
	s.jwks.Store(jwks)
	s.status.Store(http.StatusOK)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.WriteHeader(int(s.status.Load()))
		_, _ = w.Write([]byte(s.jwks.Load().(string)))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func TestClientAssertionJWKSURI(t *testing.T) {
	// The key server runs on 127.0.0.1, which dynamic clients may only
	// use when the operator allows insecure URIs (TestJWKSURIPrivateAddress).
	e := newRegEnv(t, withPolicyData(`{"client_registration": {"allow_insecure_uris": true}}`))
	k1 := regClientKey(t, "p256_sec1.pem", "k1")
	k2 := regClientKey(t, "rsa_pkcs1.pem", "k2")
	js := newRegJWKSServer(t, regJWKS(k1))
	id := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodPrivateKeyJWT, JWKSURI: js.srv.URL + "/jwks.json"}, "").ID.String()
	auth := func(k *keys.PrivateKey, alg string) regResponse {
		return e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, k, alg, e.regClaims(id))), "", "")
	}

	wantAuthenticated(t, auth(k1, "ES256"), id)
	wantAuthenticated(t, auth(k1, "ES256"), id)
	if n := js.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for two assertions, want 1 (cached)", n)
	}

	// The client rotates to k2. Right after a fetch, an unknown key does
	// not trigger another one...
	js.jwks.Store(regJWKS(k2))
	wantInvalidClient(t, auth(k2, "RS256"), false, "no key of the client")
	if n := js.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want no refetch within %s", n, jwksMinRefresh)
	}
	// ...but once the cached set is old enough, it does.
	e.clock.Advance(jwksMinRefresh)
	wantAuthenticated(t, auth(k2, "RS256"), id)
	if n := js.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want a refetch for the new key", n)
	}
	// The cache expires on its own.
	e.clock.Advance(jwksCacheTTL)
	wantAuthenticated(t, auth(k2, "RS256"), id)
	if n := js.fetches.Load(); n != 3 {
		t.Fatalf("%d fetches, want one after the cache expired", n)
	}

	// Failures to fetch refuse the client; each is remembered for
	// jwksFailureTTL (TestJWKSURIFailureIsCached), then retried.
	e.clock.Advance(jwksCacheTTL)
	js.status.Store(http.StatusInternalServerError)
	wantInvalidClient(t, auth(k2, "RS256"), false, "could not be fetched")
	js.status.Store(http.StatusOK)
	js.jwks.Store("not json")
	e.clock.Advance(jwksFailureTTL)
	wantInvalidClient(t, auth(k2, "RS256"), false, "could not be fetched")
	js.jwks.Store(regJWKS(k2))
	e.clock.Advance(jwksFailureTTL)
	wantAuthenticated(t, auth(k2, "RS256"), id)
}

func TestClientAssertionJWKSURIUnreachable(t *testing.T) {
	e := newRegEnv(t, withPolicyData(`{"client_registration": {"allow_insecure_uris": true}}`))
	k := regClientKey(t, "p256_sec1.pem", "k1")
	js := newRegJWKSServer(t, regJWKS(k))
	js.srv.Close()
	id := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodPrivateKeyJWT, JWKSURI: js.srv.URL}, "").ID.String()
	res := e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, k, "ES256", e.regClaims(id))), "", "")
	wantInvalidClient(t, res, false, "could not be fetched")

	big := newRegJWKSServer(t, `{"keys":[],"pad":"`+strings.Repeat("x", jwksMaxBytes)+`"}`)
	id = e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodPrivateKeyJWT, JWKSURI: big.srv.URL}, "").ID.String()
	res = e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, k, "ES256", e.regClaims(id))), "", "")
	wantInvalidClient(t, res, false, "could not be fetched")
}

// TestClientAssertionRegisteredPrivateKeyClient registers a
// private_key_jwt client with a jwks_uri and authenticates with it.
func TestClientAssertionRegisteredPrivateKeyClient(t *testing.T) {
	e := newRegEnv(t, withPolicyData(`{"client_registration": {"allow_insecure_uris": true, "allow_host_mismatch": true}}`))
	k := regClientKey(t, "p384_sec1.pem", "client-key")
	js := newRegJWKSServer(t, regJWKS(k))
	m := e.mustRegister(`{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'],
		'token_endpoint_auth_method': 'private_key_jwt', 'token_endpoint_auth_signing_alg': 'ES384',
		'jwks_uri': '` + js.srv.URL + `/jwks'}`)
	id := m["client_id"].(string)
	res := e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, k, "ES384", e.regClaims(id))), "", "")
	wantAuthenticated(t, res, id)
}

// TestJWKSURIPrivateAddress: a dynamic client cannot make the service
// fetch from loopback or private addresses (SSRF); a static client, set
// up by the operator, can.
func TestJWKSURIPrivateAddress(t *testing.T) {
	e := newRegEnv(t)
	k := regClientKey(t, "p256_sec1.pem", "k1")
	js := newRegJWKSServer(t, regJWKS(k))
	dynamic := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodPrivateKeyJWT, JWKSURI: js.srv.URL}, "").ID.String()
	res := e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, k, "ES256", e.regClaims(dynamic))), "", "")
	wantInvalidClient(t, res, false, "could not be fetched")
	if n := js.fetches.Load(); n != 0 {
		t.Fatalf("the key server on 127.0.0.1 was contacted %d times for a dynamic client", n)
	}

	static := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodPrivateKeyJWT, JWKSURI: js.srv.URL + "/static", IsStatic: true}, "").ID.String()
	wantAuthenticated(t, e.authenticate(routes.OAuth2Token, regAssertionForm(regSign(t, k, "ES256", e.regClaims(static))), "", ""), static)
}

func TestPublicAddress(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2001:4860:4860::8888": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "192.168.0.1": false, "172.16.5.4": false,
		"169.254.169.254": false, "fe80::1": false, "fd00::1": false, "0.0.0.0": false, "100.64.0.1": false,
		"::ffff:127.0.0.1": false,
	} {
		if got := publicAddress(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddress(%s) = %v, want %v", addr, got, want)
		}
	}
}
