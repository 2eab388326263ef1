package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("UsersPage", test{"FiltersAndCursors", testUserListPage}, test{"WalkAll", testUserWalkAll},
		test{"SessionFilters", testUserListPageSessions})
}

// testUserListPage walks filtered users forwards and backwards and counts
// them.
func testUserListPage(t *testing.T, h *H) {
	ctx := context.Background()
	now := time.Now().UTC()
	byName := map[string]*domain.User{}
	for _, name := range []string{"alice", "bob", "carol", "dave", "erin", "frank_x", "frankx"} {
		byName[name] = newUser(t, h, name)
	}
	edit := func(name string, f func(u *domain.User)) {
		u := byName[name]
		f(u)
		if err := h.S.Users().Update(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	edit("bob", func(u *domain.User) { u.CanRequestAdmin = true })
	edit("carol", func(u *domain.User) { u.Lock(now) })
	edit("dave", func(u *domain.User) {
		if err := u.Deactivate(now); err != nil {
			t.Fatal(err)
		}
	})
	yes, no := true, false
	checkFiltered(t, []filterCase[store.UserFilter, string]{
		{"all", store.UserFilter{}, []string{"alice", "bob", "carol", "dave", "erin", "frank_x", "frankx"}},
		{"admin", store.UserFilter{Admin: &yes}, []string{"bob"}},
		{"not admin", store.UserFilter{Admin: &no}, []string{"alice", "carol", "dave", "erin", "frank_x", "frankx"}},
		{"guest", store.UserFilter{LegacyGuest: &yes}, nil},
		{"active", store.UserFilter{Status: store.UserStatusActive}, []string{"alice", "bob", "erin", "frank_x", "frankx"}},
		{"locked", store.UserFilter{Status: store.UserStatusLocked}, []string{"carol", "dave"}},
		{"deactivated", store.UserFilter{Status: store.UserStatusDeactivated}, []string{"dave"}},
		{"search", store.UserFilter{Search: "AR"}, []string{"carol"}},
		{"search is literal", store.UserFilter{Search: "k_"}, []string{"frank_x"}},
	}, usernames, h.S.Users().ListPage, h.S.Users().CountFiltered)

	var ids []domain.ID
	for _, u := range byName {
		ids = append(ids, u.ID)
	}
	slices.SortFunc(ids, domain.ID.Compare)
	idsOf := func(us []*domain.User) []domain.ID { return keysOf(us, func(u *domain.User) domain.ID { return u.ID }) }
	fwd := idsOf(mustGet[[]*domain.User](t)(h.S.Users().ListPage(ctx, store.UserFilter{}, store.Page{After: ids[1], Limit: 3})))
	if !slices.Equal(fwd, ids[2:5]) {
		t.Errorf("forward after #1: %v, want %v", fwd, ids[2:5])
	}
	back := idsOf(mustGet[[]*domain.User](t)(h.S.Users().ListPage(ctx, store.UserFilter{}, store.Page{Backward: true, Before: ids[5], Limit: 2})))
	if want := []domain.ID{ids[4], ids[3]}; !slices.Equal(back, want) {
		t.Errorf("backward before #5: %v, want %v", back, want)
	}
	last := idsOf(mustGet[[]*domain.User](t)(h.S.Users().ListPage(ctx, store.UserFilter{}, store.Page{Backward: true, Limit: 2})))
	if want := []domain.ID{ids[6], ids[5]}; !slices.Equal(last, want) {
		t.Errorf("last 2: %v, want %v", last, want)
	}
}

// testUserWalkAll walks every user in pages, in ID order, as
// provision-all-users does.
func testUserWalkAll(t *testing.T, h *H) {
	ctx := context.Background()
	var want []domain.ID
	for _, name := range []string{"alice", "bob", "carol", "dave", "erin"} {
		want = append(want, newUser(t, h, name).ID)
	}
	// Users created in the same millisecond need not get ascending IDs.
	slices.SortFunc(want, domain.ID.Compare)
	var got []domain.ID
	var after domain.ID
	for {
		page := mustGet[[]*domain.User](t)(h.S.Users().ListPage(ctx, store.UserFilter{}, store.Page{After: after, Limit: 2}))
		if len(page) > 2 {
			t.Fatalf("page of %d users, limit 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			got = append(got, u.ID)
		}
		after = page[len(page)-1].ID
	}
	if len(got) != len(want) {
		t.Fatalf("walked %d users, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("user %d is %s, want %s (IDs must come in order)", i, got[i], want[i])
		}
	}
}

// testUserListPageSessions filters users by their unfinished OAuth 2.0
// sessions (of given clients, or any) and compat sessions.
func testUserListPageSessions(t *testing.T, h *H) {
	ctx := context.Background()
	// alice: active session of client A; bob: a finished one of A and an
	// active one of B; carol: an active compat session; dave: nothing
	// active.
	a := newOAuth2Fixture(t, h, "alice")
	bob := newOAuth2Fixture(t, h, "bob")
	addOAuth2Session(t, h, a)
	must(t, h.S.Sessions().Finish(ctx, addOAuth2Session(t, h, oauth2Fixture{user: bob.user, browser: bob.browser, client: a.client})))
	addOAuth2Session(t, h, bob)
	carol := newUser(t, h, "carol")
	newCompatSession(t, h, carol.ID, "CAROL")
	dave := newUser(t, h, "dave")
	must(t, h.S.CompatSessions().Finish(ctx, newCompatSession(t, h, dave.ID, "DAVE")))
	other := newOAuth2Fixture(t, h, "erin").client // erin has no session at all

	yes, no := true, false
	checkFiltered(t, []filterCase[store.UserFilter, string]{
		{"client A", store.UserFilter{ActiveOAuth2Clients: []domain.ID{a.client.ID}}, []string{"alice"}},
		{"client B", store.UserFilter{ActiveOAuth2Clients: []domain.ID{bob.client.ID}}, []string{"bob"}},
		{"client A or B", store.UserFilter{ActiveOAuth2Clients: []domain.ID{a.client.ID, bob.client.ID}}, []string{"alice", "bob"}},
		{"client unused", store.UserFilter{ActiveOAuth2Clients: []domain.ID{other.ID}}, nil},
		{"has oauth2", store.UserFilter{HasActiveOAuth2Session: &yes}, []string{"alice", "bob"}},
		{"no oauth2", store.UserFilter{HasActiveOAuth2Session: &no}, []string{"carol", "dave", "erin"}},
		{"has compat", store.UserFilter{HasActiveCompatSession: &yes}, []string{"carol"}},
		{"no compat", store.UserFilter{HasActiveCompatSession: &no}, []string{"alice", "bob", "dave", "erin"}},
		{"combined", store.UserFilter{HasActiveOAuth2Session: &no, HasActiveCompatSession: &no}, []string{"dave", "erin"}},
		{"with search", store.UserFilter{ActiveOAuth2Clients: []domain.ID{a.client.ID, bob.client.ID}, Search: "b"}, []string{"bob"}},
	}, usernames, h.S.Users().ListPage, h.S.Users().CountFiltered)
}

// usernames is the sorted usernames of the users.
func usernames(us []*domain.User) []string {
	return sortedKeys(us, func(u *domain.User) string { return u.Username })
}
