package web_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"mas/internal/browsertest"
	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/homeserver/homeservertest"
	"mas/internal/homeserver/synapse"
	"mas/internal/login"
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

const serverName = "example.com"

// env is a running web handler below a path prefix (/auth/, as behind a
// reverse proxy), on a real store (see testdb).
type env struct {
	t      *testing.T
	store  store.Store
	driver riverdriver.Driver[*sql.Tx] // for tests that look at queued jobs
	clock  *clocktest.Fake
	srv    *httptest.Server
	urls   *routes.URLBuilder
	h      *web.Handler
	limits *ratelimit.Set
	hs     *homeservertest.Server // the fake Synapse behind h.Homeserver
}

type envOptions struct {
	passwords *passwords.Manager // nil: one cheap pbkdf2 scheme
	disabled  bool               // passwords.enabled: false
	// settings are the account settings; zero means every feature off.
	settings web.Settings
	// policy evaluates register/email; nil is an engine without data.
	policy *policy.Engine
	// captcha, when set, is the registration form's captcha.
	captcha web.CaptchaVerifier
	// limits overrides the roomy rate limits.
	limits *ratelimit.Config
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
	s, driver := testdb.OpenWithDriver(t, clk)
	tpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}

	e := &env{t: t, store: s, driver: driver, clock: clk}
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
	e.limits = newLimits(t, clk, opts.limits)
	e.hs = homeservertest.New(t, homeservertest.Options{ServerName: serverName})
	conn, err := synapse.New(synapse.Options{
		Endpoint: e.hs.URL() + "/", ServerName: serverName, Secret: e.hs.Secret(), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	engine := opts.policy
	if engine == nil {
		if engine, err = policy.New(nil); err != nil {
			t.Fatal(err)
		}
	}
	e.h = &web.Handler{
		Store: s, Sessions: sessions, URLs: e.urls, Clock: clk,
		Pages:      &pages.Renderer{Templates: tpl, URLs: e.urls, Branding: templates.Branding{ServiceName: "Test MAS"}, CSRF: sessions},
		Login:      &login.Checker{Store: s, Passwords: pw, Limits: e.limits, ServerName: serverName},
		Homeserver: conn,
		Policy:     engine,
		Limits:     e.limits,
		Captcha:    opts.captcha,
		Rand:       rand.Reader,
		Settings:   opts.settings,
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

// newLimits gives the tests room for many logins, registrations and codes
// from the one test client address; tests that want a refusal exhaust a
// limiter explicitly or pass their own configuration.
func newLimits(t *testing.T, clk *clocktest.Fake, cfg *ratelimit.Config) *ratelimit.Set {
	t.Helper()
	roomy := ratelimit.Rate{Burst: 1000, PerSecond: 1}
	c := ratelimit.Config{
		LoginPerIP: roomy, LoginPerAccount: roomy, Registration: roomy,
		AccountRecoveryPerIP: roomy, AccountRecoveryPerAddress: roomy,
		EmailAuthenticationPerIP: roomy, EmailAuthenticationPerAddress: roomy,
		EmailAuthenticationEmailsPerSession: roomy, EmailAuthenticationAttemptPerSession: roomy,
	}
	if cfg != nil {
		c = *cfg
	}
	s, err := ratelimit.NewSet(c, ratelimit.Options{Now: clk.Now})
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

// jobs lists the args of the queued jobs of kind, oldest first.
func (e *env) jobs(kind string) []map[string]any {
	e.t.Helper()
	client, err := river.NewClient(e.driver, &river.Config{})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := client.JobList(context.Background(), river.NewJobListParams().Kinds(kind).OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(1000))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []map[string]any
	for _, j := range res.Jobs {
		var m map[string]any
		if err := json.Unmarshal(j.EncodedArgs, &m); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}
