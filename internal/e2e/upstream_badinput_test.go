package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mas/internal/browsertest"
	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/i18n"
	"mas/internal/keys"
	"mas/internal/testenv"
	"mas/internal/upstream/oidctest"
)

// The bad-input tests of the upstream login: a provider that is down,
// lies, or answers for another browser, through the whole service, against
// oidctest.Fake providers (a real provider cannot be made to misbehave).
// Each case has a provider of its own in one service per backend, so that
// the metadata the service caches for one case does not leak into another.

const (
	fakeHumanName = "Fake IdP"
	fakeClientID  = "mas-client"
	// fakeSecret has what form-encoding in Basic credentials must keep.
	fakeSecret = "fake-secret: &+é/=0123456789"
)

// fakeSpec is a provider entry of the service and the fake behind it.
type fakeSpec struct {
	fake     oidctest.FakeConfig
	provider func(p *config.UpstreamProvider)
}

// fakeEnv is the service with one fake provider per spec.
type fakeEnv struct {
	env   *testenv.Env
	ids   []string
	fakes []*oidctest.FakeProvider
}

// startFakeEnv starts a fake per spec and the service configured with all
// of them (discovery insecure: the fakes speak plain HTTP), logging at
// INFO so that tests see why a login was refused.
func startFakeEnv(t *testing.T, postgres bool, specs []fakeSpec) *fakeEnv {
	t.Helper()
	fe := &fakeEnv{}
	ids := domain.NewIDGenerator(rand.Reader)
	var providers []config.UpstreamProvider
	for _, s := range specs {
		fake := oidctest.Fake(t, s.fake)
		id := ids.New(time.Now()).String()
		p := config.UpstreamProvider{
			Enabled: true, ID: id, Issuer: fake.Issuer(), HumanName: fakeHumanName,
			ClientID: fakeClientID, ClientSecret: fakeSecret, TokenEndpointAuthMethod: config.TokenAuthClientSecretBasic,
			Scope: "openid profile email", DiscoveryMode: config.DiscoveryInsecure,
		}
		p.ClaimsImports.Localpart = config.LocalpartImport{Action: "require"}
		p.ClaimsImports.Displayname = config.AttributeImport{Action: "force"}
		p.ClaimsImports.Email = config.EmailImport{Action: "force"}
		if s.provider != nil {
			s.provider(&p)
		}
		providers = append(providers, p)
		fe.ids = append(fe.ids, id)
		fe.fakes = append(fe.fakes, fake)
	}
	fe.env = testenv.New(t, testenv.Options{Postgres: postgres, LogLevel: slog.LevelInfo, Configure: func(cfg *config.Config) {
		cfg.UpstreamOAuth2.Providers = providers
	}})
	return fe
}

// fakeLogin is one browser's login with one fake provider.
type fakeLogin struct {
	env  *testenv.Env
	fake *oidctest.FakeProvider
	id   string
	b    *browsertest.Browser
}

func (l *fakeLogin) authorizeURL() string { return l.env.URL("/upstream/authorize/" + l.id) }

// start asks the service to start the login; it must send the browser to
// the provider.
func (l *fakeLogin) start(t *testing.T) string {
	t.Helper()
	res := l.b.Get(l.authorizeURL())
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, l.fake.Issuer()+"/authorize?") {
		t.Fatalf("authorize: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	return res.Location
}

// callback starts the login and returns the provider's answer, not yet
// delivered to the service.
func (l *fakeLogin) callback(t *testing.T) *oidctest.Callback {
	t.Helper()
	return l.fake.Login(t, l.b.Client, l.start(t))
}

// run goes through the login up to the service's answer: the link page
// when the callback went through, the callback's answer otherwise.
func (l *fakeLogin) run(t *testing.T) *browsertest.Response {
	t.Helper()
	res := deliver(t, l.b, l.callback(t))
	if res.Status == http.StatusSeeOther && strings.Contains(res.Location, "/upstream/link/") {
		return l.b.Get(res.Location)
	}
	return res
}

// upstreamRows counts what a login may create or change.
type upstreamRows struct {
	Users, LinkedLinks, ConsumedAttempts, Registrations, BrowserSessions int
}

func countUpstreamRows(t *testing.T, env *testenv.Env) upstreamRows {
	t.Helper()
	ctx := context.Background()
	db := env.App.Store.(interface{ DB() *sql.DB }).DB()
	count := func(query string) int {
		var n int
		if err := db.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	users, err := env.App.Store.Users().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return upstreamRows{
		Users:            users,
		LinkedLinks:      count("SELECT COUNT(*) FROM upstream_oauth_links WHERE user_id IS NOT NULL"),
		ConsumedAttempts: count("SELECT COUNT(*) FROM upstream_oauth_authorization_sessions WHERE consumed_at IS NOT NULL"),
		Registrations:    count("SELECT COUNT(*) FROM user_registrations"),
		BrowserSessions:  count("SELECT COUNT(*) FROM user_sessions"),
	}
}

// message is the English text of a catalog message.
func message(t *testing.T, key string, args ...any) string {
	t.Helper()
	s, err := i18n.Default.Match("en").T(key, args...)
	if err != nil {
		t.Fatalf("message %s: %v", key, err)
	}
	return s
}

// wantProblemPage fails unless res is the upstream problem page with the
// message key (its provider argument the fake's name).
func wantProblemPage(t *testing.T, res *browsertest.Response, status int, key string, args ...any) {
	t.Helper()
	text := html.UnescapeString(res.Body)
	titled := strings.Contains(text, message(t, "upstream.problem.title", "provider", fakeHumanName)) ||
		strings.Contains(text, message(t, "upstream.problem.title_generic"))
	want := message(t, key, append([]any{"provider", fakeHumanName}, args...)...)
	if res.Status != status || !titled || !strings.Contains(text, want) {
		t.Fatalf("got %d, want %d and the problem page saying %q:\n%s", res.Status, status, want, res.Body)
	}
}

// wantLogLine fails unless logs hold an INFO or WARN line with every part
// (provider_id=..., the reason).
func wantLogLine(t *testing.T, logs string, parts ...string) {
	t.Helper()
	for line := range strings.SplitSeq(logs, "\n") {
		if !strings.Contains(line, "level=INFO") && !strings.Contains(line, "level=WARN") {
			continue
		}
		found := true
		for _, p := range parts {
			found = found && strings.Contains(line, p)
		}
		if found {
			return
		}
	}
	t.Errorf("no INFO or WARN log line with %q in:\n%s", parts, logs)
}

// badInput is one way an upstream login goes wrong.
type badInput struct {
	name string
	fakeSpec
	// setup runs before the rows are counted.
	setup func(t *testing.T, l *fakeLogin)
	// run makes it go wrong and returns the service's answer.
	run func(t *testing.T, l *fakeLogin) *browsertest.Response
	// status and msg (an upstream.error.* key, with args beyond the
	// provider's name) are what the problem page says; msg "" means the
	// login goes on (no problem page).
	status int
	msg    string
	args   []any
	// log is the reason the log line gives; it names the provider unless
	// anyProvider.
	log         string
	anyProvider bool
}

// Variations of run.
var (
	runLogin = func(t *testing.T, l *fakeLogin) *browsertest.Response { return l.run(t) }
	runStart = func(t *testing.T, l *fakeLogin) *browsertest.Response { return l.b.Get(l.authorizeURL()) }
)

// idToken edits the fake's ID token claims.
func idToken(edit func(c map[string]any)) fakeSpec {
	return fakeSpec{fake: oidctest.FakeConfig{IDToken: edit}}
}

func localpartTemplate(template string, claims map[string]any, edit func(p *config.UpstreamProvider)) fakeSpec {
	return fakeSpec{
		fake: oidctest.FakeConfig{Claims: claims},
		provider: func(p *config.UpstreamProvider) {
			p.ClaimsImports.Localpart.Template = template
			if edit != nil {
				edit(p)
			}
		},
	}
}

func withUsername(name string) map[string]any {
	return map[string]any{"sub": oidctest.FakeSubject, "preferred_username": name, "name": "Alice Liddell", "email": "alice@example.com"}
}

func oidcMode(edit func(doc map[string]any)) fakeSpec {
	return fakeSpec{
		fake:     oidctest.FakeConfig{Discovery: edit},
		provider: func(p *config.UpstreamProvider) { p.DiscoveryMode = config.DiscoveryOIDC },
	}
}

func insecureMode(edit func(doc map[string]any)) fakeSpec {
	return fakeSpec{fake: oidctest.FakeConfig{Discovery: edit}}
}

func noJWKSURI(doc map[string]any) { delete(doc, "jwks_uri") }

func otherIssuer(doc map[string]any) { doc["issuer"] = doc["issuer"].(string) + "/elsewhere" }

var badInputs = []badInput{
	{
		name: "unreachable at authorize",
		run: func(t *testing.T, l *fakeLogin) *browsertest.Response {
			l.fake.Close()
			return runStart(t, l)
		},
		status: http.StatusBadGateway, msg: "upstream.error.unreachable", log: "discovery request failed",
	},
	{
		name: "unreachable at the token endpoint",
		run: func(t *testing.T, l *fakeLogin) *browsertest.Response {
			cb := l.callback(t)
			l.fake.Close()
			return deliver(t, l.b, cb)
		},
		status: http.StatusBadGateway, msg: "upstream.error.unreachable", log: "token request failed",
	},
	{
		name:     "token endpoint 503",
		fakeSpec: fakeSpec{fake: oidctest.FakeConfig{TokenStatus: http.StatusServiceUnavailable}},
		run:      runLogin,
		status:   http.StatusBadGateway, msg: "upstream.error.unreachable", log: "token endpoint answered HTTP 503",
	},
	{
		name:     "token endpoint refuses the code",
		fakeSpec: fakeSpec{fake: oidctest.FakeConfig{TokenStatus: http.StatusBadRequest, TokenError: "invalid_grant"}},
		run:      runLogin,
		status:   http.StatusBadGateway, msg: "upstream.error.misconfigured", log: "(error invalid_grant",
	},
	{
		name:     "discovery 404",
		fakeSpec: fakeSpec{fake: oidctest.FakeConfig{DiscoveryStatus: http.StatusNotFound}},
		run:      runStart,
		status:   http.StatusBadGateway, msg: "upstream.error.misconfigured", log: "discovery endpoint answered HTTP 404",
	},
	{
		name: "oidc mode, no jwks_uri", fakeSpec: oidcMode(noJWKSURI), run: runStart,
		status: http.StatusBadGateway, msg: "upstream.error.misconfigured", log: "the discovery document has no jwks_uri",
	},
	{
		name: "oidc mode, issuer mismatch", fakeSpec: oidcMode(otherIssuer), run: runStart,
		status: http.StatusBadGateway, msg: "upstream.error.misconfigured", log: "is not the configured issuer",
	},
	{
		name: "oidc mode, plain http", fakeSpec: oidcMode(nil), run: runStart,
		status: http.StatusBadGateway, msg: "upstream.error.misconfigured", log: "does not use https",
	},
	{
		name: "insecure mode, no jwks_uri", fakeSpec: insecureMode(noJWKSURI), run: runStart,
		status: http.StatusBadGateway, msg: "upstream.error.misconfigured", log: "has no jwks_uri and none is configured",
	},
	{
		// What insecure mode is for: the document's issuer is not
		// checked (the tokens' iss still is).
		name: "insecure mode, issuer mismatch accepted", fakeSpec: insecureMode(otherIssuer), run: runLogin,
		status: http.StatusOK,
	},
	{
		name: "wrong state",
		run: func(t *testing.T, l *fakeLogin) *browsertest.Response {
			cb := l.callback(t)
			q := cb.URL.Query()
			q.Set("state", q.Get("state")+"x")
			cb.URL.RawQuery = q.Encode()
			return deliver(t, l.b, cb)
		},
		status: http.StatusBadRequest, msg: "upstream.error.session_unknown", log: "did not start",
	},
	{
		name: "callback in another browser",
		run: func(t *testing.T, l *fakeLogin) *browsertest.Response {
			return deliver(t, browsertest.New(t, l.env.BaseURL), l.callback(t))
		},
		status: http.StatusBadRequest, msg: "upstream.error.session_unknown", log: "did not start",
	},
	{
		name: "replayed callback",
		run: func(t *testing.T, l *fakeLogin) *browsertest.Response {
			cb := l.callback(t)
			if first := deliver(t, l.b, cb); first.Status != http.StatusSeeOther {
				t.Fatalf("first delivery: %d\n%s", first.Status, first.Body)
			}
			return deliver(t, l.b, cb)
		},
		status: http.StatusBadRequest, msg: "upstream.error.already_used", log: "replayed",
	},
	{
		name:     "access denied",
		fakeSpec: fakeSpec{fake: oidctest.FakeConfig{AuthorizeError: "access_denied"}},
		run:      runLogin,
		status:   http.StatusForbidden, msg: "upstream.error.denied", log: "(error access_denied",
	},
	{
		name: "ID token signed by an impostor", fakeSpec: fakeSpec{fake: oidctest.FakeConfig{Impostor: true}}, run: runLogin,
		status: http.StatusBadRequest, msg: "upstream.error.untrusted_answer", log: "signature does not verify",
	},
	{
		name: "ID token for another client", fakeSpec: idToken(func(c map[string]any) { c["aud"] = "another-client" }), run: runLogin,
		status: http.StatusBadRequest, msg: "upstream.error.untrusted_answer", log: "aud does not contain our client_id",
	},
	{
		name: "ID token with another nonce", fakeSpec: idToken(func(c map[string]any) { c["nonce"] = "not-the-nonce" }), run: runLogin,
		status: http.StatusBadRequest, msg: "upstream.error.untrusted_answer", log: "nonce is not the one sent",
	},
	{
		name: "ID token expired",
		fakeSpec: idToken(func(c map[string]any) {
			c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
		}),
		run:    runLogin,
		status: http.StatusBadRequest, msg: "upstream.error.untrusted_answer", log: "ID token expired at",
	},
	{
		name: "ID token from another issuer", fakeSpec: idToken(func(c map[string]any) { c["iss"] = "https://impostor.example.com" }), run: runLogin,
		status: http.StatusBadRequest, msg: "upstream.error.untrusted_answer", log: "is not the configured issuer",
	},
	{
		name: "ID token without sub", fakeSpec: idToken(func(c map[string]any) { delete(c, "sub") }), run: runLogin,
		status: http.StatusBadRequest, msg: "upstream.error.untrusted_answer", log: "has no sub claim",
	},
	{
		name:     "required localpart missing",
		fakeSpec: fakeSpec{fake: oidctest.FakeConfig{Claims: map[string]any{"sub": oidctest.FakeSubject, "name": "Alice Liddell"}}},
		run:      runLogin,
		status:   http.StatusBadRequest, msg: "upstream.error.missing_details", log: "localpart",
	},
	{
		name:     "localpart template fails to render",
		fakeSpec: localpartTemplate("{{ user.name | b64decode }}", nil, nil),
		run:      runLogin,
		status:   http.StatusBadRequest, msg: "upstream.error.missing_details", log: "claims_imports.localpart: template failed: line 1: not a base64 string",
	},
	{
		name:     "imported localpart invalid",
		fakeSpec: localpartTemplate("", withUsername("Alice Smith"), nil),
		run:      runLogin,
		status:   http.StatusConflict, msg: "upstream.error.username_invalid", args: []any{"username", "Alice Smith"},
		log: "the imported localpart cannot be used",
	},
	{
		name: "imported localpart taken, on_conflict fail",
		fakeSpec: localpartTemplate("", withUsername("taken"), func(p *config.UpstreamProvider) {
			p.ClaimsImports.Localpart.OnConflict = config.ConflictFail
		}),
		setup:  func(t *testing.T, l *fakeLogin) { l.env.RegisterUser("taken", "taken-password-0123") },
		run:    runLogin,
		status: http.StatusConflict, msg: "upstream.error.username_taken", args: []any{"username", "taken"},
		log: "taken=true",
	},
	{
		name: "authorize for an unknown provider",
		run: func(t *testing.T, l *fakeLogin) *browsertest.Response {
			return l.b.Get("/upstream/authorize/" + unknownProviderID)
		},
		status: http.StatusNotFound, msg: "upstream.error.unknown_provider", log: "provider_id=" + unknownProviderID, anyProvider: true,
	},
	{
		name: "authorize for a malformed provider ID",
		run: func(t *testing.T, l *fakeLogin) *browsertest.Response {
			return l.b.Get("/upstream/authorize/not-a-provider")
		},
		status: http.StatusNotFound, msg: "upstream.error.unknown_provider", log: "malformed", anyProvider: true,
	},
	{
		name: "callback for an unknown provider",
		run: func(t *testing.T, l *fakeLogin) *browsertest.Response {
			cb := l.callback(t)
			cb.URL.Path = strings.Replace(cb.URL.Path, l.id, unknownProviderID, 1)
			return deliver(t, l.b, cb)
		},
		status: http.StatusNotFound, msg: "upstream.error.unknown_provider", log: "provider_id=" + unknownProviderID, anyProvider: true,
	},
	{
		name: "callback for a malformed provider ID",
		run: func(t *testing.T, l *fakeLogin) *browsertest.Response {
			cb := l.callback(t)
			cb.URL.Path = strings.Replace(cb.URL.Path, l.id, "not-a-provider", 1)
			return deliver(t, l.b, cb)
		},
		status: http.StatusNotFound, msg: "upstream.error.unknown_provider", log: "malformed", anyProvider: true,
	},
	{
		name: "link step with an unknown link",
		run: func(t *testing.T, l *fakeLogin) *browsertest.Response {
			return l.b.Get("/upstream/link/" + unknownProviderID)
		},
		status: http.StatusBadRequest, msg: "upstream.error.session_unknown", log: "no such link", anyProvider: true,
	},
	{
		name: "link step of another browser's login",
		run: func(t *testing.T, l *fakeLogin) *browsertest.Response {
			res := deliver(t, l.b, l.callback(t))
			if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/upstream/link/") {
				t.Fatalf("callback: %d %q\n%s", res.Status, res.Location, res.Body)
			}
			return browsertest.New(t, l.env.BaseURL).Get(res.Location)
		},
		status: http.StatusBadRequest, msg: "upstream.error.session_unknown", log: "no login completed in this browser",
	},
	{
		name: "form_post callback over 64 KiB",
		fakeSpec: fakeSpec{provider: func(p *config.UpstreamProvider) {
			p.ResponseMode = config.ResponseModeFormPost
		}},
		run: func(t *testing.T, l *fakeLogin) *browsertest.Response {
			l.start(t)
			return l.b.Post(l.env.URL("/upstream/callback/"+l.id), url.Values{
				"state": {"whatever"}, "code": {strings.Repeat("A", 65<<10)},
			})
		},
		status: http.StatusBadRequest, msg: "upstream.error.misconfigured", log: "callback body",
	},
}

// unknownProviderID is a well-formed ID no provider has.
const unknownProviderID = "01HZZZZZZZZZZZZZZZZZZZZZZZ"

// TestUpstreamBadInput: each way an upstream login can go wrong ends on a
// page saying what happened, with a log line saying why, and nothing
// created or linked.
func TestUpstreamBadInput(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		specs := make([]fakeSpec, len(badInputs))
		for i, c := range badInputs {
			specs[i] = c.fakeSpec
		}
		fe := startFakeEnv(t, postgres, specs)
		env := fe.env
		for i, c := range badInputs {
			t.Run(c.name, func(t *testing.T) {
				l := &fakeLogin{env: env, fake: fe.fakes[i], id: fe.ids[i], b: browsertest.New(t, env.BaseURL)}
				if c.setup != nil {
					c.setup(t, l)
				}
				before := countUpstreamRows(t, env)
				logged := len(env.Logs.String())
				res := c.run(t, l)
				if c.msg == "" {
					if res.Status != c.status || strings.Contains(res.Body, message(t, "upstream.problem.title", "provider", fakeHumanName)) {
						t.Fatalf("got %d, want %d and no problem page:\n%s", res.Status, c.status, res.Body)
					}
				} else {
					wantProblemPage(t, res, c.status, c.msg, c.args...)
					parts := []string{c.log}
					if !c.anyProvider {
						parts = append(parts, "provider_id="+l.id)
					}
					wantLogLine(t, env.Logs.String()[logged:], parts...)
				}
				if after := countUpstreamRows(t, env); after != before {
					t.Errorf("rows changed: before %+v, after %+v", before, after)
				}
			})
		}
		if strings.Contains(env.Logs.String(), "panic") {
			t.Errorf("the service panicked:\n%s", env.Logs.String())
		}
		if res := browsertest.New(t, env.BaseURL).Get("/health"); res.Status != http.StatusOK {
			t.Errorf("health after the bad input: %d", res.Status)
		}
	})
}

// TestUpstreamBackchannelLogoutBadInput: the back-channel logout receiver
// answers junk with the OAuth error object, and acts on a token once.
func TestUpstreamBackchannelLogoutBadInput(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		fe := startFakeEnv(t, postgres, []fakeSpec{{provider: func(p *config.UpstreamProvider) {
			p.OnBackchannelLogout = config.BackchannelLogoutAll
		}}})
		env, fake, id := fe.env, fe.fakes[0], fe.ids[0]
		post := func(t *testing.T, provider string, form url.Values) (int, map[string]string) {
			t.Helper()
			res, err := http.PostForm(env.URL("/upstream/backchannel-logout/"+provider), form)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body map[string]string
			data, _ := io.ReadAll(res.Body)
			if len(data) > 0 {
				if err := json.Unmarshal(data, &body); err != nil {
					t.Fatalf("%d, not JSON: %s", res.StatusCode, data)
				}
			}
			return res.StatusCode, body
		}
		valid := fake.LogoutToken(oidctest.FakeSubject, "", nil)
		before := countUpstreamRows(t, env)
		for _, c := range []struct {
			name     string
			provider string
			form     url.Values
			status   int
			log      string
		}{
			{"unknown provider", unknownProviderID, url.Values{"logout_token": {valid}}, http.StatusNotFound, ""},
			{"malformed provider ID", "not-a-provider", url.Values{"logout_token": {valid}}, http.StatusNotFound, ""},
			{"no logout_token", id, url.Values{}, http.StatusBadRequest, "no logout_token"},
			{"garbage", id, url.Values{"logout_token": {"garbage.garbage.garbage"}}, http.StatusBadRequest, "refused a logout token"},
			{"impostor", id, url.Values{"logout_token": {impostorToken(fake)}}, http.StatusBadRequest, "signature does not verify"},
			{"ID token instead", id, url.Values{"logout_token": {fake.LogoutToken(oidctest.FakeSubject, "", func(c map[string]any) {
				c["nonce"] = "n"
			})}}, http.StatusBadRequest, "carries a nonce"},
			{"first use", id, url.Values{"logout_token": {valid}}, http.StatusOK, ""},
			{"replayed jti", id, url.Values{"logout_token": {valid}}, http.StatusBadRequest, "replayed"},
		} {
			t.Run(c.name, func(t *testing.T) {
				logged := len(env.Logs.String())
				status, body := post(t, c.provider, c.form)
				if status != c.status {
					t.Fatalf("status %d %v, want %d", status, body, c.status)
				}
				if status != http.StatusOK && (body["error"] != "invalid_request" || body["error_description"] == "") {
					t.Errorf("body %v, want the invalid_request error object", body)
				}
				if c.log != "" {
					wantLogLine(t, env.Logs.String()[logged:], c.log, "provider_id="+id)
				}
			})
		}
		if after := countUpstreamRows(t, env); after != before {
			t.Errorf("rows changed: before %+v, after %+v", before, after)
		}
	})
}

// impostorToken is a logout token signed by the fake's impostor key.
func impostorToken(fake *oidctest.FakeProvider) string {
	fake.Update(func(c *oidctest.FakeConfig) { c.Impostor = true })
	defer fake.Update(func(c *oidctest.FakeConfig) { c.Impostor = false })
	return fake.LogoutToken(oidctest.FakeSubject, "", nil)
}

// TestUpstreamClientAuthAndPKCE: every token_endpoint_auth_method reaches
// the provider's token endpoint with its client authentication, and every
// pkce_method sends a challenge or not.
func TestUpstreamClientAuthAndPKCE(t *testing.T) {
	appleKey, applePEM := appleTestKey(t)
	type check func(t *testing.T, env *testenv.Env, req oidctest.TokenRequest)
	methods := []struct {
		method config.TokenAuthMethod
		edit   func(p *config.UpstreamProvider)
		check  check
	}{
		{config.TokenAuthNone, func(p *config.UpstreamProvider) { p.ClientSecret = "" }, checkNoneAuth},
		{config.TokenAuthClientSecretBasic, nil, checkBasicAuth},
		{config.TokenAuthClientSecretPost, nil, checkPostAuth},
		{config.TokenAuthClientSecretJWT, func(p *config.UpstreamProvider) { p.TokenEndpointAuthSigningAlg = "HS256" }, checkSecretJWT},
		{config.TokenAuthPrivateKeyJWT, func(p *config.UpstreamProvider) {
			p.ClientSecret, p.TokenEndpointAuthSigningAlg = "", "RS256"
		}, checkPrivateKeyJWT},
		{config.TokenAuthSignInWithApple, func(p *config.UpstreamProvider) {
			p.ClientSecret = ""
			p.SignInWithApple = &config.SignInWithApple{PrivateKey: applePEM, TeamID: appleTeamID, KeyID: appleKeyID}
		}, func(t *testing.T, env *testenv.Env, req oidctest.TokenRequest) { checkAppleAuth(t, appleKey, req) }},
	}
	pkce := []struct {
		name      string
		method    config.PKCEMethod
		discovery func(doc map[string]any)
		want      bool
	}{
		{"always", config.PKCEAlways, func(doc map[string]any) { delete(doc, "code_challenge_methods_supported") }, true},
		{"never", config.PKCENever, nil, false},
		{"auto, S256 listed", config.PKCEAuto, nil, true},
		{"auto, not listed", config.PKCEAuto, func(doc map[string]any) { delete(doc, "code_challenge_methods_supported") }, false},
	}
	backends(t, func(t *testing.T, postgres bool) {
		var specs []fakeSpec
		for _, m := range methods {
			specs = append(specs, fakeSpec{provider: func(p *config.UpstreamProvider) {
				p.TokenEndpointAuthMethod = m.method
				if m.edit != nil {
					m.edit(p)
				}
			}})
		}
		for _, c := range pkce {
			specs = append(specs, fakeSpec{
				fake:     oidctest.FakeConfig{Discovery: c.discovery},
				provider: func(p *config.UpstreamProvider) { p.PKCEMethod = c.method },
			})
		}
		fe := startFakeEnv(t, postgres, specs)
		login := func(t *testing.T, i int) *oidctest.FakeProvider {
			t.Helper()
			l := &fakeLogin{env: fe.env, fake: fe.fakes[i], id: fe.ids[i], b: browsertest.New(t, fe.env.BaseURL)}
			res := deliver(t, l.b, l.callback(t))
			if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/upstream/link/") {
				t.Fatalf("callback: %d %q\n%s", res.Status, res.Location, res.Body)
			}
			if n := len(l.fake.TokenRequests()); n != 1 {
				t.Fatalf("%d token requests, want 1", n)
			}
			return l.fake
		}
		for i, m := range methods {
			t.Run(string(m.method), func(t *testing.T) {
				fake := login(t, i)
				m.check(t, fe.env, fake.TokenRequests()[0])
			})
		}
		for j, c := range pkce {
			t.Run("pkce "+c.name, func(t *testing.T) {
				fake := login(t, len(methods)+j)
				authz, tok := fake.AuthorizeRequests()[0], fake.TokenRequests()[0]
				sent := authz.Has("code_challenge")
				if sent != c.want || authz.Has("code_challenge_method") != c.want || tok.Form.Has("code_verifier") != c.want {
					t.Errorf("authorization request %v, token request %v: want PKCE %v", authz, tok.Form, c.want)
				}
				if c.want && authz.Get("code_challenge_method") != "S256" {
					t.Errorf("code_challenge_method %q", authz.Get("code_challenge_method"))
				}
			})
		}
	})
}

const (
	appleTeamID   = "TEAM123456"
	appleKeyID    = "APPLEKEY01"
	jwtBearer     = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	appleAudience = "https://appleid.apple.com"
)

// appleTestKey is an EC P-256 key in the PKCS#8 PEM form of Apple's .p8
// files, parsed and as text.
func appleTestKey(t *testing.T) (*keys.PrivateKey, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	pk, err := keys.ParsePrivateKey(keys.Spec{KID: appleKeyID, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return pk, string(data)
}

// noOtherCredentials fails if req carries credentials other than the
// ones named.
func noOtherCredentials(t *testing.T, req oidctest.TokenRequest, allowed ...string) {
	t.Helper()
	has := map[string]bool{
		"basic":            req.Header.Get("Authorization") != "",
		"client_secret":    req.Form.Has("client_secret"),
		"client_assertion": req.Form.Has("client_assertion") || req.Form.Has("client_assertion_type"),
	}
	for _, a := range allowed {
		delete(has, a)
	}
	for what, present := range has {
		if present {
			t.Errorf("the token request carries %s too: %v %v", what, req.Header, req.Form)
		}
	}
}

func checkNoneAuth(t *testing.T, _ *testenv.Env, req oidctest.TokenRequest) {
	noOtherCredentials(t, req)
	if req.Form.Get("client_id") != fakeClientID {
		t.Errorf("client_id %q", req.Form.Get("client_id"))
	}
}

func checkBasicAuth(t *testing.T, _ *testenv.Env, req oidctest.TokenRequest) {
	noOtherCredentials(t, req, "basic")
	h, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Basic ")
	raw, err := base64.StdEncoding.DecodeString(h)
	user, pass, found := strings.Cut(string(raw), ":")
	if !ok || err != nil || !found {
		t.Fatalf("Authorization %q", req.Header.Get("Authorization"))
	}
	// RFC 6749 §2.3.1: form-encoded, then Basic.
	id, _ := url.QueryUnescape(user)
	secret, _ := url.QueryUnescape(pass)
	if id != fakeClientID || secret != fakeSecret {
		t.Errorf("Basic credentials %q %q", id, secret)
	}
}

func checkPostAuth(t *testing.T, _ *testenv.Env, req oidctest.TokenRequest) {
	noOtherCredentials(t, req, "client_secret")
	if req.Form.Get("client_id") != fakeClientID || req.Form.Get("client_secret") != fakeSecret {
		t.Errorf("form %v", req.Form)
	}
}

func checkSecretJWT(t *testing.T, _ *testenv.Env, req oidctest.TokenRequest) {
	noOtherCredentials(t, req, "client_assertion")
	payload, hdr, err := keys.VerifyHMAC(req.Form.Get("client_assertion"), []byte(fakeSecret), []string{"HS256"})
	if err != nil {
		t.Fatalf("client_assertion: %v", err)
	}
	checkAssertion(t, req, hdr, payload)
}

func checkPrivateKeyJWT(t *testing.T, env *testenv.Env, req oidctest.TokenRequest) {
	noOtherCredentials(t, req, "client_assertion")
	res, err := http.Get(env.URL("/oauth2/keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	jwks, _ := io.ReadAll(res.Body)
	payload, hdr, err := keys.VerifyWithJWKS(req.Form.Get("client_assertion"), jwks, []string{"RS256"})
	if err != nil {
		t.Fatalf("client_assertion against the service's JWK Set: %v", err)
	}
	if hdr.Kid == "" {
		t.Error("the client assertion names no key")
	}
	checkAssertion(t, req, hdr, payload)
}

// checkAssertion checks a client assertion's claims (RFC 7523 §3).
func checkAssertion(t *testing.T, req oidctest.TokenRequest, hdr keys.Header, payload []byte) {
	t.Helper()
	if req.Form.Get("client_assertion_type") != jwtBearer {
		t.Errorf("client_assertion_type %q", req.Form.Get("client_assertion_type"))
	}
	var c struct {
		Iss, Sub, Aud, Jti string
		Exp                int64
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	if c.Iss != fakeClientID || c.Sub != fakeClientID || c.Aud != req.URL || c.Jti == "" || c.Exp <= time.Now().Unix() {
		t.Errorf("assertion (%s) claims %s, want iss and sub %s, aud %s, a jti, exp ahead", hdr.Alg, payload, fakeClientID, req.URL)
	}
}

func checkAppleAuth(t *testing.T, key *keys.PrivateKey, req oidctest.TokenRequest) {
	t.Helper()
	noOtherCredentials(t, req, "client_secret")
	ks, err := keys.NewKeySetFromKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	payload, hdr, err := keys.VerifyWithJWKS(req.Form.Get("client_secret"), ks.JWKS(), []string{"ES256"})
	if err != nil {
		t.Fatalf("client_secret is not an ES256 JWT of the configured key: %v", err)
	}
	var c struct {
		Iss, Sub, Aud string
		Exp           int64
	}
	_ = json.Unmarshal(payload, &c)
	if hdr.Kid != appleKeyID || req.Form.Get("client_id") != fakeClientID || c.Iss != appleTeamID || c.Sub != fakeClientID ||
		c.Aud != appleAudience || c.Exp <= time.Now().Unix() {
		t.Errorf("Sign in with Apple secret: kid %q, claims %s, client_id %q", hdr.Kid, payload, req.Form.Get("client_id"))
	}
}
