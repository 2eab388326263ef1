package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"mas/internal/browsertest"
	"mas/internal/domain"
	"mas/internal/oauth"
	"mas/internal/testdb"
)

const cb = "https://client.example/cb"

func TestAuthorizeHTMLErrors(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	one := e.client(cb)
	two := e.client(cb, "https://client.example/other")
	none := e.client()

	tests := []struct {
		name   string
		params url.Values
		want   string
	}{
		{"missing client_id", url.Values{"response_type": {"code"}, "redirect_uri": {cb}}, "client_id"},
		{"malformed client_id", url.Values{"client_id": {"nope"}, "redirect_uri": {cb}}, "client_id"},
		{"unknown client", url.Values{"client_id": {"01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "redirect_uri": {cb}}, "not registered"},
		{"unregistered redirect_uri", url.Values{"client_id": {one.ID.String()}, "redirect_uri": {"https://evil.example/cb"}}, "not registered"},
		{"redirect_uri differing by a slash", url.Values{"client_id": {one.ID.String()}, "redirect_uri": {cb + "/"}}, "not registered"},
		{"omitted redirect_uri with two registered", url.Values{"client_id": {two.ID.String()}}, "redirect_uri is required"},
		{"no redirect_uri registered", url.Values{"client_id": {none.ID.String()}}, "no registered redirect URI"},
		{"unknown response_mode", url.Values{"client_id": {one.ID.String()}, "response_type": {"code"}, "response_mode": {"web_message"}}, "response_mode"},
		{"query mode for an id_token", url.Values{"client_id": {one.ID.String()}, "response_type": {"id_token"}, "response_mode": {"query"}}, "response_mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.params.Set("state", "s")
			tt.params.Set("scope", "openid")
			res := authorize(e.browser(), tt.params)
			if res.Status != http.StatusBadRequest || res.Location != "" {
				t.Fatalf("status %d, Location %q", res.Status, res.Location)
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(res.Body, tt.want) {
				t.Errorf("page lacks %q:\n%s", tt.want, res.Body)
			}
		})
	}
}

// TestAuthorizeErrorRedirects: errors of a request from a client of the
// configuration go back to its redirect URI; the same errors of a
// dynamically registered client are shown on this service's page instead,
// or anyone could register a client and use this origin as an open
// redirector needing no user interaction (RFC 9700 §4.11.2).
func TestAuthorizeErrorRedirects(t *testing.T) {
	for _, static := range []bool{true, false} {
		name := "dynamic client"
		if static {
			name = "static client"
		}
		t.Run(name, func(t *testing.T) { testAuthorizeErrors(t, static) })
	}
}

func testAuthorizeErrors(t *testing.T, static bool) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	noCode := &domain.Client{RedirectURIs: []string{cb}, GrantClientCredentials: true, TokenEndpointAuthMethod: "client_secret_basic"}
	if err := e.store.Clients().Add(context.Background(), noCode); err != nil {
		t.Fatal(err)
	}
	if static {
		for _, cl := range []*domain.Client{c, noCode} {
			cl.IsStatic = true
			if err := e.store.Clients().UpsertStatic(context.Background(), cl); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Logged in, so that no case is explained by a missing session.
	e.user("alice")
	challenge := strings.Repeat("a", 43)

	tests := []struct {
		name     string
		client   *domain.Client
		set      url.Values
		del      []string
		code     string
		fragment bool // the error comes back in the fragment
	}{
		{name: "request object", set: url.Values{"request": {"eyJ"}}, code: "request_not_supported"},
		{name: "request_uri", set: url.Values{"request_uri": {"https://client.example/r"}}, code: "request_uri_not_supported"},
		{name: "registration", set: url.Values{"registration": {"{}"}}, code: "registration_not_supported"},
		{name: "token response", set: url.Values{"response_type": {"token"}}, code: "unsupported_response_type", fragment: true},
		{name: "code token response", set: url.Values{"response_type": {"code token"}}, code: "unsupported_response_type", fragment: true},
		{name: "unknown response type", set: url.Values{"response_type": {"magic"}}, code: "unsupported_response_type"},
		{name: "missing response type", del: []string{"response_type"}, code: "invalid_request"},
		{name: "id_token without implicit", set: url.Values{"response_type": {"id_token"}}, code: "unauthorized_client", fragment: true},
		{name: "code id_token without implicit", set: url.Values{"response_type": {"code id_token"}}, code: "unauthorized_client", fragment: true},
		{name: "prompt=none", set: url.Values{"prompt": {"none"}}, code: "login_required"},
		{name: "client without the code grant", client: noCode, code: "unauthorized_client"},
		{name: "PKCE without code", set: url.Values{"response_type": {"none"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}, code: "invalid_request"},
		{name: "unsupported PKCE method", set: url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S512"}}, code: "invalid_request"},
		{name: "PKCE method without challenge", del: []string{"code_challenge"}, code: "invalid_request"},
		{name: "public client without PKCE", del: []string{"code_challenge", "code_challenge_method"}, code: "invalid_request"},
		{name: "public client with plain PKCE", set: url.Values{"code_challenge_method": {"plain"}}, code: "invalid_request"},
		{name: "short PKCE challenge", set: url.Values{"code_challenge": {"abc"}, "code_challenge_method": {"S256"}}, code: "invalid_request"},
		{name: "missing scope", del: []string{"scope"}, code: "invalid_scope"},
		{name: "doubled space in scope", set: url.Values{"scope": {"openid  email"}}, code: "invalid_scope"},
		{name: "quote in scope", set: url.Values{"scope": {`openid "x"`}}, code: "invalid_scope"},
		{name: "explicit fragment mode", set: url.Values{"request": {"x"}, "response_mode": {"fragment"}}, code: "request_not_supported", fragment: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := c
			if tt.client != nil {
				client = tt.client
			}
			params := codeParams(client, cb)
			for k, v := range tt.set {
				params[k] = v
			}
			for _, k := range tt.del {
				params.Del(k)
			}
			b := e.browser()
			e.logIn(b, "alice")
			res := authorize(b, params)
			if !static {
				if res.Status != http.StatusBadRequest || res.Location != "" || !strings.Contains(res.Body, "<code>"+tt.code+"</code>") {
					t.Fatalf("dynamic client: %d to %q, want our error page with %s:\n%s", res.Status, res.Location, tt.code, res.Body)
				}
				return
			}
			if res.Status != http.StatusSeeOther {
				t.Fatalf("status %d:\n%s", res.Status, res.Body)
			}
			got := responseParams(t, res.Location, tt.fragment)
			if got.Get("error") != tt.code || got.Get("error_description") == "" || got.Get("state") != "xyz state" {
				t.Errorf("Location %q", res.Location)
			}
			if !strings.HasPrefix(res.Location, cb) {
				t.Errorf("redirected to %q", res.Location)
			}
		})
	}
}

// responseParams reads the parameters of an authorization response
// redirect from its query or its fragment.
func responseParams(t *testing.T, location string, fragment bool) url.Values {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	raw := u.RawQuery
	if fragment {
		raw = u.Fragment
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestAuthorizeRedirectURIMatching(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	tests := []struct {
		registered, requested string
		ok                    bool
	}{
		{"https://client.example/cb", "https://client.example/cb", true},
		{"https://client.example/cb?a=1", "https://client.example/cb?a=1", true},
		{"https://client.example/cb", "https://client.example/cb?a=1", false},
		{"https://client.example/cb", "https://CLIENT.example/cb", false},
		{"http://127.0.0.1/cb", "http://127.0.0.1:43123/cb", true},
		{"http://localhost/cb", "http://localhost:8080/cb", true},
		{"http://[::1]/cb", "http://[::1]:9999/cb", true},
		{"http://127.0.0.1/cb", "http://127.0.0.1/cb", true},
		{"http://127.0.0.1/cb", "http://127.0.0.1:43123/other", false},
		{"http://127.0.0.1:8080/cb", "http://127.0.0.1:9090/cb", false},
		{"http://127.0.0.1:8080/cb", "http://127.0.0.1:8080/cb", true},
		{"https://client.example/cb", "https://client.example:8443/cb", false},
		{"http://127.0.0.2/cb", "http://127.0.0.2:8080/cb", false},
		{"com.example.app:/cb", "com.example.app:/cb", true},
	}
	for _, tt := range tests {
		c := e.client(tt.registered)
		res := authorize(e.browser(), codeParams(c, tt.requested))
		redirected := res.Status == http.StatusSeeOther
		if redirected != tt.ok {
			t.Errorf("registered %q, requested %q: status %d Location %q", tt.registered, tt.requested, res.Status, res.Location)
			continue
		}
		if tt.ok {
			// The request went on to the login page, with the grant
			// remembering the URI as requested.
			g := e.grant(grantIDFrom(t, res.Location))
			if g.RedirectURI != tt.requested {
				t.Errorf("stored redirect URI %q, want %q", g.RedirectURI, tt.requested)
			}
		}
	}

	// Omitted, with exactly one registered: that one.
	c := e.client(cb)
	params := codeParams(c, cb)
	params.Del("redirect_uri")
	res := authorize(e.browser(), params)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("omitted redirect_uri: %d", res.Status)
	}
	if g := e.grant(grantIDFrom(t, res.Location)); g.RedirectURI != cb {
		t.Errorf("stored redirect URI %q", g.RedirectURI)
	}
}

var alnum32 = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)

func TestAuthorizeStoresGrant(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	challenge := "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	params := codeParams(c, cb)
	params.Set("scope", "urn:matrix:client:api:* openid openid")
	params.Set("nonce", "n-0S6")
	params.Set("login_hint", "@alice:example.com")
	params.Set("code_challenge", challenge)
	params.Set("code_challenge_method", "S256")
	res := e.browser().Get("/authorize?"+params.Encode(), "Accept-Language", "fr-CA, en;q=0.5")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("status %d:\n%s", res.Status, res.Body)
	}
	g := e.grant(grantIDFrom(t, res.Location))
	switch {
	case g.ClientID != c.ID, g.RedirectURI != cb, g.State != "xyz state", g.Nonce != "n-0S6":
		t.Errorf("grant basics: %+v", g)
	case strings.Join(g.Scope, " ") != "openid urn:matrix:client:api:*":
		t.Errorf("scope %q (want sorted, no duplicates)", g.Scope)
	case !g.ResponseTypeCode || g.ResponseTypeIDToken || g.ResponseMode != "query":
		t.Errorf("response type/mode: %+v", g)
	case g.CodeChallenge != challenge || g.CodeChallengeMethod != "S256":
		t.Errorf("PKCE: %q %q", g.CodeChallenge, g.CodeChallengeMethod)
	case !alnum32.MatchString(g.Code):
		t.Errorf("code %q", g.Code)
	case g.LoginHint != "@alice:example.com" || g.Locale != "fr" || g.RawParameters != params.Encode():
		t.Errorf("hint %q, locale %q, raw %q", g.LoginHint, g.Locale, g.RawParameters)
	case g.Stage() != domain.StagePending:
		t.Errorf("stage %s", g.Stage())
	}

	// Confidential clients may use plain PKCE or none (public clients
	// may not: see TestAuthorizeErrorRedirects).
	conf := &domain.Client{
		RedirectURIs: []string{cb}, GrantAuthorizationCode: true,
		TokenEndpointAuthMethod: "client_secret_basic", ApplicationType: "web",
	}
	if err := e.store.Clients().Add(context.Background(), conf); err != nil {
		t.Fatal(err)
	}
	params.Set("client_id", conf.ID.String())
	// A challenge without a method is plain (RFC 7636 §4.3).
	params.Del("code_challenge_method")
	res = authorize(e.browser(), params)
	if g := e.grant(grantIDFrom(t, res.Location)); g.CodeChallengeMethod != "plain" || g.CodeChallenge != challenge {
		t.Errorf("plain PKCE: %q %q", g.CodeChallenge, g.CodeChallengeMethod)
	}
	// No challenge, nothing stored; no Accept-Language, English.
	params.Del("code_challenge")
	res = authorize(e.browser(), params)
	if g := e.grant(grantIDFrom(t, res.Location)); g.CodeChallenge != "" || g.CodeChallengeMethod != "" || g.Locale != "en" {
		t.Errorf("no PKCE: %+v", g)
	}
}

func TestAuthorizeWithoutSession(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	for _, hint := range []string{"@alice:example.com", "alice"} {
		params := codeParams(c, cb)
		params.Set("login_hint", hint)
		res := authorize(e.browser(), params)
		id := grantIDFrom(t, res.Location)
		want := "/auth/login?" + url.Values{
			"kind": {"continue_authorization_grant"}, "id": {id.String()}, "login_hint": {hint},
		}.Encode()
		if res.Status != http.StatusSeeOther || res.Location != want {
			t.Errorf("login redirect %d %q, want %q", res.Status, res.Location, want)
		}
	}

	// With registration closed, prompt=create is not advertised and means
	// a login (prompt_create_test.go covers it open).
	params := codeParams(c, cb)
	params.Set("prompt", "create")
	res := authorize(e.browser(), params)
	id := grantIDFrom(t, res.Location)
	if want := "/auth/login?id=" + id.String() + "&kind=continue_authorization_grant"; res.Location != want {
		t.Errorf("prompt=create: %q, want %q", res.Location, want)
	}
}

func TestAuthorizeWithSessionGoesToConsent(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	e.user("alice")
	b := e.browser()
	e.logIn(b, "alice")
	params := codeParams(c, cb)
	params.Set("prompt", "create login") // with a session, nothing to create
	res := authorize(b, params)
	id := grantIDFrom(t, res.Location)
	if res.Status != http.StatusSeeOther || res.Location != "/auth/consent/"+id.String() {
		t.Errorf("%d %q", res.Status, res.Location)
	}
}

func TestAuthorizeThroughLogin(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	e.user("alice")
	b := e.browser()
	params := codeParams(c, cb)
	params.Set("login_hint", "@alice:example.com")
	res := authorize(b, params)

	login := b.Get(res.Location)
	if !strings.Contains(login.Body, `value="alice"`) || !strings.Contains(login.Body, "Test Client") {
		t.Errorf("login page lacks the hint or the client:\n%s", login.Body)
	}
	res = b.Post(res.Location, url.Values{"csrf": {browsertest.CSRFOf(t, login)}, "username": {"alice"}, "password": {"pw"}})
	id := grantIDFrom(t, res.Location)
	if res.Status != http.StatusSeeOther || res.Location != "/auth/consent/"+id.String() {
		t.Fatalf("after login: %d %q", res.Status, res.Location)
	}
}

// TestAuthorizeRefusesNonText: a parameter that is not text is refused on
// our error page (nothing of the request can be trusted yet, not even the
// redirect URI), and no grant is stored.
// TestAuthorizeRefusesOverlongRequests: every authorization request stores
// its parameters for whoever sent it, logged in or not, so their size is
// bounded; a request at the bound still works.
func TestAuthorizeRefusesOverlongRequests(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	params := codeParams(c, cb)
	params.Set("state", "")
	params.Set("state", strings.Repeat("s", oauth.MaxAuthorizeQueryBytes-len(params.Encode())))
	if res := authorize(e.browser(), params); res.Status != http.StatusSeeOther {
		t.Fatalf("a request of exactly %d bytes: %d\n%s", len(params.Encode()), res.Status, res.Body)
	}
	params.Set("state", params.Get("state")+"s")
	res := authorize(e.browser(), params)
	if res.Status != http.StatusRequestURITooLong || res.Location != "" || !strings.Contains(res.Body, "too long") {
		t.Fatalf("%d to %q:\n%s", res.Status, res.Location, res.Body)
	}
	var n int
	if err := testdb.DB(t, e.store).QueryRow(`SELECT COUNT(*) FROM oauth2_authorization_grants`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d grants stored (%v), want only the one within the bound", n, err)
	}
}

func TestAuthorizeRefusesNonText(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	for name, set := range map[string]url.Values{
		"NUL in state":           {"state": {"a\x00b"}},
		"invalid UTF-8 in nonce": {"nonce": {"\xff\xfe"}},
		"NUL in login_hint":      {"login_hint": {"alice\x00"}},
	} {
		t.Run(name, func(t *testing.T) {
			params := codeParams(c, cb)
			for k, v := range set {
				params[k] = v
			}
			res := authorize(e.browser(), params)
			if res.Status != http.StatusBadRequest || res.Location != "" || !strings.Contains(res.Body, "is not valid text") {
				t.Fatalf("%d to %q:\n%s", res.Status, res.Location, res.Body)
			}
		})
	}
	var n int
	if err := testdb.DB(t, e.store).QueryRow(`SELECT COUNT(*) FROM oauth2_authorization_grants`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d grants stored (%v)", n, err)
	}
}
