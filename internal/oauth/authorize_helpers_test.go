package oauth_test

// A browser-level harness for the authorization endpoint, the consent
// screen and the device pages: the real handlers (oauth and web) below a
// /auth/ prefix, a migrated store (see testdb), and a cookie-keeping client.

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"mas/internal/browsertest"
	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/homeserver"
	"mas/internal/login"
	"mas/internal/oauth"
	"mas/internal/pages"
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
	t         *testing.T
	store     store.Store
	clock     *clocktest.Fake
	srv       *httptest.Server
	h         *oauth.Handler
	limits    *ratelimit.Set
	passwords *passwords.Manager
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
	renderer := &pages.Renderer{Templates: tpl, URLs: urls, Branding: templates.Branding{ServiceName: "Test MAS"}, CSRF: sessions}
	h := &oauth.Handler{
		Store: s, Encrypter: enc, Homeserver: fakeHomeserver{}, Policy: engine, Limits: limits,
		Sessions: sessions, Pages: renderer, URLs: urls, Clock: clk, Rand: rand.Reader,
		Settings: oauth.Settings{
			DeviceCodeGrantEnabled: true, DeviceCodeAutoFill: opts.autoFill,
		},
	}
	h.MountHuman(mux)
	(&web.Handler{
		Store: s, Sessions: sessions, Pages: renderer, URLs: urls, Clock: clk,
		Login: &login.Checker{Store: s, Passwords: pw, Limits: limits, ServerName: testServerName},
	}).Mount(mux)
	return &humanEnv{t: t, store: s, clock: clk, srv: srv, h: h, limits: limits, passwords: pw}
}

func (e *humanEnv) user(name string) *domain.User {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.store.Users().Add(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	version, hash, err := e.passwords.Hash(ctx, "pw")
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

// browser is a fresh browser for the pages under /auth/.
func (e *humanEnv) browser() *browsertest.Browser { return browsertest.New(e.t, e.srv.URL+"/auth/") }

// logIn logs the browser in as username (password "pw").
func (e *humanEnv) logIn(b *browsertest.Browser, username string) {
	e.t.Helper()
	res := b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {username}, "password": {"pw"}})
	if res.Status != http.StatusSeeOther {
		e.t.Fatalf("login: %d\n%s", res.Status, res.Body)
	}
}

// authorize sends an authorization request with the given parameters.
func authorize(b *browsertest.Browser, params url.Values) *browsertest.Response {
	return b.Get("/authorize?" + params.Encode())
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
