package oauth_test

// A browser-level harness for the authorization endpoint, the consent
// screen and the device pages: the real handlers (oauth and web) below a
// /auth/ prefix, a migrated store (see testdb), and a cookie-keeping client.

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/homeserver"
	"mas/internal/oauth"
	"mas/internal/passwords"
	"mas/internal/policy"
	"mas/internal/ratelimit"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
	"mas/internal/testdb"
	"mas/internal/web"
)

const testServerName = "example.com"

// fakeHomeserver answers the two questions the pages ask; anything else
// would panic on the nil interface, which no page may do.
type fakeHomeserver struct{ homeserver.Connection }

func (fakeHomeserver) ServerName() string { return testServerName }
func (fakeHomeserver) MXID(localpart string) string {
	return homeserver.MXID(localpart, testServerName)
}

type humanEnv struct {
	t      *testing.T
	store  store.Store
	clock  *clocktest.Fake
	srv    *httptest.Server
	h      *oauth.Handler
	limits *ratelimit.Set
}

type humanOptions struct {
	autoFill bool
	policy   *policy.Engine
}

func newHumanEnv(t *testing.T, opts humanOptions) *humanEnv {
	t.Helper()
	clk := clocktest.New(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	s := testdb.Open(t, clk)
	tpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(http.StripPrefix("/auth", mux))
	t.Cleanup(srv.Close)
	urls, err := routes.NewURLBuilder(srv.URL+"/auth/", "")
	if err != nil {
		t.Fatal(err)
	}
	enc := encrypt.New([32]byte{9}, rand.Reader)
	sessions, err := session.New(session.Options{Store: s, Encrypter: enc, URLs: urls, Clock: clk, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	pw, err := passwords.New([]passwords.Scheme{{Version: 1, Algorithm: passwords.AlgorithmPBKDF2, PBKDF2Iterations: 1}}, passwords.Options{})
	if err != nil {
		t.Fatal(err)
	}
	limits := newTestLimits(t, clk)
	engine := opts.policy
	if engine == nil {
		engine, err = policy.New(nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	h := &oauth.Handler{
		Store: s, Encrypter: enc, Homeserver: fakeHomeserver{}, Policy: engine, Passwords: pw, Limits: limits,
		Sessions: sessions, Templates: tpl, URLs: urls, Clock: clk, Rand: rand.Reader,
		Logger: slog.New(slog.DiscardHandler),
		Settings: oauth.Settings{
			DeviceCodeGrantEnabled: true, DeviceCodeAutoFill: opts.autoFill, ServiceName: "Test MAS",
			PasswordRegistrationEnabled: true,
		},
	}
	h.MountHuman(mux)
	(&web.Handler{
		Store: s, Sessions: sessions, Passwords: pw, Limits: limits, Templates: tpl, URLs: urls, Clock: clk,
		Settings: web.Settings{ServiceName: "Test MAS", ServerName: testServerName},
	}).Mount(mux)
	return &humanEnv{t: t, store: s, clock: clk, srv: srv, h: h, limits: limits}
}

func (e *humanEnv) user(name string) *domain.User {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.store.Users().Add(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	version, hash, err := e.h.Passwords.Hash(ctx, "pw")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.Passwords().Add(ctx, u.ID, hash, version, nil); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// client registers a client allowed the authorization code grant.
func (e *humanEnv) client(redirectURIs ...string) *domain.Client {
	e.t.Helper()
	c := &domain.Client{
		RedirectURIs:            redirectURIs,
		GrantAuthorizationCode:  true,
		GrantRefreshToken:       true,
		ClientName:              "Test Client",
		ClientURI:               "https://client.example/",
		LogoURI:                 "https://client.example/logo.png",
		TokenEndpointAuthMethod: "none",
		ApplicationType:         "web",
	}
	if err := e.store.Clients().Add(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// grant loads an authorization grant.
func (e *humanEnv) grant(id domain.ID) *domain.AuthorizationGrant {
	e.t.Helper()
	g, err := e.store.AuthorizationGrants().Lookup(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

type browser struct {
	e      *humanEnv
	client *http.Client
}

func (e *humanEnv) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(req *http.Request) response {
	b.e.t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return response{status: res.StatusCode, location: res.Header.Get("Location"), body: string(body), header: res.Header}
}

// get fetches a path below the public base, or a Location we were given
// (which already carries the /auth prefix).
func (b *browser) get(path string, header ...string) response {
	b.e.t.Helper()
	if !strings.HasPrefix(path, "/auth/") {
		path = "/auth" + path
	}
	req, err := http.NewRequest("GET", b.e.srv.URL+path, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) response {
	b.e.t.Helper()
	if !strings.HasPrefix(path, "/auth/") {
		path = "/auth" + path
	}
	req, err := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, res response) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no CSRF field in (status %d):\n%s", res.status, res.body)
	}
	return m[1]
}

// login logs the browser in as username (password "pw").
func (b *browser) login(username string) {
	b.e.t.Helper()
	token := csrfOf(b.e.t, b.get("/login"))
	res := b.post("/login", url.Values{"csrf": {token}, "username": {username}, "password": {"pw"}})
	if res.status != http.StatusSeeOther {
		b.e.t.Fatalf("login: %d\n%s", res.status, res.body)
	}
}

// authorize sends an authorization request with the given parameters.
func (b *browser) authorize(params url.Values) response {
	b.e.t.Helper()
	return b.get("/authorize?" + params.Encode())
}

// grantIDFrom extracts the grant ID of a consent URL or of a login URL
// continuing a grant.
func grantIDFrom(t *testing.T, location string) domain.ID {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	raw := u.Query().Get("id")
	if raw == "" {
		raw = u.Path[strings.LastIndex(u.Path, "/")+1:]
	}
	id, err := domain.ParseID(raw)
	if err != nil {
		t.Fatalf("no grant ID in %q: %v", location, err)
	}
	return id
}

// testChallenge is the S256 challenge of RFC 7636's example verifier.
const testChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

// codeParams is a valid authorization request for c (a public client, so
// with an S256 PKCE challenge).
func codeParams(c *domain.Client, redirectURI string) url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ID.String()},
		"redirect_uri":          {redirectURI},
		"scope":                 {"openid urn:matrix:client:api:*"},
		"state":                 {"xyz state"},
		"code_challenge":        {testChallenge},
		"code_challenge_method": {"S256"},
	}
}

// newTestLimits gives the tests room for many requests from the one test
// client address; tests that want a refusal exhaust a limiter explicitly.
func newTestLimits(t *testing.T, clk *clocktest.Fake) *ratelimit.Set {
	t.Helper()
	roomy := ratelimit.Rate{Burst: 1000, PerSecond: 1}
	s, err := ratelimit.NewSet(ratelimit.Config{LoginPerIP: roomy, LoginPerAccount: roomy, DeviceCodeLinkPerIP: roomy},
		ratelimit.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// exhaust uses up l's bucket for key (the clock is frozen, so nothing
// refills it).
func exhaust(l *ratelimit.Limiter, key string) {
	for l.Allow(key) {
	}
}
