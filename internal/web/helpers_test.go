package web_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"mas/internal/browsertest"
	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/login"
	"mas/internal/pages"
	"mas/internal/passwords"
	"mas/internal/ratelimit"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
	"mas/internal/testdb"
	"mas/internal/web"
)

const serverName = "example.com"

// env is a running web handler below a path prefix (/auth/, as behind a
// reverse proxy), on a real store (see testdb).
type env struct {
	t      *testing.T
	store  store.Store
	clock  *clocktest.Fake
	srv    *httptest.Server
	urls   *routes.URLBuilder
	h      *web.Handler
	limits *ratelimit.Set
}

type envOptions struct {
	passwords *passwords.Manager // nil: one cheap pbkdf2 scheme
	disabled  bool               // passwords.enabled: false
}

func cheapPasswords(t *testing.T, schemes ...passwords.Scheme) *passwords.Manager {
	t.Helper()
	if len(schemes) == 0 {
		schemes = []passwords.Scheme{{Version: 1, Algorithm: passwords.AlgorithmPBKDF2, PBKDF2Iterations: 1}}
	}
	m, err := passwords.New(schemes, passwords.Options{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newEnv(t *testing.T, opts envOptions) *env {
	t.Helper()
	clk := clocktest.New(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	s := testdb.Open(t, clk)
	tpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}

	e := &env{t: t, store: s, clock: clk}
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(http.StripPrefix("/auth", mux))
	t.Cleanup(e.srv.Close)
	e.urls, err = routes.NewURLBuilder(e.srv.URL+"/auth/", "")
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := session.New(session.Options{
		Store: s, Encrypter: encrypt.New([32]byte{7}, rand.Reader), URLs: e.urls, Clock: clk, Rand: rand.Reader,
	})
	if err != nil {
		t.Fatal(err)
	}
	pw := opts.passwords
	switch {
	case opts.disabled:
		pw = passwords.Disabled()
	case pw == nil:
		pw = cheapPasswords(t)
	}
	e.limits = newLimits(t, clk)
	e.h = &web.Handler{
		Store: s, Sessions: sessions, URLs: e.urls, Clock: clk,
		Pages: &pages.Renderer{Templates: tpl, URLs: e.urls, Branding: templates.Branding{ServiceName: "Test MAS"}, CSRF: sessions},
		Login: &login.Checker{Store: s, Passwords: pw, Limits: e.limits, ServerName: serverName},
	}
	e.h.Mount(mux)
	return e
}

// user creates a user with a password (hashed by the handler's manager
// unless hash is given with its version).
func (e *env) user(name, password string) *domain.User {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.store.Users().Add(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	if password != "" {
		version, hash, err := e.h.Login.Passwords.Hash(ctx, password)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.store.Passwords().Add(ctx, u.ID, hash, version, nil); err != nil {
			e.t.Fatal(err)
		}
	}
	return u
}

// browser is a fresh browser for the pages under /auth/.
func (e *env) browser() *browsertest.Browser { return browsertest.New(e.t, e.srv.URL+"/auth/") }

// logIn logs in through the form and checks it worked.
func logIn(t *testing.T, b *browsertest.Browser, username, password string) *browsertest.Response {
	t.Helper()
	res := b.Post("/login", url.Values{"csrf": {b.CSRF("/login")}, "username": {username}, "password": {password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("login as %s: status %d\n%s", username, res.Status, res.Body)
	}
	return res
}

// newLimits gives the tests room for many logins from the one test client
// address; tests that want a refusal exhaust a limiter explicitly.
func newLimits(t *testing.T, clk *clocktest.Fake) *ratelimit.Set {
	t.Helper()
	roomy := ratelimit.Rate{Burst: 1000, PerSecond: 1}
	s, err := ratelimit.NewSet(ratelimit.Config{LoginPerIP: roomy, LoginPerAccount: roomy}, ratelimit.Options{Now: clk.Now})
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
