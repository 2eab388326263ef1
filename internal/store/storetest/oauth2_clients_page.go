package storetest

import (
	"context"
	"slices"
	"testing"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("ClientsPage", test{"FiltersAndCursors", testClientListPage})
}

// testClientListPage lists clients through each filter and pages them.
func testClientListPage(t *testing.T, h *H) {
	ctx := context.Background()
	byName := map[string]*domain.Client{}
	for _, c := range []*domain.Client{
		{ClientName: "Element Web", ClientURI: "https://app.element.io/", GrantAuthorizationCode: true, GrantRefreshToken: true},
		{ClientName: "element_x", ClientURI: "https://element.io/x", GrantDeviceCode: true},
		{ClientName: "Bot", GrantClientCredentials: true, IsStatic: true},
		{ClientName: "Idle", IsStatic: true},
	} {
		must(t, h.S.Clients().Add(ctx, c))
		byName[c.ClientName] = c
	}
	// Element Web has one finished and one active session, Bot a finished one.
	finished := &domain.Session{ClientID: byName["Bot"].ID}
	must(t, h.S.Sessions().Add(ctx, finished))
	must(t, h.S.Sessions().Finish(ctx, finished))
	done := &domain.Session{ClientID: byName["Element Web"].ID}
	must(t, h.S.Sessions().Add(ctx, done))
	must(t, h.S.Sessions().Finish(ctx, done))
	must(t, h.S.Sessions().Add(ctx, &domain.Session{ClientID: byName["Element Web"].ID}))

	names := func(cs []*domain.Client) []string {
		return sortedKeys(cs, func(c *domain.Client) string { return c.ClientName })
	}
	yes, no := true, false
	checkFiltered(t, []filterCase[store.ClientFilter, string]{
		{"all", store.ClientFilter{}, []string{"Bot", "Element Web", "Idle", "element_x"}},
		{"static", store.ClientFilter{Kind: store.ClientKindStatic}, []string{"Bot", "Idle"}},
		{"dynamic", store.ClientFilter{Kind: store.ClientKindDynamic}, []string{"Element Web", "element_x"}},
		{"name", store.ClientFilter{ClientName: "ELEMENT"}, []string{"Element Web", "element_x"}},
		{"name is literal", store.ClientFilter{ClientName: "t_"}, []string{"element_x"}},
		{"uri", store.ClientFilter{ClientURI: "APP."}, []string{"Element Web"}},
		{"code grant", store.ClientFilter{GrantType: "authorization_code"}, []string{"Element Web"}},
		{"refresh grant", store.ClientFilter{GrantType: "refresh_token"}, []string{"Element Web"}},
		{"client credentials", store.ClientFilter{GrantType: "client_credentials"}, []string{"Bot"}},
		{"device grant", store.ClientFilter{GrantType: "urn:ietf:params:oauth:grant-type:device_code"}, []string{"element_x"}},
		{"unknown grant", store.ClientFilter{GrantType: "password"}, nil},
		{"active sessions", store.ClientFilter{HasActiveSessions: &yes}, []string{"Element Web"}},
		{"no active session", store.ClientFilter{HasActiveSessions: &no}, []string{"Bot", "Idle", "element_x"}},
		{"combined", store.ClientFilter{Kind: store.ClientKindStatic, HasActiveSessions: &no, ClientName: "o"}, []string{"Bot"}},
	}, names, h.S.Clients().ListPage, h.S.Clients().CountFiltered)

	var ids []domain.ID
	for _, c := range byName {
		ids = append(ids, c.ID)
	}
	slices.SortFunc(ids, domain.ID.Compare)
	idsOf := func(cs []*domain.Client) []domain.ID {
		return keysOf(cs, func(c *domain.Client) domain.ID { return c.ID })
	}
	if got := idsOf(mustGet[[]*domain.Client](t)(h.S.Clients().ListPage(ctx, store.ClientFilter{}, store.Page{After: ids[0], Limit: 2}))); !slices.Equal(got, ids[1:3]) {
		t.Errorf("forward after #0: %v, want %v", got, ids[1:3])
	}
	if got := idsOf(mustGet[[]*domain.Client](t)(h.S.Clients().ListPage(ctx, store.ClientFilter{}, store.Page{Backward: true, Before: ids[3], Limit: 2}))); !slices.Equal(got, []domain.ID{ids[2], ids[1]}) {
		t.Errorf("backward before #3: %v", got)
	}
}
