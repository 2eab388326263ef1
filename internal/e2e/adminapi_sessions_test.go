package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/testenv"
)

// sessionsFixture is what the session tests share: the service, an admin
// token and two provisioned users.
type sessionsFixture struct {
	e          *testenv.Env
	token      string
	alice, bob *domain.User
}

func newSessionsFixture(t *testing.T, postgres bool) sessionsFixture {
	e := adminEnv(t, postgres)
	return sessionsFixture{
		e: e, token: clientCredentialsToken(t, e, "urn:mas:admin"),
		alice: e.CreateUser("alice", "a passphrase for alice"), bob: e.CreateUser("bob", "a passphrase for bob"),
	}
}

func (f sessionsFixture) call(t *testing.T, method, path string) apiAnswer {
	t.Helper()
	return adminCall(t, f.e, f.token, method, path, nil)
}

// listIDs lists a collection with filters (name → value; "&"-joined
// repeats are allowed in the value) and returns the IDs, checking the
// count.
func (f sessionsFixture) listIDs(t *testing.T, collection string, filters ...string) []string {
	t.Helper()
	q := url.Values{}
	for i := 0; i+1 < len(filters); i += 2 {
		q.Add("filter["+filters[i]+"]", filters[i+1])
	}
	a := f.call(t, "GET", collection+"?"+q.Encode()).expect(t, http.StatusOK)
	ids := resourceIDs(a.List)
	if a.Meta == nil || a.Meta.Count != len(ids) {
		t.Errorf("%s %v: count %v for %d rows", collection, filters, a.Meta, len(ids))
	}
	return ids
}

func resourceIDs(list []apiResource) []string {
	var ids []string
	for _, r := range list {
		ids = append(ids, r.ID)
	}
	return ids
}

func sameIDs(t *testing.T, what string, got []string, want ...domain.ID) {
	t.Helper()
	var w []string
	for _, id := range want {
		w = append(w, id.String())
	}
	slices.Sort(w)
	if !slices.Equal(got, w) {
		t.Errorf("%s: %v, want %v", what, got, w)
	}
}

// checkFinish finishes a session twice and a missing one, through
// collection/{id}/finish, with upstream's titles; it returns the finished
// session.
func (f sessionsFixture) checkFinish(t *testing.T, collection, what, id string) apiAnswer {
	t.Helper()
	a := f.call(t, "POST", collection+"/"+id+"/finish").expect(t, http.StatusOK)
	if a.Data.ID != id || a.Data.Attributes["finished_at"] == nil || a.Links.Self != collection+"/"+id+"/finish" ||
		a.Data.Links.Self != collection+"/"+id {
		t.Errorf("finished: %v", a.Raw)
	}
	f.call(t, "POST", collection+"/"+id+"/finish").expect(t, http.StatusBadRequest, what+" with ID "+id+" is already finished")
	f.call(t, "POST", collection+"/"+nilULID+"/finish").expect(t, http.StatusNotFound, what+" with ID "+nilULID+" not found")
	f.call(t, "POST", collection+"/nope/finish").expect(t, http.StatusBadRequest, `Invalid ID "nope"`)
	f.call(t, "GET", collection+"/"+nilULID).expect(t, http.StatusNotFound, what+" ID "+nilULID+" not found")
	f.call(t, "GET", collection+"/nope").expect(t, http.StatusBadRequest, `Invalid ID "nope"`)
	return a
}

// checkBadFilters: an unknown filter, a bad status, a bad time and an
// unknown user.
func (f sessionsFixture) checkBadFilters(t *testing.T, collection string) {
	t.Helper()
	f.call(t, "GET", collection+"?filter[nope]=1").expect(t, http.StatusBadRequest, `Unknown filter parameter "filter[nope]"`)
	f.call(t, "GET", collection+"?filter[status]=gone").expect(t, http.StatusBadRequest)
	f.call(t, "GET", collection+"?filter[created-after]=yesterday").expect(t, http.StatusBadRequest)
	f.call(t, "GET", collection+"?filter[user]=nope").expect(t, http.StatusBadRequest)
	f.call(t, "GET", collection+"?filter[user]="+nilULID).expect(t, http.StatusNotFound, "User ID "+nilULID+" not found")
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// TestAdminAPIUserSessions: browser sessions are listed with every
// filter, paged both ways, read and finished.
func TestAdminAPIUserSessions(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		f := newSessionsFixture(t, postgres)
		ctx := context.Background()
		repo := f.e.App.Store.BrowserSessions()
		var all []*domain.BrowserSession
		for _, u := range []*domain.User{f.alice, f.alice, f.bob, f.alice, f.bob} {
			s, err := repo.Add(ctx, u.ID, "Mozilla/5.0")
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, s)
			time.Sleep(time.Millisecond) // distinct created_at
		}
		active := time.Now().Add(time.Hour)
		if err := repo.RecordActivity(ctx, all[1].ID, active, "10.1.2.3"); err != nil {
			t.Fatal(err)
		}
		const coll = "/api/admin/v1/user-sessions"

		one := f.call(t, "GET", coll+"/"+all[1].ID.String()).expect(t, http.StatusOK)
		if at := one.Data.Attributes; one.Data.Type != "user-session" || at["user_id"] != f.alice.ID.String() ||
			at["user_agent"] != "Mozilla/5.0" || at["last_active_ip"] != "10.1.2.3" || at["finished_at"] != nil ||
			at["created_at"] == nil || at["last_active_at"] == nil {
			t.Errorf("get: %v", one.Raw)
		}
		f.checkFinish(t, coll, "User session", all[0].ID.String())
		if s, _ := repo.Lookup(ctx, all[0].ID); s.Active() {
			t.Error("the session is still active")
		}

		ids := func(idx ...int) []domain.ID {
			var out []domain.ID
			for _, i := range idx {
				out = append(out, all[i].ID)
			}
			return out
		}
		sameIDs(t, "all", f.listIDs(t, coll), ids(0, 1, 2, 3, 4)...)
		sameIDs(t, "user", f.listIDs(t, coll, "user", f.bob.ID.String()), ids(2, 4)...)
		sameIDs(t, "active", f.listIDs(t, coll, "status", "active"), ids(1, 2, 3, 4)...)
		sameIDs(t, "finished", f.listIDs(t, coll, "status", "finished"), ids(0)...)
		sameIDs(t, "created after", f.listIDs(t, coll, "created-after", rfc3339(all[2].CreatedAt)), ids(3, 4)...)
		sameIDs(t, "created before", f.listIDs(t, coll, "created-before", rfc3339(all[1].CreatedAt)), ids(0)...)
		sameIDs(t, "last active after", f.listIDs(t, coll, "last-active-after", rfc3339(active.Add(-time.Minute))), ids(1)...)
		sameIDs(t, "last active before", f.listIDs(t, coll, "last-active-before", rfc3339(active.Add(-time.Minute))))
		sameIDs(t, "combined", f.listIDs(t, coll, "user", f.alice.ID.String(), "status", "active"), ids(1, 3)...)
		f.checkBadFilters(t, coll)

		// Pages of two, forwards then backwards.
		want := f.listIDs(t, coll)
		var fwd []string
		for next := coll + "?page[first]=2"; next != ""; {
			a := f.call(t, "GET", next).expect(t, http.StatusOK)
			fwd, next = append(fwd, resourceIDs(a.List)...), a.Links.Next
		}
		if !slices.Equal(fwd, want) {
			t.Errorf("forwards: %v, want %v", fwd, want)
		}
		var back []string
		for prev := coll + "?page[last]=2"; prev != ""; {
			a := f.call(t, "GET", prev).expect(t, http.StatusOK)
			back, prev = append(resourceIDs(a.List), back...), a.Links.Prev
		}
		if !slices.Equal(back, want) {
			t.Errorf("backwards: %v, want %v", back, want)
		}
	})
}

// TestAdminAPICompatSessions: a real m.login.password session is listed,
// read and finished; finishing ends its token and removes its device from
// the homeserver.
func TestAdminAPICompatSessions(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		f := newSessionsFixture(t, postgres)
		ctx := context.Background()
		st := f.e.App.Store
		status, body := compatLogin(t, f.e, "alice", "a passphrase for alice", "ALICEPHONE")
		if status != http.StatusOK {
			t.Fatalf("login: %d %v", status, body)
		}
		aliceToken := body["access_token"].(string)
		if status, body := compatLogin(t, f.e, "bob", "a passphrase for bob", "BOBPHONE"); status != http.StatusOK {
			t.Fatalf("login: %d %v", status, body)
		}
		// A session started from a browser session, active tomorrow.
		bs, err := st.BrowserSessions().Add(ctx, f.alice.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		seeded := &domain.CompatSession{UserID: f.alice.ID, DeviceID: "ALICETABLET", BrowserSessionID: &bs.ID, HumanName: "Tablet"}
		if err := st.CompatSessions().Add(ctx, seeded); err != nil {
			t.Fatal(err)
		}
		tomorrow := time.Now().Add(24 * time.Hour)
		if err := st.CompatSessions().RecordActivity(ctx, seeded.ID, tomorrow, "10.9.8.7"); err != nil {
			t.Fatal(err)
		}
		const coll = "/api/admin/v1/compat-sessions"

		mine := f.listIDs(t, coll, "user", f.alice.ID.String(), "status", "active")
		if len(mine) != 2 || mine[1] != seeded.ID.String() && mine[0] != seeded.ID.String() {
			t.Fatalf("alice's sessions: %v", mine)
		}
		loginID := mine[0]
		if loginID == seeded.ID.String() {
			loginID = mine[1]
		}
		one := f.call(t, "GET", coll+"/"+loginID).expect(t, http.StatusOK)
		if at := one.Data.Attributes; one.Data.Type != "compat-session" || at["user_id"] != f.alice.ID.String() ||
			at["device_id"] != "ALICEPHONE" || at["user_session_id"] != nil || at["redirect_uri"] != nil ||
			at["finished_at"] != nil || at["created_at"] == nil || one.Links.Self != coll+"/"+loginID {
			t.Errorf("get: %v", one.Raw)
		}
		for _, k := range []string{"user_agent", "last_active_at", "last_active_ip", "human_name"} {
			if _, ok := one.Data.Attributes[k]; !ok {
				t.Errorf("attribute %s missing: %v", k, one.Raw)
			}
		}
		if at := f.call(t, "GET", coll+"/"+seeded.ID.String()).expect(t, http.StatusOK).Data.Attributes; at["user_session_id"] != bs.ID.String() ||
			at["human_name"] != "Tablet" || at["last_active_ip"] != "10.9.8.7" {
			t.Errorf("seeded: %v", at)
		}

		// Finishing ends the token and removes the device.
		f.e.Eventually("alice's phone on the homeserver", func() bool {
			return slices.Contains(f.e.Homeserver.Devices("alice"), "ALICEPHONE")
		})
		if introspect(t, f.e, aliceToken)["active"] != true {
			t.Fatal("the login token is not active")
		}
		f.checkFinish(t, coll, "Compatibility session", loginID)
		if got := introspect(t, f.e, aliceToken); got["active"] != false {
			t.Errorf("finished session's token still introspects: %v", got)
		}
		f.e.Eventually("alice's phone removed from the homeserver", func() bool {
			return !slices.Contains(f.e.Homeserver.Devices("alice"), "ALICEPHONE")
		})
		if !slices.Contains(f.e.Homeserver.Devices("alice"), "ALICETABLET") {
			t.Errorf("the active session's device went too: %v", f.e.Homeserver.Devices("alice"))
		}

		// Filters.
		all := f.listIDs(t, coll)
		if len(all) != 3 {
			t.Fatalf("all: %v", all)
		}
		sameIDs(t, "finished", f.listIDs(t, coll, "status", "finished"), mustID(t, loginID))
		sameIDs(t, "user session", f.listIDs(t, coll, "user-session", bs.ID.String()), seeded.ID)
		sameIDs(t, "last active after", f.listIDs(t, coll, "last-active-after", rfc3339(tomorrow.Add(-time.Hour))), seeded.ID)
		if got := f.listIDs(t, coll, "created-before", rfc3339(seeded.CreatedAt)); len(got) != 2 || slices.Contains(got, seeded.ID.String()) {
			t.Errorf("created before the seeded one: %v", got)
		}
		sameIDs(t, "created after", f.listIDs(t, coll, "created-after", rfc3339(time.Now().Add(time.Hour))))
		if got := f.listIDs(t, coll, "user", f.bob.ID.String()); len(got) != 1 || slices.Contains(got, loginID) {
			t.Errorf("bob's: %v", got)
		}
		f.checkBadFilters(t, coll)
		f.call(t, "GET", coll+"?filter[user-session]="+nilULID).expect(t, http.StatusNotFound, "User session ID "+nilULID+" not found")
	})
}

// TestAdminAPIOAuth2Sessions: OAuth 2.0 sessions are listed with every
// filter, read and finished; finishing ends the session's tokens and
// removes its device from the homeserver.
func TestAdminAPIOAuth2Sessions(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		f := newSessionsFixture(t, postgres)
		ctx := context.Background()
		st := f.e.App.Store
		adminClient, err := domain.ParseID(adminClientID)
		if err != nil {
			t.Fatal(err)
		}
		// A second client-credentials session, through the real grant.
		other := clientCredentialsToken(t, f.e, "urn:mas:admin")
		at, err := st.AccessTokens().FindByToken(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		ccID := at.SessionID
		first, err := st.AccessTokens().FindByToken(ctx, f.token)
		if err != nil {
			t.Fatal(err)
		}
		// alice's session holding a device, from a browser session, and
		// bob's with a dynamically registered client.
		bs, err := st.BrowserSessions().Add(ctx, f.alice.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		aliceSession := &domain.Session{ClientID: adminClient, UserID: &f.alice.ID, BrowserSessionID: &bs.ID,
			Scope: []string{"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:ALICEOAUTH"}, HumanName: "Laptop"}
		if err := st.Sessions().Add(ctx, aliceSession); err != nil {
			t.Fatal(err)
		}
		dynamic := &domain.Client{RedirectURIs: []string{"https://app.example/cb"}, GrantAuthorizationCode: true, TokenEndpointAuthMethod: "none"}
		if err := st.Clients().Add(ctx, dynamic); err != nil {
			t.Fatal(err)
		}
		bobSession := &domain.Session{ClientID: dynamic.ID, UserID: &f.bob.ID, Scope: []string{"openid"}}
		if err := st.Sessions().Add(ctx, bobSession); err != nil {
			t.Fatal(err)
		}
		if !f.e.Homeserver.AddDevice("alice", "ALICEOAUTH") {
			t.Fatal("adding alice's device")
		}
		const coll = "/api/admin/v1/oauth2-sessions"

		one := f.call(t, "GET", coll+"/"+aliceSession.ID.String()).expect(t, http.StatusOK)
		if a := one.Data.Attributes; one.Data.Type != "oauth2-session" || a["user_id"] != f.alice.ID.String() ||
			a["user_session_id"] != bs.ID.String() || a["client_id"] != adminClientID || a["human_name"] != "Laptop" ||
			a["scope"] != "openid urn:matrix:client:api:* urn:matrix:client:device:ALICEOAUTH" || a["finished_at"] != nil {
			t.Errorf("get: %v", one.Raw)
		}
		if a := f.call(t, "GET", coll+"/"+ccID.String()).expect(t, http.StatusOK).Data.Attributes; a["user_id"] != nil || a["user_session_id"] != nil {
			t.Errorf("client credentials session: %v", a)
		}

		// Filters.
		sameIDs(t, "all", f.listIDs(t, coll), first.SessionID, ccID, aliceSession.ID, bobSession.ID)
		sameIDs(t, "user", f.listIDs(t, coll, "user", f.alice.ID.String()), aliceSession.ID)
		sameIDs(t, "client", f.listIDs(t, coll, "client", adminClientID), first.SessionID, ccID, aliceSession.ID)
		sameIDs(t, "clients", f.listIDs(t, coll, "client", adminClientID, "client", dynamic.ID.String()),
			first.SessionID, ccID, aliceSession.ID, bobSession.ID)
		sameIDs(t, "static", f.listIDs(t, coll, "client-kind", "static"), first.SessionID, ccID, aliceSession.ID)
		sameIDs(t, "dynamic", f.listIDs(t, coll, "client-kind", "dynamic"), bobSession.ID)
		sameIDs(t, "user session", f.listIDs(t, coll, "user-session", bs.ID.String()), aliceSession.ID)
		sameIDs(t, "scope", f.listIDs(t, coll, "scope", "openid"), aliceSession.ID, bobSession.ID)
		sameIDs(t, "scopes", f.listIDs(t, coll, "scope", "openid", "scope", "urn:matrix:client:api:*"), aliceSession.ID)
		sameIDs(t, "admin scope", f.listIDs(t, coll, "scope", "urn:mas:admin"), first.SessionID, ccID)
		sameIDs(t, "created after", f.listIDs(t, coll, "created-after", rfc3339(time.Now().Add(time.Hour))))
		sameIDs(t, "created before", f.listIDs(t, coll, "created-before", rfc3339(time.Now().Add(time.Hour))),
			first.SessionID, ccID, aliceSession.ID, bobSession.ID)
		sameIDs(t, "last active after", f.listIDs(t, coll, "last-active-after", rfc3339(time.Now().Add(time.Hour))))
		f.checkBadFilters(t, coll)
		f.call(t, "GET", coll+"?filter[client]="+nilULID).expect(t, http.StatusNotFound, "Client ID "+nilULID+" not found")
		f.call(t, "GET", coll+"?filter[user-session]="+nilULID).expect(t, http.StatusNotFound, "User session ID "+nilULID+" not found")
		f.call(t, "GET", coll+"?filter[client-kind]=mine").expect(t, http.StatusBadRequest)
		f.call(t, "GET", coll+`?filter[scope]=a"b`).expect(t, http.StatusBadRequest, `Invalid scope "a\"b" in filter parameters`)

		// Finishing the client-credentials session ends its token only.
		if introspect(t, f.e, other)["active"] != true {
			t.Fatal("the second token is not active")
		}
		f.checkFinish(t, coll, "OAuth 2.0 session", ccID.String())
		if got := introspect(t, f.e, other); got["active"] != false {
			t.Errorf("finished session's token still introspects: %v", got)
		}
		sameIDs(t, "finished", f.listIDs(t, coll, "status", "finished"), ccID)
		sameIDs(t, "active", f.listIDs(t, coll, "status", "active"), first.SessionID, aliceSession.ID, bobSession.ID)

		// Finishing alice's removes her device.
		f.checkFinish(t, coll, "OAuth 2.0 session", aliceSession.ID.String())
		f.e.Eventually("alice's device removed from the homeserver", func() bool {
			return !slices.Contains(f.e.Homeserver.Devices("alice"), "ALICEOAUTH")
		})
	})
}
