package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"mas/internal/browsertest"
	"mas/internal/domain"
	"mas/internal/web"
)

// strongPassword passes minimum_complexity 3.
const strongPassword = "velvet quasar ledger 9 orbit"

// accountSettings turns every account feature on.
func accountSettings() web.Settings {
	return web.Settings{
		PasswordChangeAllowed: true, EmailChangeAllowed: true, DisplayNameChangeAllowed: true,
		AccountDeactivationAllowed: true, MinimumPasswordComplexity: 3,
	}
}

// accountEnv is an environment with the account pages on, and alice
// (known to the fake homeserver) signed in.
type accountEnv struct {
	*env
	alice *domain.User
	b     *browsertest.Browser
}

func newAccountEnv(t *testing.T, opts envOptions) *accountEnv {
	t.Helper()
	if opts.settings == (web.Settings{}) {
		opts.settings = accountSettings()
	}
	e := newEnv(t, opts)
	a := &accountEnv{env: e, alice: e.user("alice", strongPassword), b: e.browser()}
	e.hs.AddUser("alice")
	logIn(t, a.b, "alice", strongPassword)
	return a
}

// submit posts form to target with the CSRF token of the page at from.
func (a *accountEnv) submit(from, target string, form url.Values) *browsertest.Response {
	a.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", a.b.CSRF(from))
	return a.b.Post(target, form)
}

// want fails unless res has the status and its body holds every text.
func want(t *testing.T, what string, res *browsertest.Response, status int, texts ...string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, res.Status, status, res.Body)
	}
	for _, s := range texts {
		if !strings.Contains(res.Body, s) {
			t.Fatalf("%s: page lacks %q\n%s", what, s, res.Body)
		}
	}
}

// wantRedirect fails unless res is a 303 to location.
func wantRedirect(t *testing.T, what string, res *browsertest.Response, location string) {
	t.Helper()
	if res.Status != http.StatusSeeOther || res.Location != location {
		t.Fatalf("%s: %d to %q, want 303 to %q\n%s", what, res.Status, res.Location, location, res.Body)
	}
}

// userEmails lists the user's addresses.
func (a *accountEnv) userEmails(userID domain.ID) []string {
	a.t.Helper()
	list, err := a.store.UserEmails().ListForUser(context.Background(), userID)
	if err != nil {
		a.t.Fatal(err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Email)
	}
	return out
}

// oauthSession gives alice an OAuth 2.0 session of a new client holding
// device.
func (a *accountEnv) oauthSession(clientName, device string) *domain.Session {
	a.t.Helper()
	ctx := context.Background()
	c := &domain.Client{ClientName: clientName, RedirectURIs: []string{"https://client.example/cb"}, GrantAuthorizationCode: true}
	if err := a.store.Clients().Add(ctx, c); err != nil {
		a.t.Fatal(err)
	}
	s := &domain.Session{
		ClientID: c.ID, UserID: &a.alice.ID,
		Scope: []string{"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:" + device},
	}
	if err := a.store.Sessions().Add(ctx, s); err != nil {
		a.t.Fatal(err)
	}
	return s
}

// signedInWithoutPassword creates a user without a password (as an
// upstream provider's login makes them) and a browser signed in as it.
func (e *env) signedInWithoutPassword(username string) *browsertest.Browser {
	e.t.Helper()
	u := e.user(username, "")
	e.hs.AddUser(username)
	rec := httptest.NewRecorder()
	if _, err := e.h.Sessions.Start(rec, httptest.NewRequest(http.MethodGet, e.urls.Base(), nil), u, nil); err != nil {
		e.t.Fatal(err)
	}
	b := e.browser()
	b.SetCookies(rec.Result().Cookies())
	return b
}
