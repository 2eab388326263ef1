package oauth_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mas/internal/browsertest"
	"mas/internal/domain"
	"mas/internal/policy"
)

// startGrant sends a logged-in browser through /authorize with params and
// returns the consent page's path.
func startGrant(t *testing.T, b *browsertest.Browser, params url.Values) string {
	t.Helper()
	res := authorize(b, params)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/auth/consent/") {
		t.Fatalf("authorize: %d %q\n%s", res.Status, res.Location, res.Body)
	}
	return res.Location
}

// loggedIn creates a user and a browser logged in as them.
func loggedIn(t *testing.T, e *humanEnv, name string) *browsertest.Browser {
	t.Helper()
	e.user(name)
	b := e.browser()
	e.logIn(b, name)
	return b
}

func TestConsentAllow(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	b := loggedIn(t, e, "alice")
	params := codeParams(c, cb)
	params.Set("scope", "openid urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ")
	consent := startGrant(t, b, params)

	page := b.Get(consent)
	if page.Status != http.StatusOK || page.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("consent page: %d %v", page.Status, page.Header)
	}
	for _, want := range []string{
		"Test Client", "https://client.example/", "@alice:example.com", "client.example",
		"Confirm who you are", "read and send messages", "Sign in as device ABCDEFGHIJ",
	} {
		if !strings.Contains(page.Body, html.EscapeString(want)) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	for _, want := range []string{`name="action" value="allow"`, `name="action" value="deny"`, `src="https://client.example/logo.png"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if strings.Contains(page.Body, "Warning:") {
		t.Error("no scope here deserves a warning")
	}

	res := b.Post(consent, url.Values{"csrf": {browsertest.CSRFOf(t, page)}, "action": {"allow"}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("allow: %d %v\n%s", res.Status, res.Header, res.Body)
	}
	g := e.grant(grantIDFrom(t, consent))
	if g.Stage() != domain.StageFulfilled || g.BrowserSessionID == nil {
		t.Errorf("grant after allow: %+v", g)
	}
	if want := cb + "?code=" + g.Code + "&state=xyz+state#"; res.Location != want {
		t.Errorf("Location %q, want %q", res.Location, want)
	}
	if strings.Contains(res.Location, "iss=") {
		t.Error("iss is not sent, as upstream")
	}

	// Answering twice is refused.
	res = b.Post(consent, url.Values{"csrf": {browsertest.CSRFOf(t, page)}, "action": {"allow"}})
	if res.Status != http.StatusConflict {
		t.Errorf("second answer: %d", res.Status)
	}
	if res := b.Get(consent); res.Status != http.StatusConflict {
		t.Errorf("consent page of an answered grant: %d", res.Status)
	}
}

func TestConsentDeny(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	b := loggedIn(t, e, "alice")
	consent := startGrant(t, b, codeParams(c, cb))
	res := b.Post(consent, url.Values{"csrf": {browsertest.CSRFOf(t, b.Get(consent))}, "action": {"deny"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("deny: %d\n%s", res.Status, res.Body)
	}
	got := responseParams(t, res.Location, false)
	if got.Get("error") != "access_denied" || got.Get("state") != "xyz state" || got.Has("code") {
		t.Errorf("Location %q", res.Location)
	}
	if g := e.grant(grantIDFrom(t, consent)); g.Stage() != domain.StageCancelled {
		t.Errorf("grant stage %s", g.Stage())
	}
}

func TestConsentResponseModes(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	withQuery := "https://client.example/cb?tenant=a%20b&x=1"
	native := "com.example.app:/callback"
	c := e.client(cb, withQuery, native)
	b := loggedIn(t, e, "alice")

	allow := func(params url.Values) (*browsertest.Response, *domain.AuthorizationGrant) {
		t.Helper()
		consent := startGrant(t, b, params)
		res := b.Post(consent, url.Values{"csrf": {browsertest.CSRFOf(t, b.Get(consent))}, "action": {"allow"}})
		return res, e.grant(grantIDFrom(t, consent))
	}

	t.Run("query keeps the registered query", func(t *testing.T) {
		res, g := allow(codeParams(c, withQuery))
		if want := withQuery + "&code=" + g.Code + "&state=xyz+state#"; res.Location != want {
			t.Errorf("Location %q, want %q", res.Location, want)
		}
	})
	t.Run("fragment", func(t *testing.T) {
		params := codeParams(c, cb)
		params.Set("response_mode", "fragment")
		res, g := allow(params)
		if want := cb + "#code=" + g.Code + "&state=xyz+state"; res.Location != want {
			t.Errorf("Location %q, want %q", res.Location, want)
		}
	})
	for _, uri := range []string{cb, native} {
		t.Run("form_post to "+uri, func(t *testing.T) {
			params := codeParams(c, uri)
			params.Set("response_mode", "form_post")
			params.Set("state", `"><script>alert(1)</script>`)
			res, g := allow(params)
			if res.Status != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("form_post: %d %v", res.Status, res.Header)
			}
			for _, want := range []string{
				`<form method="post" action="` + uri + `">`,
				`<input type="hidden" name="code" value="` + g.Code + `">`,
				`<input type="hidden" name="state" value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">`,
				"<noscript>", "document.forms[0].submit()",
			} {
				if !strings.Contains(res.Body, want) {
					t.Errorf("form_post page lacks %q:\n%s", want, res.Body)
				}
			}
		})
	}
	t.Run("form_post error", func(t *testing.T) {
		// Only a client of the configuration gets errors at its redirect
		// URI before any user interaction (see TestAuthorizeErrorRedirects).
		static := e.client(cb)
		static.IsStatic = true
		if err := e.store.Clients().UpsertStatic(context.Background(), static); err != nil {
			t.Fatal(err)
		}
		params := codeParams(static, cb)
		params.Set("response_mode", "form_post")
		params.Set("prompt", "none")
		res := authorize(b, params)
		if res.Status != http.StatusOK || !strings.Contains(res.Body, `name="error" value="login_required"`) {
			t.Errorf("form_post error: %d\n%s", res.Status, res.Body)
		}
	})
}

func TestConsentRequiresSessionAndCSRF(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	b := loggedIn(t, e, "alice")
	consent := startGrant(t, b, codeParams(c, cb))
	token := browsertest.CSRFOf(t, b.Get(consent))

	if res := b.Post(consent, url.Values{"action": {"allow"}}); res.Status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", res.Status)
	}
	if res := b.Post(consent, url.Values{"csrf": {token + "x"}, "action": {"allow"}}); res.Status != http.StatusForbidden {
		t.Errorf("wrong CSRF: %d", res.Status)
	}
	if res := b.Post(consent, url.Values{"csrf": {token}, "action": {"maybe"}}); res.Status != http.StatusBadRequest {
		t.Errorf("unknown action: %d", res.Status)
	}

	// Another browser, not logged in, is sent to log in first.
	other := e.browser()
	id := grantIDFrom(t, consent)
	res := other.Get(consent)
	if want := "/auth/login?id=" + id.String() + "&kind=continue_authorization_grant"; res.Status != http.StatusSeeOther || res.Location != want {
		t.Errorf("without session: %d %q, want %q", res.Status, res.Location, want)
	}
	if g := e.grant(id); g.Stage() != domain.StagePending {
		t.Errorf("grant stage %s", g.Stage())
	}

	for _, path := range []string{"/consent/nope", "/consent/01ARZ3NDEKTSV4RRFFQ69G5FAV"} {
		if res := b.Get(path); res.Status != http.StatusNotFound {
			t.Errorf("%s: %d", path, res.Status)
		}
	}
}

func TestConsentStaleGrant(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	b := loggedIn(t, e, "alice")
	consent := startGrant(t, b, codeParams(c, cb))
	e.clock.Advance(61 * time.Minute)
	if res := b.Get(consent); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "expired") {
		t.Errorf("stale consent page: %d\n%s", res.Status, res.Body)
	}
	// A form token from a fresh page does not help.
	token := browsertest.CSRFOf(t, b.Get("/"))
	if res := b.Post(consent, url.Values{"csrf": {token}, "action": {"allow"}}); res.Status != http.StatusBadRequest {
		t.Errorf("stale consent: %d", res.Status)
	}
	if g := e.grant(grantIDFrom(t, consent)); g.Stage() != domain.StagePending {
		t.Errorf("stale grant was acted on: %s", g.Stage())
	}
}

func TestConsentPolicyViolation(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	b := loggedIn(t, e, "alice")
	params := codeParams(c, cb)
	params.Set("scope", "openid urn:synapse:admin:*")
	consent := startGrant(t, b, params)

	page := b.Get(consent)
	if page.Status != http.StatusForbidden || !strings.Contains(page.Body, html.EscapeString("scope 'urn:synapse:admin:*' not allowed")) {
		t.Fatalf("policy violation page: %d\n%s", page.Status, page.Body)
	}
	if strings.Contains(page.Body, `value="allow"`) {
		t.Error("the violation page offers to allow")
	}
	// Posting anyway is refused the same way.
	res := b.Post(consent, url.Values{"csrf": {browsertest.CSRFOf(t, page)}, "action": {"allow"}})
	if res.Status != http.StatusForbidden {
		t.Errorf("allow despite policy: %d", res.Status)
	}
	if g := e.grant(grantIDFrom(t, consent)); g.Stage() != domain.StagePending {
		t.Errorf("grant stage %s", g.Stage())
	}

	// A user allowed to request admin sees the scope, with a warning.
	admin := e.user("root")
	admin.CanRequestAdmin = true
	if err := e.store.Users().Update(context.Background(), admin); err != nil {
		t.Fatal(err)
	}
	rb := e.browser()
	e.logIn(rb, "root")
	consent = startGrant(t, rb, params)
	page = rb.Get(consent)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "Warning:") || !strings.Contains(page.Body, "Administer the homeserver") {
		t.Errorf("admin consent: %d\n%s", page.Status, page.Body)
	}
}

func TestConsentSessionLimit(t *testing.T) {
	engine, err := policy.NewWithBase(policy.Base{ServerName: testServerName, SessionLimit: &policy.SessionLimit{SoftLimit: 1, HardLimit: 2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := newHumanEnv(t, humanOptions{policy: engine})
	c := e.client(cb)
	b := loggedIn(t, e, "alice")
	alice, _ := e.store.Users().FindByUsername(context.Background(), "alice")
	if err := e.store.Sessions().Add(context.Background(), &domain.Session{ClientID: c.ID, UserID: &alice.ID, Scope: []string{"openid"}}); err != nil {
		t.Fatal(err)
	}
	page := b.Get(startGrant(t, b, codeParams(c, cb)))
	if page.Status != http.StatusForbidden || !strings.Contains(page.Body, "too many active sessions") || !strings.Contains(page.Body, `href="/auth/account/"`) {
		t.Errorf("session limit page: %d\n%s", page.Status, page.Body)
	}
}
