package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mas/internal/domain"
	"mas/internal/homeserver/homeservertest"
)

// TestAccountSignInAndBack: /account moves to /account/ with its query;
// without a session the account pages send to the login page with the
// manage_account action, MSC4191 parameters included, and the login comes
// back to them.
func TestAccountSignInAndBack(t *testing.T) {
	e := newEnv(t, envOptions{settings: accountSettings()})
	e.user("alice", strongPassword)
	b := e.browser()

	wantRedirect(t, "/account", b.Get("/account?action=org.matrix.profile"), "/auth/account/?action=org.matrix.profile")
	wantRedirect(t, "/account without query", b.Get("/account"), "/auth/account/")

	res := b.Get("/account/?action=org.matrix.sessions_list&device_id=DEV1&other=x")
	login, err := url.Parse(res.Location)
	if res.Status != http.StatusSeeOther || err != nil || login.Path != "/auth/login" {
		t.Fatalf("signed out: %d %q", res.Status, res.Location)
	}
	want := url.Values{"kind": {"manage_account"}, "action": {"org.matrix.sessions_list"}, "device_id": {"DEV1"}}
	if got := login.Query(); got.Encode() != want.Encode() {
		t.Fatalf("login query %v, want %v", got, want)
	}
	res = b.Post(res.Location, url.Values{"csrf": {b.CSRF(res.Location)}, "username": {"alice"}, "password": {strongPassword}})
	wantRedirect(t, "login", res, "/auth/account/?action=org.matrix.sessions_list&device_id=DEV1")
	wantRedirect(t, "deep link after login", b.Get(res.Location), "/auth/account/sessions")

	// Each section brings its own way back.
	other := e.browser()
	for path, back := range map[string]string{
		"/account/password/change":     "kind=change_password",
		"/account/sessions":            "action=org.matrix.sessions_list&kind=manage_account",
		"/account/reset-cross-signing": "action=org.matrix.cross_signing_reset&kind=manage_account",
		"/account/emails":              "kind=manage_account",
	} {
		wantRedirect(t, path, other.Get(path), "/auth/login?"+back)
	}
	// A form posted without a session goes to the login page too.
	wantRedirect(t, "post signed out", other.Post("/account/display-name", url.Values{}), "/auth/login?kind=manage_account")
}

// TestAccountDeepLinks: every MSC4191 action (and the older spellings
// upstream accepts) opens its page; unknown ones the profile.
func TestAccountDeepLinks(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	ctx := context.Background()
	compat := &domain.CompatSession{UserID: a.alice.ID, DeviceID: "COMPATDEV"}
	if err := a.store.CompatSessions().Add(ctx, compat); err != nil {
		t.Fatal(err)
	}
	oauth := a.oauthSession("Element", "OAUTHDEVICE")
	sessions := "/auth/account/sessions"

	for _, tt := range []struct {
		query, location string
	}{
		{"action=org.matrix.sessions_list", sessions},
		{"action=sessions_list", sessions},
		{"action=org.matrix.devices_list", sessions},
		{"action=org.matrix.session_view&device_id=COMPATDEV", "/auth/account/sessions/" + compat.ID.String()},
		{"action=session_view&device_id=COMPATDEV", "/auth/account/sessions/" + compat.ID.String()},
		{"action=org.matrix.session_end&device_id=OAUTHDEVICE", "/auth/account/sessions/" + oauth.ID.String()},
		{"action=session_end&device_id=OAUTHDEVICE", "/auth/account/sessions/" + oauth.ID.String()},
		{"action=org.matrix.device_view&device_id=OAUTHDEVICE", "/auth/account/sessions/" + oauth.ID.String()},
		{"action=org.matrix.device_delete&device_id=COMPATDEV", "/auth/account/sessions/" + compat.ID.String()},
		{"action=org.matrix.session_view", sessions},
		{"action=org.matrix.cross_signing_reset", "/auth/account/reset-cross-signing"},
	} {
		wantRedirect(t, tt.query, a.b.Get("/account/?"+tt.query), tt.location)
	}
	for _, q := range []string{"", "action=org.matrix.profile", "action=profile", "action=org.matrix.unknown", "action=org.matrix.msc4191.profile"} {
		want(t, q, a.b.Get("/account/?"+q), http.StatusOK, "@alice:example.com", `aria-current="page">Profile`)
	}
	// A device no session of alice holds: the list, told so.
	want(t, "unknown device", a.b.Get("/account/?action=org.matrix.device_delete&device_id=NOSUCH"), http.StatusNotFound,
		"No active session of your account uses the device NOSUCH.")
	// The landing pages render.
	want(t, "session page", a.b.Get("/account/sessions/"+oauth.ID.String()), http.StatusOK, "Element", "OAUTHDEVICE", "End session")
	want(t, "reset page", a.b.Get("/account/reset-cross-signing"), http.StatusOK, "Reset your identity")
}

// TestAccountProfile: the display name comes from the homeserver and is
// changed there; refusals and homeserver failures change nothing.
func TestAccountProfile(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	displayName := func() string {
		u, _ := a.hs.User("alice")
		return u.DisplayName
	}

	want(t, "profile", a.b.Get("/account/"), http.StatusOK, "alice", "@alice:example.com", `name="display_name"`)

	res := a.submit("/account/", "/account/display-name", url.Values{"display_name": {"  Alice L.  "}})
	wantRedirect(t, "set", res, "/auth/account/?done=display-name")
	if got := displayName(); got != "Alice L." {
		t.Fatalf("display name on the homeserver = %q", got)
	}
	want(t, "after set", a.b.Get(res.Location), http.StatusOK, "Alice L.", "Your display name was saved.")

	want(t, "too long", a.submit("/account/", "/account/display-name", url.Values{"display_name": {strings.Repeat("é", 256)}}),
		http.StatusBadRequest, "at most 255 characters")
	want(t, "no CSRF", a.b.Post("/account/display-name", url.Values{"display_name": {"Mallory"}}), http.StatusForbidden)

	a.hs.SetHook("/_synapse/mas/set_displayname", func(*http.Request, []byte) *homeservertest.Response {
		return homeservertest.MatrixErrorResponse(http.StatusInternalServerError, "M_UNKNOWN", "boom")
	})
	want(t, "homeserver failure", a.submit("/account/", "/account/display-name", url.Values{"display_name": {"Other"}}),
		http.StatusBadGateway, "The homeserver did not accept the change.")
	a.hs.SetHook("/_synapse/mas/set_displayname", nil)
	if got := displayName(); got != "Alice L." {
		t.Fatalf("display name after refusals = %q", got)
	}

	wantRedirect(t, "unset", a.submit("/account/", "/account/display-name", url.Values{"display_name": {""}}), "/auth/account/?done=display-name")
	if got := displayName(); got != "" {
		t.Fatalf("display name after unset = %q", got)
	}

	// The homeserver down: the profile still shows, without the name.
	a.hs.SetDown(true)
	want(t, "homeserver down", a.b.Get("/account/"), http.StatusOK, "Could not be loaded right now")
	a.hs.SetDown(false)
}

// TestAccountProfileDisabled: without displayname_change_allowed there is
// no form, and a posted one is refused.
func TestAccountProfileDisabled(t *testing.T) {
	s := accountSettings()
	s.DisplayNameChangeAllowed = false
	a := newAccountEnv(t, envOptions{settings: s})
	if res := a.b.Get("/account/"); res.Status != http.StatusOK || strings.Contains(res.Body, `name="display_name"`) {
		t.Fatalf("profile offers the display name form: %d\n%s", res.Status, res.Body)
	}
	want(t, "post", a.submit("/account/", "/account/display-name", url.Values{"display_name": {"X"}}),
		http.StatusForbidden, "This is not available on this server.")
	if u, _ := a.hs.User("alice"); u.DisplayName != "alice" {
		t.Fatalf("display name changed to %q", u.DisplayName)
	}
}

// TestAccountUnusableUser: a browser whose user was locked (or
// deactivated) after signing in is told so, with no account actions.
func TestAccountUnusableUser(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	ctx := context.Background()
	a.alice.Lock(a.clock.Now())
	if err := a.store.Users().Update(ctx, a.alice); err != nil {
		t.Fatal(err)
	}
	res := a.b.Get("/account/sessions")
	want(t, "locked", res, http.StatusForbidden, "@alice:example.com")
	if strings.Contains(res.Body, "End session") || strings.Contains(res.Body, `action="/auth/account`) {
		t.Fatalf("locked user gets account actions:\n%s", res.Body)
	}

	if err := a.alice.Deactivate(a.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := a.store.Users().Update(ctx, a.alice); err != nil {
		t.Fatal(err)
	}
	want(t, "deactivated", a.b.Get("/account/"), http.StatusForbidden, "Account deactivated", "@alice:example.com")
}

// TestAccountPlan: the plan tab exists only with
// plan_management_iframe_uri, and frames it.
func TestAccountPlan(t *testing.T) {
	a := newAccountEnv(t, envOptions{})
	if res := a.b.Get("/account/"); strings.Contains(res.Body, "/account/plan") {
		t.Fatalf("plan tab without a plan URI:\n%s", res.Body)
	}
	if res := a.b.Get("/account/plan"); res.Status != http.StatusNotFound {
		t.Fatalf("plan page without a plan URI: %d", res.Status)
	}

	s := accountSettings()
	s.PlanManagementIframeURI = "https://billing.example.com/plan"
	p := newAccountEnv(t, envOptions{settings: s})
	want(t, "profile", p.b.Get("/account/"), http.StatusOK, `href="/auth/account/plan"`)
	want(t, "plan", p.b.Get("/account/plan"), http.StatusOK, `<iframe`, `src="https://billing.example.com/plan"`)
}
