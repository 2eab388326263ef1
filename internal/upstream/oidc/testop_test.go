package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/keys"
	"mas/internal/upstream/claims"
)

// testKeys are made once: RSA generation is slow.
var testKeys struct {
	once                      sync.Once
	rsaA, rsaB, impostor, ecA *keys.PrivateKey
	ours, apple               *keys.PrivateKey
	applePEM                  []byte
}

func loadTestKeys(t testing.TB) {
	t.Helper()
	testKeys.once.Do(func() {
		gen := func(kind keys.Kind, kid string) (*keys.PrivateKey, []byte) {
			pem, err := keys.Generate(kind, rand.Reader)
			if err != nil {
				panic(err)
			}
			k, err := keys.ParsePrivateKey(keys.Spec{KID: kid, Data: pem})
			if err != nil {
				panic(err)
			}
			return k, pem
		}
		testKeys.rsaA, _ = gen(keys.KindRSA, "op-a")
		testKeys.rsaB, _ = gen(keys.KindRSA, "op-b")
		// The impostor claims op-a's kid with another key.
		testKeys.impostor, _ = gen(keys.KindRSA, "op-a")
		testKeys.ecA, _ = gen(keys.KindP256, "op-ec")
		testKeys.ours, _ = gen(keys.KindP256, "ours-1")
		testKeys.apple, testKeys.applePEM = gen(keys.KindP256, "APPLEKEY1")
	})
}

const (
	testClientID = "mas-client"
	// testSecret has what RFC 6749 form-encoding must protect in Basic
	// credentials.
	testSecret   = "s3cr:t &+é/="
	testSubject  = "user-1"
	testTeamID   = "TEAM123456"
	testRedirect = "https://mas.example.test/upstream/callback/01ABC"
)

type grant struct {
	redirectURI, challenge, nonce, scope string
}

// testOP is a small OpenID provider: discovery, a JWK Set that can
// rotate, an authorization endpoint that answers at once with a code
// (query or form_post), a token endpoint checking the configured client
// authentication method, PKCE and the code, and userinfo plain or signed.
type testOP struct {
	t      *testing.T
	srv    *httptest.Server
	issuer string
	clock  *clocktest.Fake

	mu sync.Mutex
	// What the provider does; change under mu (or before use).
	authMethod        AuthMethod
	codeChallenge     []string // code_challenge_methods_supported; nil omits it
	discoveryStatus   int      // non-zero: answer discovery with it
	jwksStatus        int      // non-zero: answer the JWK Set with it
	docMutate         func(doc map[string]any)
	published         []*keys.PrivateKey
	signer            *keys.PrivateKey
	idAlg             string
	idMutate          func(c map[string]any)
	idRaw             func(c map[string]any) string // replaces signing
	userinfoAlg       string
	userinfoMutate    func(c map[string]any)
	userinfoRaw       *string // replaces the userinfo body
	userinfoType      string
	tokenErrorCode    string
	assertionAlgsSeen []string
	// What it saw.
	hits        map[string]int
	lastAuthReq url.Values
	codes       map[string]grant
	tokens      map[string]bool
}

func newTestOP(t *testing.T, tls bool, clk *clocktest.Fake) *testOP {
	t.Helper()
	loadTestKeys(t)
	op := &testOP{
		t: t, clock: clk,
		authMethod: AuthClientSecretBasic,
		published:  []*keys.PrivateKey{testKeys.rsaA, testKeys.ecA},
		signer:     testKeys.rsaA,
		idAlg:      "RS256",
		hits:       map[string]int{},
		codes:      map[string]grant{},
		tokens:     map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("GET /jwks", op.jwks)
	mux.HandleFunc("GET /authorize", op.authorize)
	mux.HandleFunc("POST /token", op.token)
	mux.HandleFunc("POST /token-override", op.token)
	mux.HandleFunc("GET /userinfo", op.userinfo)
	counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		op.hits[r.URL.Path]++
		op.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
	if tls {
		op.srv = httptest.NewTLSServer(counting)
	} else {
		op.srv = httptest.NewServer(counting)
	}
	t.Cleanup(op.srv.Close)
	op.issuer = op.srv.URL
	return op
}

func (op *testOP) url(path string) string { return op.issuer + path }

func (op *testOP) hitCount(path string) int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.hits[path]
}

func (op *testOP) set(f func(op *testOP)) {
	op.mu.Lock()
	defer op.mu.Unlock()
	f(op)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (op *testOP) discovery(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.discoveryStatus != 0 {
		w.WriteHeader(op.discoveryStatus)
		return
	}
	doc := map[string]any{
		"issuer":                                           op.issuer,
		"authorization_endpoint":                           op.url("/authorize"),
		"token_endpoint":                                   op.url("/token"),
		"userinfo_endpoint":                                op.url("/userinfo"),
		"jwks_uri":                                         op.url("/jwks"),
		"scopes_supported":                                 []string{"openid", "profile", "email"},
		"response_types_supported":                         []string{"code"},
		"response_modes_supported":                         []string{"query", "form_post"},
		"subject_types_supported":                          []string{"public"},
		"id_token_signing_alg_values_supported":            []string{"RS256", "PS256", "ES256", "HS256"},
		"token_endpoint_auth_methods_supported":            []string{"none", "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"HS256", "HS384", "RS256", "ES256"},
	}
	if op.codeChallenge != nil {
		doc["code_challenge_methods_supported"] = op.codeChallenge
	}
	if op.docMutate != nil {
		op.docMutate(doc)
	}
	writeJSON(w, http.StatusOK, doc)
}

func (op *testOP) jwks(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	ks, err := keys.NewKeySetFromKeys(op.published...)
	status := op.jwksStatus
	op.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	if err != nil {
		op.t.Errorf("test OP key set: %v", err)
		w.WriteHeader(500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(ks.JWKS())
}

// authorize skips the login: it answers at once with a code.
func (op *testOP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	op.mu.Lock()
	op.lastAuthReq = q
	if q.Get("client_id") != testClientID || q.Get("response_type") != "code" {
		op.mu.Unlock()
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	code := "code-" + randomString()
	op.codes[code] = grant{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), scope: q.Get("scope")}
	op.mu.Unlock()
	if q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256" {
		op.t.Errorf("code_challenge_method = %q", q.Get("code_challenge_method"))
	}
	back := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {op.issuer}}
	if q.Get("response_mode") == "form_post" {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><body onload="document.forms[0].submit()"><form method="post" action="%s">`, html.EscapeString(q.Get("redirect_uri")))
		for k := range back {
			fmt.Fprintf(w, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(back.Get(k)))
		}
		fmt.Fprint(w, `</form></body></html>`)
		return
	}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (op *testOP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, 400, "invalid_request", err.Error())
		return
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	if desc := op.checkClientAuth(r); desc != "" {
		tokenError(w, 401, "invalid_client", desc)
		return
	}
	if op.tokenErrorCode != "" {
		tokenError(w, 400, op.tokenErrorCode, "refused by the test")
		return
	}
	code := r.PostForm.Get("code")
	g, ok := op.codes[code]
	delete(op.codes, code) // single use
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code":
		tokenError(w, 400, "unsupported_grant_type", "")
		return
	case !ok:
		tokenError(w, 400, "invalid_grant", "unknown or used code")
		return
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		tokenError(w, 400, "invalid_grant", "redirect_uri differs")
		return
	}
	verifier := r.PostForm.Get("code_verifier")
	if g.challenge != "" {
		sum := sha256.Sum256([]byte(verifier))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			tokenError(w, 400, "invalid_grant", "PKCE verification failed")
			return
		}
	} else if verifier != "" {
		tokenError(w, 400, "invalid_grant", "code_verifier without challenge")
		return
	}
	access := "at-" + randomString()
	op.tokens[access] = true
	resp := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 300}
	if slices.Contains(strings.Fields(g.scope), "openid") {
		now := op.clock.Now()
		c := map[string]any{
			"iss": op.issuer, "sub": testSubject, "aud": testClientID,
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
			"name": "From ID token", "email": "user@example.test",
			"at_hash": halfHash(access), "c_hash": halfHash(code),
		}
		if g.nonce != "" {
			c["nonce"] = g.nonce
		}
		if op.idMutate != nil {
			op.idMutate(c)
		}
		resp["id_token"] = op.sign(c, op.idAlg)
	}
	writeJSON(w, http.StatusOK, resp)
}

func halfHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func (op *testOP) sign(c map[string]any, alg string) string {
	if op.idRaw != nil {
		return op.idRaw(c)
	}
	var tok string
	var err error
	if isHMAC(alg) {
		tok, err = keys.SignHMAC(alg, []byte(testSecret), c)
	} else {
		tok, err = op.signer.Sign(alg, c)
	}
	if err != nil {
		op.t.Errorf("test OP signing: %v", err)
	}
	return tok
}

// checkClientAuth returns why the request is not authenticated with
// op.authMethod, or "".
func (op *testOP) checkClientAuth(r *http.Request) string {
	f := r.PostForm
	user, pass, hasBasic := r.BasicAuth()
	hasSecret, hasAssertion := f.Has("client_secret"), f.Has("client_assertion")
	switch op.authMethod {
	case AuthNone:
		if hasBasic || hasSecret || hasAssertion || f.Get("client_id") != testClientID {
			return "expected client_id alone"
		}
	case AuthClientSecretBasic:
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if !hasBasic || err1 != nil || err2 != nil || id != testClientID || secret != testSecret || hasSecret || hasAssertion {
			return "bad Basic credentials"
		}
	case AuthClientSecretPost:
		if hasBasic || hasAssertion || f.Get("client_id") != testClientID || f.Get("client_secret") != testSecret {
			return "bad client_secret_post credentials"
		}
	case AuthClientSecretJWT, AuthPrivateKeyJWT:
		if hasBasic || hasSecret || f.Get("client_assertion_type") != jwtBearerAssertion {
			return "expected a client assertion alone"
		}
		var payload []byte
		var hdr keys.Header
		var err error
		if op.authMethod == AuthClientSecretJWT {
			payload, hdr, err = keys.VerifyHMAC(f.Get("client_assertion"), []byte(testSecret), nil)
		} else {
			ks, _ := keys.NewKeySetFromKeys(testKeys.ours)
			payload, hdr, err = keys.VerifyWithJWKS(f.Get("client_assertion"), ks.JWKS(), nil)
			if err == nil && hdr.Kid != testKeys.ours.KID() {
				return "assertion kid is " + hdr.Kid
			}
		}
		if err != nil {
			return "assertion: " + err.Error()
		}
		op.assertionAlgsSeen = append(op.assertionAlgsSeen, hdr.Alg)
		return op.checkJWTClaims(payload, testClientID, testClientID, op.url(r.URL.Path), true)
	case AuthSignInWithApple:
		if hasBasic || hasAssertion || f.Get("client_id") != testClientID {
			return "expected client_id and client_secret"
		}
		ks, _ := keys.NewKeySetFromKeys(testKeys.apple)
		payload, hdr, err := keys.VerifyWithJWKS(f.Get("client_secret"), ks.JWKS(), []string{"ES256"})
		if err != nil || hdr.Kid != "APPLEKEY1" {
			return fmt.Sprintf("Apple client secret: %v (kid %q)", err, hdr.Kid)
		}
		return op.checkJWTClaims(payload, testTeamID, testClientID, "https://appleid.apple.com", false)
	}
	return ""
}

func (op *testOP) checkJWTClaims(payload []byte, iss, sub, aud string, wantJTI bool) string {
	var c struct {
		Iss, Sub, Aud, Jti string
		Iat, Exp           int64
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return err.Error()
	}
	now := op.clock.Now().Unix()
	switch {
	case c.Iss != iss || c.Sub != sub:
		return fmt.Sprintf("iss %q sub %q", c.Iss, c.Sub)
	case c.Aud != aud:
		return fmt.Sprintf("aud %q, want %q", c.Aud, aud)
	case c.Iat > now || c.Exp <= now || c.Exp-c.Iat > 600:
		return fmt.Sprintf("iat %d exp %d now %d", c.Iat, c.Exp, now)
	case wantJTI && c.Jti == "":
		return "no jti"
	}
	return ""
}

func (op *testOP) userinfo(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	defer op.mu.Unlock()
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !op.tokens[tok] {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if op.userinfoRaw != nil {
		w.Header().Set("Content-Type", op.userinfoType)
		_, _ = w.Write([]byte(*op.userinfoRaw))
		return
	}
	c := map[string]any{"sub": testSubject, "name": "From userinfo", "preferred_username": "alice"}
	if op.userinfoAlg != "" {
		c["iss"], c["aud"] = op.issuer, testClientID
	}
	if op.userinfoMutate != nil {
		op.userinfoMutate(c)
	}
	if op.userinfoAlg == "" {
		writeJSON(w, http.StatusOK, c)
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	_, _ = w.Write([]byte(op.sign(c, op.userinfoAlg)))
}

// fixture is a provider pointed at a test OP.
type fixture struct {
	op    *testOP
	p     *Provider
	clock *clocktest.Fake
}

// newFixture starts a test OP (TLS, so that discovery_mode oidc works)
// and a Provider for it; edit changes the options before New.
func newFixture(t *testing.T, tls bool, edit func(o *Options)) *fixture {
	t.Helper()
	clk := clocktest.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	op := newTestOP(t, tls, clk)
	o := Options{
		ID: "01TESTPROVIDER", Issuer: op.issuer, ClientID: testClientID, ClientSecret: testSecret,
		TokenEndpointAuthMethod: AuthClientSecretBasic,
		HTTPClient:              op.srv.Client(), Clock: clk,
	}
	if !tls {
		o.DiscoveryMode = DiscoveryInsecure
	}
	if edit != nil {
		edit(&o)
	}
	p, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &fixture{op: op, p: p, clock: clk}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// authorize sends the browser's request to the authorization URL and
// returns what came back to the redirect URI, as the callback would see
// it (the query, or the form_post body).
func (f *fixture) authorize(t *testing.T, extra url.Values) (Session, url.Values) {
	t.Helper()
	u, s, err := f.p.AuthorizationURL(context.Background(), testRedirect, extra)
	if err != nil {
		t.Fatalf("AuthorizationURL: %v", err)
	}
	browser := *f.op.srv.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(u)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	defer resp.Body.Close()
	var back url.Values
	switch resp.StatusCode {
	case http.StatusFound:
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || !strings.HasPrefix(loc.String(), testRedirect+"?") {
			t.Fatalf("authorize redirected to %q", resp.Header.Get("Location"))
		}
		back = loc.Query()
	case http.StatusOK:
		body, _ := io.ReadAll(resp.Body)
		back = url.Values{}
		for _, m := range hiddenInput.FindAllStringSubmatch(string(body), -1) {
			back.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
		}
	default:
		t.Fatalf("authorize answered %d", resp.StatusCode)
	}
	return s, back
}

// login runs a whole login and returns the Exchange result.
func (f *fixture) login(t *testing.T) (*Result, error) {
	t.Helper()
	s, back := f.authorize(t, nil)
	cb, err := f.p.ParseCallback(back)
	if err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
	if cb.State != s.State {
		t.Fatalf("state %q, sent %q", cb.State, s.State)
	}
	return f.p.Exchange(context.Background(), s, cb.Code)
}

// wantKind fails unless err is an *Error of kind.
func wantKind(t *testing.T, err error, kind Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", kind)
	}
	if got := KindOf(err); got != kind {
		t.Fatalf("error kind %s, want %s: %v", got, kind, err)
	}
}

// userClaims are a result's claims as the mapping templates see them in
// `user`.
func userClaims(res *Result) map[string]any {
	return claims.Claims{IDToken: res.IDTokenClaims, Userinfo: res.Userinfo}.User()
}
