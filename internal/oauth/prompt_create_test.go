package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

// TestAuthorizePromptCreate: with registration open, prompt=create sends
// a browser without a session to the registration pages, carrying the
// grant to continue and the login hint; with a session it still goes to
// consent.
func TestAuthorizePromptCreate(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	e.h.Settings.RegistrationEnabled = true
	c := e.client(cb)

	params := codeParams(c, cb)
	params.Set("prompt", "create")
	params.Set("login_hint", "@alice:example.com")
	res := authorize(e.browser(), params)
	id := grantIDFrom(t, res.Location)
	want := "/auth/register?" + url.Values{
		"kind": {"continue_authorization_grant"}, "id": {id.String()}, "login_hint": {"@alice:example.com"},
	}.Encode()
	if res.Status != http.StatusSeeOther || res.Location != want {
		t.Errorf("prompt=create: %d %q, want %q", res.Status, res.Location, want)
	}

	// Without prompt=create, still the login page.
	res = authorize(e.browser(), codeParams(c, cb))
	if want := "/auth/login?id=" + grantIDFrom(t, res.Location).String() + "&kind=continue_authorization_grant"; res.Location != want {
		t.Errorf("no prompt: %q, want %q", res.Location, want)
	}

	e.user("bob")
	b := e.browser()
	e.logIn(b, "bob")
	res = authorize(b, params)
	if res.Status != http.StatusSeeOther || res.Location != "/auth/consent/"+grantIDFrom(t, res.Location).String() {
		t.Errorf("prompt=create with a session: %d %q", res.Status, res.Location)
	}
}

// TestAuthorizeWithEndedSession: a browser whose session ended elsewhere
// (signed out on another device, ended by an administrator) still carries
// its cookie. It goes on to the consent page, which sends it to the login
// page with the grant to continue and the hint; asking for the
// registration page, it gets that page at once, as when signed out.
func TestAuthorizeWithEndedSession(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	e.h.Settings.RegistrationEnabled = true
	c := e.client(cb)
	u := e.user("alice")
	b := e.browser()
	e.logIn(b, "alice")
	if _, err := e.store.BrowserSessions().FinishAllForUser(context.Background(), u.ID); err != nil {
		t.Fatal(err)
	}

	params := codeParams(c, cb)
	params.Set("login_hint", "@alice:example.com")
	res := authorize(b, params)
	id := grantIDFrom(t, res.Location)
	if res.Status != http.StatusSeeOther || res.Location != "/auth/consent/"+id.String() {
		t.Fatalf("authorize with an ended session: %d %q", res.Status, res.Location)
	}
	consent := b.Get(res.Location)
	want := "/auth/login?" + url.Values{
		"kind": {"continue_authorization_grant"}, "id": {id.String()}, "login_hint": {"@alice:example.com"},
	}.Encode()
	if consent.Status != http.StatusSeeOther || consent.Location != want {
		t.Errorf("consent with an ended session: %d %q, want %q", consent.Status, consent.Location, want)
	}

	params.Set("prompt", "create")
	res = authorize(b, params)
	want = "/auth/register?" + url.Values{
		"kind": {"continue_authorization_grant"}, "id": {grantIDFrom(t, res.Location).String()}, "login_hint": {"@alice:example.com"},
	}.Encode()
	if res.Status != http.StatusSeeOther || res.Location != want {
		t.Errorf("prompt=create with an ended session: %d %q, want %q", res.Status, res.Location, want)
	}
}
