package oauth_test

import (
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
