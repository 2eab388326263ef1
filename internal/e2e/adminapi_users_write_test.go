package e2e

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/homeserver/homeservertest"
	"mas/internal/store"
	"mas/internal/testenv"
)

// userWriteEnv is adminEnv with a password strength minimum, so that weak
// passwords are refused.
func userWriteEnv(t *testing.T, postgres bool) (*testenv.Env, string) {
	e := testenv.New(t, testenv.Options{Postgres: postgres, Configure: func(cfg *config.Config) {
		configureAdmin(cfg)
		cfg.Passwords.MinimumComplexity = 3
	}})
	return e, clientCredentialsToken(t, e, "urn:mas:admin")
}

// userAttr reads one attribute of a user resource.
func userAttr(t *testing.T, a apiAnswer, name string) any {
	t.Helper()
	if a.Data == nil || a.Data.Type != "user" {
		t.Fatalf("not a user: %v", a.Raw)
	}
	return a.Data.Attributes[name]
}

// TestAdminAPICreateUser: POST /users creates and provisions a user; bad
// and taken usernames are refused with upstream's statuses and titles,
// and nothing is created.
func TestAdminAPICreateUser(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e, token := userWriteEnv(t, postgres)
		ctx := context.Background()
		call := func(body any) apiAnswer { return adminCall(t, e, token, "POST", "/api/admin/v1/users", body) }

		a := call(map[string]any{"username": "alice", "displayname": "Alice A."}).expect(t, http.StatusCreated)
		u, err := e.App.Store.Users().FindByUsername(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if a.Data.ID != u.ID.String() || userAttr(t, a, "username") != "alice" || userAttr(t, a, "admin") != false ||
			a.Links.Self != "/api/admin/v1/users/"+u.ID.String() || a.Data.Links.Self != a.Links.Self {
			t.Errorf("created: %v", a.Raw)
		}
		e.WaitProvisioned("alice")
		e.Eventually("alice's display name", func() bool {
			hu, _ := e.Homeserver.User("alice")
			return hu.DisplayName == "Alice A."
		})

		// Taken here, then on the homeserver only.
		call(map[string]any{"username": "alice"}).expect(t, http.StatusConflict, "User already exists")
		e.Homeserver.AddUser("bridgebot")
		call(map[string]any{"username": "bridgebot"}).expect(t, http.StatusConflict, "Username is reserved by the homeserver")
		if _, err := e.App.Store.Users().FindByUsername(ctx, "bridgebot"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("reserved username created: %v", err)
		}
		calls := e.Homeserver.Calls("/_synapse/mas/is_localpart_available")
		call(map[string]any{"username": "bridgebot", "skip_homeserver_check": true}).expect(t, http.StatusCreated)
		if got := e.Homeserver.Calls("/_synapse/mas/is_localpart_available"); got != calls {
			t.Errorf("skip_homeserver_check still asked the homeserver")
		}

		// Invalid usernames and bodies.
		for _, name := range []string{"", "_hidden", "Bob", "bob smith", "bob:example.org", "bøb", strings.Repeat("a", 256)} {
			call(map[string]any{"username": name}).expect(t, http.StatusBadRequest, "Username is not valid")
		}
		call(map[string]any{"username": "a.b=c_d-e/f+g"}).expect(t, http.StatusCreated) // every allowed sign
		for _, body := range []any{"{", `{"username": 5}`, `["alice"]`, `{"username":"x"} trailing`} {
			if a := call(body).expect(t, http.StatusBadRequest); !strings.HasPrefix(a.Title(), "Invalid JSON body") {
				t.Errorf("%v: title %q", body, a.Title())
			}
		}
		if n, err := e.App.Store.Users().CountFiltered(ctx, store.UserFilter{}); err != nil || n != 3 {
			t.Errorf("%d users (%v), want alice, bridgebot and a.b=c_d-e/f+g", n, err)
		}
	})
}

// TestAdminAPIUserActions: set-password, set-admin, lock, unlock,
// deactivate and reactivate change the user here and on the homeserver,
// answer the user with the action's link, and refuse bad input.
func TestAdminAPIUserActions(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e, token := userWriteEnv(t, postgres)
		ctx := context.Background()
		alice := e.CreateUser("alice", "first password")
		path := "/api/admin/v1/users/" + alice.ID.String()
		post := func(action string, body any) apiAnswer {
			return adminCall(t, e, token, "POST", path+"/"+action, body)
		}
		lookup := func() *domain.User {
			u, err := e.App.Store.Users().Lookup(ctx, alice.ID)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		checkPassword := func(password string) {
			t.Helper()
			pw, err := e.App.Store.Passwords().Active(ctx, alice.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.App.Passwords.Verify(ctx, pw.Version, pw.HashedPassword, password); err != nil {
				t.Fatalf("active password is not %q: %v", password, err)
			}
		}

		// set-password.
		post("set-password", map[string]any{"password": "hunter2"}).expect(t, http.StatusBadRequest, "Password is too weak")
		post("set-password", map[string]any{"password": ""}).expect(t, http.StatusBadRequest, "Password is too weak")
		post("set-password", map[string]any{"password": "alice"}).expect(t, http.StatusBadRequest, "Password is too weak")
		checkPassword("first password")
		if a := post("set-password", map[string]any{"password": "hunter2", "skip_password_check": true}).expect(t, http.StatusNoContent); a.Raw != nil {
			t.Errorf("204 with a body: %v", a.Raw)
		}
		checkPassword("hunter2")
		post("set-password", map[string]any{"password": "Correct-Horse-Battery-Staple-1984"}).expect(t, http.StatusNoContent)
		checkPassword("Correct-Horse-Battery-Staple-1984")
		post("set-password", "{").expect(t, http.StatusBadRequest)

		// set-admin.
		a := post("set-admin", map[string]any{"admin": true}).expect(t, http.StatusOK)
		if userAttr(t, a, "admin") != true || a.Links.Self != path+"/set-admin" || a.Data.Links.Self != path || !lookup().CanRequestAdmin {
			t.Errorf("set-admin true: %v", a.Raw)
		}
		post("set-admin", map[string]any{}).expect(t, http.StatusBadRequest)
		post("set-admin", map[string]any{"admin": "yes"}).expect(t, http.StatusBadRequest)
		if a := post("set-admin", map[string]any{"admin": false}).expect(t, http.StatusOK); userAttr(t, a, "admin") != false || lookup().CanRequestAdmin {
			t.Errorf("set-admin false: %v", a.Raw)
		}

		// lock and unlock, pushed to the homeserver.
		hsUser := func(what string, cond func(homeservertest.FakeUser) bool) {
			t.Helper()
			e.Eventually(what, func() bool {
				u, ok := e.Homeserver.User("alice")
				return ok && cond(u)
			})
		}
		a = post("lock", nil).expect(t, http.StatusOK)
		if userAttr(t, a, "locked_at") == nil || a.Links.Self != path+"/lock" || lookup().LockedAt == nil {
			t.Errorf("lock: %v", a.Raw)
		}
		hsUser("alice locked on the homeserver", func(u homeservertest.FakeUser) bool { return u.Locked })
		a = post("unlock", nil).expect(t, http.StatusOK)
		if userAttr(t, a, "locked_at") != nil || a.Links.Self != path+"/unlock" || lookup().LockedAt != nil {
			t.Errorf("unlock: %v", a.Raw)
		}
		hsUser("alice unlocked on the homeserver", func(u homeservertest.FakeUser) bool { return !u.Locked })

		// deactivate ends the sessions and erases on the homeserver.
		compat := &domain.CompatSession{UserID: alice.ID, DeviceID: "ALICEDEV"}
		if err := e.App.Store.CompatSessions().Add(ctx, compat); err != nil {
			t.Fatal(err)
		}
		a = post("deactivate", nil).expect(t, http.StatusOK)
		if userAttr(t, a, "deactivated_at") == nil || userAttr(t, a, "locked_at") != nil || a.Links.Self != path+"/deactivate" {
			t.Errorf("deactivate: %v", a.Raw)
		}
		hsUser("alice deactivated and erased", func(u homeservertest.FakeUser) bool { return u.Deactivated && u.Erased })
		e.Eventually("alice's compat session to end", func() bool {
			s, err := e.App.Store.CompatSessions().Lookup(ctx, compat.ID)
			return err == nil && s.FinishedAt != nil
		})

		// reactivate, by a job that asks the homeserver first.
		a = post("reactivate", nil).expect(t, http.StatusOK)
		if a.Links.Self != path+"/reactivate" {
			t.Errorf("reactivate: %v", a.Raw)
		}
		hsUser("alice reactivated", func(u homeservertest.FakeUser) bool { return !u.Deactivated })
		e.Eventually("alice reactivated here", func() bool { return lookup().DeactivatedAt == nil })

		// skip_erase.
		bob := e.CreateUser("bob", "bob password")
		adminCall(t, e, token, "POST", "/api/admin/v1/users/"+bob.ID.String()+"/deactivate", map[string]any{"skip_erase": true}).expect(t, http.StatusOK)
		e.Eventually("bob deactivated, not erased", func() bool {
			u, ok := e.Homeserver.User("bob")
			return ok && u.Deactivated && !u.Erased
		})
		adminCall(t, e, token, "POST", "/api/admin/v1/users/"+bob.ID.String()+"/deactivate", "{").expect(t, http.StatusBadRequest)

		// Unknown and malformed IDs.
		unknown := "/api/admin/v1/users/" + domain.ZeroID.String()
		bodies := map[string]any{"set-password": map[string]any{"password": "Correct-Horse-Battery-Staple-1984"}, "set-admin": map[string]any{"admin": true}}
		for _, action := range []string{"set-password", "set-admin", "lock", "unlock", "deactivate", "reactivate"} {
			adminCall(t, e, token, "POST", unknown+"/"+action, bodies[action]).expect(t, http.StatusNotFound, "User ID 00000000000000000000000000 not found")
			adminCall(t, e, token, "POST", "/api/admin/v1/users/nope/"+action, bodies[action]).expect(t, http.StatusBadRequest, `Invalid ID "nope"`)
		}
	})
}

// TestAdminAPISetPasswordDisabled: without password authentication,
// set-password answers 403.
func TestAdminAPISetPasswordDisabled(t *testing.T) {
	e := testenv.New(t, testenv.Options{Configure: func(cfg *config.Config) {
		configureAdmin(cfg)
		cfg.Passwords.Enabled = false
	}})
	token := clientCredentialsToken(t, e, "urn:mas:admin")
	u, err := e.App.Store.Users().Add(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	adminCall(t, e, token, "POST", "/api/admin/v1/users/"+u.ID.String()+"/set-password",
		map[string]any{"password": "Correct-Horse-Battery-Staple-1984"}).expect(t, http.StatusForbidden, "Password auth is disabled")
}

// TestAdminAPIUserSessionFilters: GET /users filters users by their
// active OAuth 2.0 sessions (of given clients, or any) and compat
// sessions.
func TestAdminAPIUserSessionFilters(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := adminEnv(t, postgres)
		token := clientCredentialsToken(t, e, "urn:mas:admin")
		ctx := context.Background()
		st := e.App.Store
		add := func(name string) *domain.User {
			u, err := st.Users().Add(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		alice, bob, carol, _ := add("alice"), add("bob"), add("carol"), add("dave")
		adminClient, err := domain.ParseID(adminClientID)
		if err != nil {
			t.Fatal(err)
		}
		other := &domain.Client{RedirectURIs: []string{"https://app.example/cb"}, GrantAuthorizationCode: true, TokenEndpointAuthMethod: "none"}
		if err := st.Clients().Add(ctx, other); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*domain.Session{
			{ClientID: adminClient, UserID: &alice.ID, Scope: []string{"openid"}},
			{ClientID: other.ID, UserID: &bob.ID, Scope: []string{"openid"}},
		} {
			if err := st.Sessions().Add(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		ended := &domain.Session{ClientID: adminClient, UserID: &bob.ID, Scope: []string{"openid"}}
		if err := st.Sessions().Add(ctx, ended); err != nil {
			t.Fatal(err)
		}
		if err := st.Sessions().Finish(ctx, ended); err != nil {
			t.Fatal(err)
		}
		if err := st.CompatSessions().Add(ctx, &domain.CompatSession{UserID: carol.ID, DeviceID: "CAROL"}); err != nil {
			t.Fatal(err)
		}

		for query, want := range map[string][]string{
			"filter[active-oauth2-client]=" + adminClientID:                                                        {"alice"},
			"filter[active-oauth2-client]=" + other.ID.String():                                                    {"bob"},
			"filter[active-oauth2-client]=" + adminClientID + "&filter[active-oauth2-client]=" + other.ID.String(): {"alice", "bob"},
			"filter[has-active-oauth2-session]=true":                                                               {"alice", "bob"},
			"filter[has-active-oauth2-session]=false":                                                              {"carol", "dave"},
			"filter[has-active-compat-session]=true":                                                               {"carol"},
			"filter[has-active-compat-session]=false&filter[has-active-oauth2-session]=false":                      {"dave"},
		} {
			a := adminCall(t, e, token, "GET", "/api/admin/v1/users?"+query, nil).expect(t, http.StatusOK)
			var got []string
			for _, r := range a.List {
				got = append(got, r.Attributes["username"].(string))
			}
			slices.Sort(got)
			if !slices.Equal(got, want) || a.Meta == nil || a.Meta.Count != len(want) {
				t.Errorf("%s: %v (meta %+v), want %v", query, got, a.Meta, want)
			}
		}
		for _, query := range []string{"filter[active-oauth2-client]=nope", "filter[has-active-oauth2-session]=yes", "filter[has-active-compat-session]=1"} {
			if a := adminCall(t, e, token, "GET", "/api/admin/v1/users?"+query, nil).expect(t, http.StatusBadRequest); !strings.HasPrefix(a.Title(), "Invalid filter parameters") {
				t.Errorf("%s: %q", query, a.Title())
			}
		}
	})
}
