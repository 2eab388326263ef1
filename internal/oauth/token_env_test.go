package oauth

// Test environment for the token endpoint and the endpoints that take its
// tokens: a real store (see testdb), a fake clock, a fake Synapse over HTTP and
// the handler mounted on a mux, driven through httptest.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/activity"
	"mas/internal/tokencache"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/homeserver/homeservertest"
	"mas/internal/homeserver/synapse"
	"mas/internal/keys"
	"mas/internal/logtest"
	"mas/internal/policy"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/store"
	"mas/internal/testdb"
	"mas/internal/tokens"
)

// tokenTestStart is where every test clock starts.
var tokenTestStart = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const (
	tokenTestIssuer      = "https://auth.example.com/"
	tokenTestRedirectURI = "https://app.example.com/cb"
	tokenTestSecret      = "s3cretS3cretS3cret00"
)

var (
	tokenTestKeysOnce sync.Once
	tokenTestKeys     *keys.KeySet
	tokenTestKeysErr  error
)

// tokenTestKeySet is one RSA, one P-256 and one P-384 key, generated once
// per test binary (RSA generation is slow).
func tokenTestKeySet(t testing.TB) *keys.KeySet {
	t.Helper()
	tokenTestKeysOnce.Do(func() {
		var ks []*keys.PrivateKey
		for _, kind := range []keys.Kind{keys.KindRSA, keys.KindP256, keys.KindP384} {
			pem, err := keys.Generate(kind, rand.Reader)
			if err != nil {
				tokenTestKeysErr = err
				return
			}
			k, err := keys.ParsePrivateKey(keys.Spec{Data: pem})
			if err != nil {
				tokenTestKeysErr = err
				return
			}
			ks = append(ks, k)
		}
		tokenTestKeys, tokenTestKeysErr = keys.NewKeySetFromKeys(ks...)
	})
	if tokenTestKeysErr != nil {
		t.Fatal(tokenTestKeysErr)
	}
	return tokenTestKeys
}

// tokenEnv is one service instance under test.
type tokenEnv struct {
	t      testing.TB
	h      *Handler
	db     store.Store
	driver riverdriver.Driver[*sql.Tx]
	clock  *clocktest.Fake
	hs     *homeservertest.Server
	mux    http.Handler
	logs   *logtest.Buffer // warnings and errors the handlers logged
}

// newTokenEnv builds the environment; tweak adjusts the handler before it
// is mounted.
func newTokenEnv(t testing.TB, tweak ...func(*Handler)) *tokenEnv {
	t.Helper()
	clk := clocktest.New(tokenTestStart)
	db, driver := testdb.OpenWithDriver(t, clk)
	hs := homeservertest.New(t, homeservertest.Options{})
	conn, err := synapse.New(synapse.Options{
		Endpoint: hs.URL() + "/", ServerName: hs.ServerName(), Secret: hs.Secret(), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	urls, err := routes.NewURLBuilder(tokenTestIssuer, "")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.New(json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{
		Store:      db,
		Keys:       tokenTestKeySet(t),
		Encrypter:  encrypt.New([32]byte{1, 2, 3}, rand.Reader),
		Homeserver: conn,
		Policy:     pol,
		URLs:       urls,
		Clock:      clk,
		Rand:       rand.Reader,
		// Not started: tests flush it (flushActivity); the cache answers
		// only once a test follows the feed (introspect_cache_test.go).
		Activity:      activity.New(db, activity.Options{}),
		Introspection: NewIntrospectionCache(db.Invalidations(), clk, tokencache.Options{}),
		Settings: Settings{
			AccessTokenTTL:         5 * time.Minute,
			DeviceCodeGrantEnabled: true,
			DeviceCodeAutoFill:     true,
		},
	}
	for _, f := range tweak {
		f(h)
	}
	mux := http.NewServeMux()
	h.MountOAuth(mux)
	logger, logs := logtest.New(t, slog.LevelWarn)
	return &tokenEnv{t: t, h: h, db: db, driver: driver, clock: clk, hs: hs, logs: logs, mux: withLogger(mux, func() *slog.Logger { return logger })}
}

func (e *tokenEnv) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// user creates a user in the store and on the fake homeserver.
func (e *tokenEnv) user(name string) *domain.User {
	e.t.Helper()
	u, err := e.db.Users().Add(context.Background(), name)
	e.must(err)
	e.hs.AddUser(name)
	return u
}

// client registers a public client with the authorization code and refresh
// grants; mod adjusts it before it is stored.
func (e *tokenEnv) client(mod ...func(*domain.Client)) *domain.Client {
	e.t.Helper()
	c := &domain.Client{
		RedirectURIs:            []string{tokenTestRedirectURI},
		GrantAuthorizationCode:  true,
		GrantRefreshToken:       true,
		ClientName:              "Test Client",
		TokenEndpointAuthMethod: "none",
		ApplicationType:         "native",
	}
	for _, f := range mod {
		f(c)
	}
	e.must(e.db.Clients().Add(context.Background(), c))
	return c
}

// withSecret makes a client confidential (client_secret_post).
func (e *tokenEnv) withSecret(c *domain.Client) {
	sealed, err := e.h.Encrypter.Encrypt([]byte(tokenTestSecret))
	e.must(err)
	c.EncryptedSecret = sealed
	c.TokenEndpointAuthMethod = "client_secret_post"
}

// login starts a browser session for u, authenticated by a password now.
func (e *tokenEnv) login(u *domain.User) *domain.BrowserSession {
	e.t.Helper()
	ctx := context.Background()
	bs, err := e.db.BrowserSessions().Add(ctx, u.ID, "Mozilla/5.0")
	e.must(err)
	pw, err := e.db.Passwords().Add(ctx, u.ID, "$argon2id$fake", 1, nil)
	e.must(err)
	_, err = e.db.BrowserSessions().Authenticate(ctx, bs.ID, &pw.ID, nil)
	e.must(err)
	return bs
}

// grantOpts shape a fulfilled authorization grant.
type grantOpts struct {
	scope     []string
	nonce     string
	challenge string
	method    string
	// rawRedirect records that the authorization request named its
	// redirect_uri explicitly.
	rawRedirect bool
}

// fulfilledGrant stores an authorization grant the user consented to in
// bs, and returns it with its code.
func (e *tokenEnv) fulfilledGrant(c *domain.Client, bs *domain.BrowserSession, o grantOpts) *domain.AuthorizationGrant {
	e.t.Helper()
	ctx := context.Background()
	code, err := tokens.RandomAlphanumeric(rand.Reader, 32)
	e.must(err)
	if o.scope == nil {
		o.scope = []string{"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:DEVICEABCD"}
	}
	raw := url.Values{"response_type": {"code"}, "client_id": {c.ID.String()}}
	if o.rawRedirect {
		raw.Set("redirect_uri", tokenTestRedirectURI)
	}
	g := &domain.AuthorizationGrant{
		ClientID: c.ID, RedirectURI: tokenTestRedirectURI, Scope: o.scope, Nonce: o.nonce,
		ResponseMode: "query", ResponseTypeCode: true, Code: code,
		CodeChallenge: o.challenge, CodeChallengeMethod: o.method, RawParameters: raw.Encode(),
	}
	e.must(e.db.AuthorizationGrants().Add(ctx, g))
	e.must(e.db.AuthorizationGrants().Fulfill(ctx, g, bs.ID))
	return g
}

// issued is a token pair made directly in the store.
type issued struct {
	session *domain.Session
	access  *domain.AccessToken
	refresh *domain.RefreshToken
}

// issue starts a session for c (and u, unless nil) with an access token
// expiring after the configured TTL and a refresh token.
func (e *tokenEnv) issue(c *domain.Client, u *domain.User, scope ...string) issued {
	e.t.Helper()
	ctx := context.Background()
	s := &domain.Session{ClientID: c.ID, Scope: scope}
	if u != nil {
		s.UserID = &u.ID
	}
	e.must(e.db.Sessions().Add(ctx, s))
	a, r, err := e.h.newTokenPair()
	e.must(err)
	exp := e.clock.Now().Add(e.h.tokenTTL())
	at, err := e.db.AccessTokens().Add(ctx, s.ID, a, &exp)
	e.must(err)
	rt, err := e.db.RefreshTokens().Add(ctx, s.ID, &at.ID, r)
	e.must(err)
	return issued{session: s, access: at, refresh: rt}
}

// post sends a form to path; header is added to the request.
func (e *tokenEnv) post(path string, form url.Values, header http.Header) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	return rec
}

// tokenRequest posts to the token endpoint.
func (e *tokenEnv) tokenRequest(form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.post(routes.OAuth2Token, form, nil)
}

// jsonBody decodes a JSON response body into a map.
func jsonBody(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", rec.Body.String(), err)
	}
	return m
}

// wantTokenError checks an OAuth error response.
func wantTokenError(t testing.TB, rec *httptest.ResponseRecorder, status int, code ErrorCode) map[string]any {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body.String())
	}
	m := jsonBody(t, rec)
	if m["error"] != string(code) {
		t.Fatalf("error = %v, want %s; body %s", m["error"], code, rec.Body.String())
	}
	return m
}

// wantTokenOK checks a successful token response and returns its body.
func wantTokenOK(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body.String())
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	if p := rec.Header().Get("Pragma"); p != "no-cache" {
		t.Errorf("Pragma = %q, want no-cache", p)
	}
	m := jsonBody(t, rec)
	if m["token_type"] != "Bearer" {
		t.Errorf("token_type = %v, want Bearer", m["token_type"])
	}
	return m
}

// codeForm is the token request redeeming g for c.
func codeForm(c *domain.Client, g *domain.AuthorizationGrant) url.Values {
	return url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {g.Code},
		"redirect_uri": {tokenTestRedirectURI},
		"client_id":    {c.ID.String()},
	}
}

// introspect asks about token as Synapse does: shared secret as bearer and
// the device-ID header.
func (e *tokenEnv) introspect(token string, header http.Header) map[string]any {
	e.t.Helper()
	h := http.Header{"Authorization": {"Bearer " + e.hs.Secret()}, "X-Mas-Supports-Device-Id": {"1"}}
	for k, v := range header {
		h[k] = v
	}
	rec := e.post(routes.OAuth2Introspection, url.Values{"token": {token}}, h)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("introspection status = %d; body %s", rec.Code, rec.Body.String())
	}
	return jsonBody(e.t, rec)
}

// active reports whether introspection finds token active.
func (e *tokenEnv) active(token string) bool {
	e.t.Helper()
	return e.introspect(token, nil)["active"] == true
}

// jobs returns the arguments of the queued jobs of kind, oldest first.
func (e *tokenEnv) jobs(kind string) []map[string]any {
	e.t.Helper()
	// Through River rather than SQL: the backends store args differently
	// (jsonb on PostgreSQL, SQLite's binary JSON).
	client, err := river.NewClient(e.driver, &river.Config{})
	e.must(err)
	res, err := client.JobList(context.Background(), river.NewJobListParams().Kinds(kind).OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(10000))
	e.must(err)
	var out []map[string]any
	for _, j := range res.Jobs {
		var m map[string]any
		e.must(json.Unmarshal(j.EncodedArgs, &m))
		out = append(out, m)
	}
	return out
}

// count runs a COUNT(*) query.
func (e *tokenEnv) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	e.must(testdb.DB(e.t, e.db).QueryRow(query, args...).Scan(&n))
	return n
}

// session loads an OAuth 2.0 session.
func (e *tokenEnv) session(id domain.ID) *domain.Session {
	e.t.Helper()
	s, err := e.db.Sessions().Lookup(context.Background(), id)
	e.must(err)
	return s
}

// sessionOfAccessToken loads the session of an access token string.
func (e *tokenEnv) sessionOfAccessToken(token string) *domain.Session {
	e.t.Helper()
	at, err := e.db.AccessTokens().FindByToken(context.Background(), token)
	e.must(err)
	return e.session(at.SessionID)
}

// decodeJWT verifies a JWT with the test keys and decodes its claims.
func (e *tokenEnv) decodeJWT(token string) (map[string]any, keys.Header) {
	e.t.Helper()
	payload, hdr, err := e.h.Keys.Verify(token, nil)
	if err != nil {
		e.t.Fatalf("verifying %q: %v", token, err)
	}
	var claims map[string]any
	e.must(json.Unmarshal(payload, &claims))
	return claims, hdr
}

// withLogger gives each request the logger the HTTP server would.
func withLogger(next http.Handler, logger func() *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(requestctx.WithLogger(r.Context(), logger())))
	})
}
