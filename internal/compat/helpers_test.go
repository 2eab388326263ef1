package compat_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"mas/internal/browsertest"
	"mas/internal/clock/clocktest"
	"mas/internal/compat"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/homeserver"
	"mas/internal/homeserver/homeservertest"
	"mas/internal/homeserver/synapse"
	"mas/internal/login"
	"mas/internal/logtest"
	"mas/internal/pages"
	"mas/internal/passwords"
	"mas/internal/policy"
	"mas/internal/ratelimit"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
	"mas/internal/testdb"
)

// headerClientIP lets a test choose the client address a request comes
// from, as the HTTP server's trusted-proxy handling would set it.
const headerClientIP = "X-Test-Client-IP"

// env is the compat handler on a real store (see testdb), in front of a fake
// homeserver, served over real HTTP.
type env struct {
	t      *testing.T
	store  store.Store
	driver riverdriver.Driver[*sql.Tx]
	clock  *clocktest.Fake
	hs     *homeservertest.Server
	conn   homeserver.Connection
	srv    *httptest.Server
	mux    *http.ServeMux
	urls   *routes.URLBuilder
	h      *compat.Handler
	pw     *passwords.Manager
	limits *ratelimit.Set
	logs   *logtest.Buffer // warnings and errors the handlers logged
}

type envOptions struct {
	// passwords overrides the cheap bcrypt manager; disabled turns
	// passwords off altogether.
	passwords *passwords.Manager
	disabled  bool
	// limits overrides the generous rate limits.
	limits *ratelimit.Config
	policy *policy.Engine
	// eviction sets dangerous_hard_limit_eviction.
	eviction bool
}

// cheapPasswords hashes with bcrypt at cost 4: real verification, fast.
func cheapPasswords(t *testing.T, schemes ...passwords.Scheme) *passwords.Manager {
	t.Helper()
	if len(schemes) == 0 {
		schemes = []passwords.Scheme{{Version: 1, Algorithm: passwords.AlgorithmBcrypt, Cost: 4}}
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
	hs := homeservertest.New(t, homeservertest.Options{})
	conn, err := synapse.New(synapse.Options{
		Endpoint: hs.URL() + "/", ServerName: hs.ServerName(), Secret: hs.Secret(), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}

	e := &env{t: t, store: s, driver: driver, clock: clk, hs: hs, conn: conn, mux: http.NewServeMux()}
	var logger *slog.Logger
	logger, e.logs = logtest.New(t, slog.LevelWarn)
	e.srv = httptest.NewServer(withRequestContext(e.mux, logger))
	t.Cleanup(e.srv.Close)
	if e.urls, err = routes.NewURLBuilder(e.srv.URL+"/", ""); err != nil {
		t.Fatal(err)
	}
	sessions, err := session.New(session.Options{
		Store: s, Encrypter: encrypt.New([32]byte{7}, rand.Reader), URLs: e.urls, Clock: clk, Rand: rand.Reader,
	})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case opts.disabled:
		e.pw = passwords.Disabled()
	case opts.passwords != nil:
		e.pw = opts.passwords
	default:
		e.pw = cheapPasswords(t)
	}
	// Generous limits, so that table tests sharing an address are not
	// limited; the rate-limit test sets its own.
	cfg := ratelimit.Config{LoginPerIP: ratelimit.Rate{Burst: 1000, PerSecond: 1000}}
	if opts.limits != nil {
		cfg = *opts.limits
	}
	if e.limits, err = ratelimit.NewSet(cfg, ratelimit.Options{Now: clk.Now}); err != nil {
		t.Fatal(err)
	}
	e.h = &compat.Handler{
		Store:      s,
		Homeserver: conn,
		Policy:     opts.policy,
		Login:      &login.Checker{Store: s, Passwords: e.pw, Limits: e.limits, ServerName: conn.ServerName()},
		Limits:     e.limits,
		Sessions:   sessions,
		Pages:      &pages.Renderer{Templates: tpl, URLs: e.urls, Branding: templates.Branding{ServiceName: "Test MAS"}, CSRF: sessions},
		URLs:       e.urls,
		Clock:      clk,
		Rand:       rand.Reader,
		Settings:   compat.Settings{HardLimitEviction: opts.eviction},
	}
	e.h.Mount(e.mux)
	e.h.MountHuman(e.mux)
	return e
}

// withRequestContext records the client address and the logger the way
// the HTTP server does, taking the address from headerClientIP when a test
// sets one.
func withRequestContext(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(requestctx.WithLogger(r.Context(), logger))
		addr := r.Header.Get(headerClientIP)
		if addr == "" {
			if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
				addr = ap.Addr().String()
			}
		}
		if ip, err := netip.ParseAddr(addr); err == nil {
			r = r.WithContext(requestctx.WithClientIP(r.Context(), ip))
		}
		next.ServeHTTP(w, r)
	})
}

// user creates a user with a password ("" for none), known to the
// homeserver too.
func (e *env) user(name, password string) *domain.User {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.store.Users().Add(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	if password != "" {
		version, hash, err := e.pw.Hash(ctx, password)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.store.Passwords().Add(ctx, u.ID, hash, version, nil); err != nil {
			e.t.Fatal(err)
		}
	}
	e.hs.AddUser(name)
	return u
}

func (e *env) updateUser(u *domain.User, change func(u *domain.User)) {
	e.t.Helper()
	change(u)
	if err := e.store.Users().Update(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
}

// response is an HTTP answer, its body decoded when it is JSON.
type response struct {
	status   int
	header   http.Header
	raw      string
	json     map[string]any
	location string
}

func (r response) str(key string) string {
	s, _ := r.json[key].(string)
	return s
}

// wantError checks a Matrix error answer.
func (r response) wantError(t *testing.T, status int, errcode, message string) {
	t.Helper()
	if r.status != status || r.str("errcode") != errcode || (message != "" && r.str("error") != message) {
		t.Fatalf("got %d %s, want %d {errcode %s, error %q}", r.status, r.raw, status, errcode, message)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	return doWith(e.t, noRedirects, req)
}

func doWith(t *testing.T, c *http.Client, req *http.Request) response {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: res.StatusCode, header: res.Header, raw: string(body), location: res.Header.Get("Location")}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(body, &out.json); err != nil {
			t.Fatalf("undecodable JSON answer %q: %v", body, err)
		}
	}
	return out
}

// request builds a request to a path of the server; headers come in
// name/value pairs.
func (e *env) request(method, path, body string, headers ...string) *http.Request {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// postJSON posts a JSON body (a string is sent as is).
func (e *env) postJSON(path string, body any, headers ...string) response {
	e.t.Helper()
	raw, ok := body.(string)
	if !ok {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		raw = string(b)
	}
	return e.do(e.request("POST", path, raw, append([]string{"Content-Type", "application/json"}, headers...)...))
}

const (
	loginPath     = "/_matrix/client/v3/login"
	refreshPath   = "/_matrix/client/v3/refresh"
	logoutPath    = "/_matrix/client/v3/logout"
	logoutAllPath = "/_matrix/client/v3/logout/all"
	ssoPath       = "/_matrix/client/v3/login/sso/redirect"
)

type obj = map[string]any

func passwordBody(user, password string) obj {
	return obj{"type": "m.login.password", "identifier": obj{"type": "m.id.user", "user": user}, "password": password}
}

// login logs in with a password and checks it worked.
func (e *env) login(user, password string, extra obj) response {
	e.t.Helper()
	body := passwordBody(user, password)
	for k, v := range extra {
		body[k] = v
	}
	res := e.postJSON(loginPath, body)
	if res.status != http.StatusOK {
		e.t.Fatalf("login as %s: %d %s", user, res.status, res.raw)
	}
	return res
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// activeCompatSessions lists the user's active compat sessions.
func (e *env) activeCompatSessions(u *domain.User) []*domain.CompatSession {
	e.t.Helper()
	s, err := e.store.CompatSessions().ListActiveForUser(context.Background(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// jobs counts the enqueued jobs of kind for the user.
func (e *env) jobs(kind string, u *domain.User) int {
	e.t.Helper()
	client, err := river.NewClient(e.driver, &river.Config{})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := client.JobList(context.Background(), river.NewJobListParams().Kinds(kind).First(10000))
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, j := range res.Jobs {
		var args struct {
			UserID string `json:"user_id"`
		}
		if json.Unmarshal(j.EncodedArgs, &args) == nil && args.UserID == u.ID.String() {
			n++
		}
	}
	return n
}

// browser is a fresh browser for the service.
func (e *env) browser() *browsertest.Browser { return browsertest.New(e.t, e.srv.URL+"/") }

// loginAs gives the browser a session of u, as a login through the web
// pages would.
func (e *env) loginAs(b *browsertest.Browser, u *domain.User) *domain.BrowserSession {
	e.t.Helper()
	bs, err := e.store.BrowserSessions().Add(context.Background(), u.ID, "test browser")
	if err != nil {
		e.t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := e.h.Sessions.SetCookie(rec, bs); err != nil {
		e.t.Fatal(err)
	}
	b.SetCookies(rec.Result().Cookies())
	return bs
}

// ssoStart starts an SSO login for redirectURL and returns the path of the
// completion page.
func (e *env) ssoStart(redirectURL string, extraQuery string) string {
	e.t.Helper()
	q := "?redirectUrl=" + url.QueryEscape(redirectURL) + extraQuery
	res := e.do(e.request("GET", ssoPath+q, ""))
	if res.status != http.StatusSeeOther {
		e.t.Fatalf("SSO redirect: %d %s", res.status, res.raw)
	}
	u, err := url.Parse(res.location)
	if err != nil || !strings.HasPrefix(res.location, e.srv.URL+"/complete-compat-sso/") {
		e.t.Fatalf("SSO redirect went to %q", res.location)
	}
	return u.RequestURI()
}

// ssoApprove has the browser approve an SSO login and returns the
// loginToken the client receives.
func (e *env) ssoApprove(b *browsertest.Browser, completePath string) string {
	e.t.Helper()
	page := b.Get(completePath)
	if page.Status != http.StatusOK {
		e.t.Fatalf("consent page: %d %s", page.Status, page.Body)
	}
	res := b.Post(completePath, url.Values{"csrf": {browsertest.CSRFOf(e.t, page)}})
	if res.Status != http.StatusSeeOther {
		e.t.Fatalf("consent: %d %s", res.Status, res.Body)
	}
	u, err := url.Parse(res.Location)
	if err != nil {
		e.t.Fatal(err)
	}
	token := u.Query().Get("loginToken")
	if len(token) != 32 {
		e.t.Fatalf("redirect %q carries no 32-character loginToken", res.Location)
	}
	return token
}

// sessionLimit builds a policy engine with a session limit.
func sessionLimit(t *testing.T, soft, hard uint64) *policy.Engine {
	t.Helper()
	p, err := policy.NewWithBase(policy.Base{
		ServerName:   homeservertest.DefaultServerName,
		SessionLimit: &policy.SessionLimit{SoftLimit: soft, HardLimit: hard},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
