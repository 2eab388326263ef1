package oauth_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/policy"
)

// startGrant sends a logged-in browser through /authorize with params and
// returns the consent page's path.
func startGrant(t *testing.T, b *browser, params url.Values) string {
	t.Helper()
	res := b.authorize(params)
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/auth/consent/") {
		t.Fatalf("authorize: %d %q\n%s", res.status, res.location, res.body)
	}
	return res.location
}

// loggedIn creates a user and a browser logged in as them.
func loggedIn(t *testing.T, e *humanEnv, name string) *browser {
	t.Helper()
	e.user(name)
	b := e.browser()
	b.login(name)
	return b
}

func TestConsentAllow(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	b := loggedIn(t, e, "alice")
	params := codeParams(c, cb)
	params.Set("scope", "openid urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ")
	consent := startGrant(t, b, params)

	page := b.get(consent)
	if page.status != http.StatusOK || page.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("consent page: %d %v", page.status, page.header)
	}
	for _, want := range []string{
		"Test Client", "https://client.example/", "@alice:example.com", "client.example",
		"Confirm who you are", "read and send messages", "Sign in as device ABCDEFGHIJ",
	} {
		if !strings.Contains(page.body, html.EscapeString(want)) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	for _, want := range []string{`name="action" value="allow"`, `name="action" value="deny"`, `src="https://client.example/logo.png"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "Warning:") {
		t.Error("no scope here deserves a warning")
	}

	res := b.post(consent, url.Values{"csrf": {csrfOf(t, page)}, "action": {"allow"}})
	if res.status != http.StatusSeeOther || res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("allow: %d %v\n%s", res.status, res.header, res.body)
	}
	g := e.grant(grantIDFrom(t, consent))
	if g.Stage() != "fulfilled" || g.BrowserSessionID == nil {
		t.Errorf("grant after allow: %+v", g)
	}
	if want := cb + "?code=" + g.Code + "&state=xyz+state#"; res.location != want {
		t.Errorf("Location %q, want %q", res.location, want)
	}
	if strings.Contains(res.location, "iss=") {
		t.Error("iss is not sent, as upstream")
	}

	// Answering twice is refused.
	res = b.post(consent, url.Values{"csrf": {csrfOf(t, page)}, "action": {"allow"}})
	if res.status != http.StatusConflict {
		t.Errorf("second answer: %d", res.status)
	}
	if res := b.get(consent); res.status != http.StatusConflict {
		t.Errorf("consent page of an answered grant: %d", res.status)
	}
}

func TestConsentDeny(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	b := loggedIn(t, e, "alice")
	consent := startGrant(t, b, codeParams(c, cb))
	res := b.post(consent, url.Values{"csrf": {csrfOf(t, b.get(consent))}, "action": {"deny"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("deny: %d\n%s", res.status, res.body)
	}
	got := responseParams(t, res.location, false)
	if got.Get("error") != "access_denied" || got.Get("state") != "xyz state" || got.Has("code") {
		t.Errorf("Location %q", res.location)
	}
	if g := e.grant(grantIDFrom(t, consent)); g.Stage() != "cancelled" {
		t.Errorf("grant stage %s", g.Stage())
	}
}

func TestConsentResponseModes(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	withQuery := "https://client.example/cb?tenant=a%20b&x=1"
	native := "com.example.app:/callback"
	c := e.client(cb, withQuery, native)
	b := loggedIn(t, e, "alice")

	allow := func(params url.Values) (response, *domain.AuthorizationGrant) {
		t.Helper()
		consent := startGrant(t, b, params)
		res := b.post(consent, url.Values{"csrf": {csrfOf(t, b.get(consent))}, "action": {"allow"}})
		return res, e.grant(grantIDFrom(t, consent))
	}

	t.Run("query keeps the registered query", func(t *testing.T) {
		res, g := allow(codeParams(c, withQuery))
		if want := withQuery + "&code=" + g.Code + "&state=xyz+state#"; res.location != want {
			t.Errorf("Location %q, want %q", res.location, want)
		}
	})
	t.Run("fragment", func(t *testing.T) {
		params := codeParams(c, cb)
		params.Set("response_mode", "fragment")
		res, g := allow(params)
		if want := cb + "#code=" + g.Code + "&state=xyz+state"; res.location != want {
			t.Errorf("Location %q, want %q", res.location, want)
		}
	})
	for _, uri := range []string{cb, native} {
		t.Run("form_post to "+uri, func(t *testing.T) {
			params := codeParams(c, uri)
			params.Set("response_mode", "form_post")
			params.Set("state", `"><script>alert(1)</script>`)
			res, g := allow(params)
			if res.status != http.StatusOK || res.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("form_post: %d %v", res.status, res.header)
			}
			for _, want := range []string{
				`<form method="post" action="` + uri + `">`,
				`<input type="hidden" name="code" value="` + g.Code + `">`,
				`<input type="hidden" name="state" value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">`,
				"<noscript>", "document.forms[0].submit()",
			} {
				if !strings.Contains(res.body, want) {
					t.Errorf("form_post page lacks %q:\n%s", want, res.body)
				}
			}
		})
	}
	t.Run("form_post error", func(t *testing.T) {
		params := codeParams(c, cb)
		params.Set("response_mode", "form_post")
		params.Set("prompt", "none")
		res := b.authorize(params)
		if res.status != http.StatusOK || !strings.Contains(res.body, `name="error" value="login_required"`) {
			t.Errorf("form_post error: %d\n%s", res.status, res.body)
		}
	})
}

func TestConsentRequiresSessionAndCSRF(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	b := loggedIn(t, e, "alice")
	consent := startGrant(t, b, codeParams(c, cb))
	token := csrfOf(t, b.get(consent))

	if res := b.post(consent, url.Values{"action": {"allow"}}); res.status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", res.status)
	}
	if res := b.post(consent, url.Values{"csrf": {token + "x"}, "action": {"allow"}}); res.status != http.StatusForbidden {
		t.Errorf("wrong CSRF: %d", res.status)
	}
	if res := b.post(consent, url.Values{"csrf": {token}, "action": {"maybe"}}); res.status != http.StatusBadRequest {
		t.Errorf("unknown action: %d", res.status)
	}

	// Another browser, not logged in, is sent to log in first.
	other := e.browser()
	id := grantIDFrom(t, consent)
	res := other.get(consent)
	if want := "/auth/login?id=" + id.String() + "&kind=continue_authorization_grant"; res.status != http.StatusSeeOther || res.location != want {
		t.Errorf("without session: %d %q, want %q", res.status, res.location, want)
	}
	if g := e.grant(id); g.Stage() != "pending" {
		t.Errorf("grant stage %s", g.Stage())
	}

	for _, path := range []string{"/consent/nope", "/consent/01ARZ3NDEKTSV4RRFFQ69G5FAV"} {
		if res := b.get(path); res.status != http.StatusNotFound {
			t.Errorf("%s: %d", path, res.status)
		}
	}
}

func TestConsentStaleGrant(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	b := loggedIn(t, e, "alice")
	consent := startGrant(t, b, codeParams(c, cb))
	e.clock.Advance(61 * time.Minute)
	if res := b.get(consent); res.status != http.StatusBadRequest || !strings.Contains(res.body, "expired") {
		t.Errorf("stale consent page: %d\n%s", res.status, res.body)
	}
	// A form token from a fresh page does not help.
	token := csrfOf(t, b.get("/"))
	if res := b.post(consent, url.Values{"csrf": {token}, "action": {"allow"}}); res.status != http.StatusBadRequest {
		t.Errorf("stale consent: %d", res.status)
	}
	if g := e.grant(grantIDFrom(t, consent)); g.Stage() != "pending" {
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

	page := b.get(consent)
	if page.status != http.StatusForbidden || !strings.Contains(page.body, html.EscapeString("scope 'urn:synapse:admin:*' not allowed")) {
		t.Fatalf("policy violation page: %d\n%s", page.status, page.body)
	}
	if strings.Contains(page.body, `value="allow"`) {
		t.Error("the violation page offers to allow")
	}
	// Posting anyway is refused the same way.
	res := b.post(consent, url.Values{"csrf": {csrfOf(t, page)}, "action": {"allow"}})
	if res.status != http.StatusForbidden {
		t.Errorf("allow despite policy: %d", res.status)
	}
	if g := e.grant(grantIDFrom(t, consent)); g.Stage() != "pending" {
		t.Errorf("grant stage %s", g.Stage())
	}

	// A user allowed to request admin sees the scope, with a warning.
	admin := e.user("root")
	admin.CanRequestAdmin = true
	if err := e.store.Users().Update(context.Background(), admin); err != nil {
		t.Fatal(err)
	}
	rb := e.browser()
	rb.login("root")
	consent = startGrant(t, rb, params)
	page = rb.get(consent)
	if page.status != http.StatusOK || !strings.Contains(page.body, "Warning:") || !strings.Contains(page.body, "Administer the homeserver") {
		t.Errorf("admin consent: %d\n%s", page.status, page.body)
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
	page := b.get(startGrant(t, b, codeParams(c, cb)))
	if page.status != http.StatusForbidden || !strings.Contains(page.body, "too many active sessions") || !strings.Contains(page.body, `href="/auth/account/"`) {
		t.Errorf("session limit page: %d\n%s", page.status, page.body)
	}
}
