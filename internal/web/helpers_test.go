package web_test

import (
	"context"
	"crypto/rand"
	"io"
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
		Store: s, Sessions: sessions, Passwords: pw, Limits: e.limits, Templates: tpl, URLs: e.urls, Clock: clk,
		Settings: web.Settings{ServiceName: "Test MAS", ServerName: serverName, PasswordRegistrationEnabled: true},
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
		version, hash, err := e.h.Passwords.Hash(ctx, password)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.store.Passwords().Add(ctx, u.ID, hash, version, nil); err != nil {
			e.t.Fatal(err)
		}
	}
	return u
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
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

// get fetches a path below the public base ("/login?x=y").
func (b *browser) get(path string) response {
	b.e.t.Helper()
	req, err := http.NewRequest("GET", b.e.srv.URL+"/auth"+path, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) response {
	b.e.t.Helper()
	req, err := http.NewRequest("POST", b.e.srv.URL+"/auth"+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf loads path and returns the CSRF token of its form.
func (b *browser) csrf(path string) string {
	b.e.t.Helper()
	res := b.get(path)
	m := csrfField.FindStringSubmatch(res.body)
	if m == nil {
		b.e.t.Fatalf("GET %s: no CSRF field in (status %d):\n%s", path, res.status, res.body)
	}
	return m[1]
}

// login logs in through the form and checks it worked.
func (b *browser) login(username, password string) response {
	b.e.t.Helper()
	res := b.post("/login", url.Values{"csrf": {b.csrf("/login")}, "username": {username}, "password": {password}})
	if res.status != http.StatusSeeOther {
		b.e.t.Fatalf("login as %s: status %d\n%s", username, res.status, res.body)
	}
	return res
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.e.srv.URL + "/auth/")
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
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
