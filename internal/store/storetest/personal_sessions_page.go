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
	register("PersonalSessionsPage", test{"FiltersAndCursors", testPersonalSessionListPage})
}

// testPersonalSessionListPage lists personal sessions through each filter,
// with the expiry of their usable token, and pages them.
func testPersonalSessionListPage(t *testing.T, h *H) {
	ctx := context.Background()
	admin, bot, carol := newUser(t, h, "admin"), newUser(t, h, "bot"), newUser(t, h, "carol")
	client := &domain.Client{ClientName: "ci", IsStatic: true}
	must(t, h.S.Clients().Add(ctx, client))
	soon, later := Start.Add(time.Hour), Start.Add(48*time.Hour)

	byName := map[string]*domain.PersonalSession{}
	add := func(name string, s *domain.PersonalSession, expires *time.Time, revoke bool) {
		t.Helper()
		s.HumanName = name
		must(t, h.S.PersonalSessions().Add(ctx, s))
		tok := mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().Add(ctx, s.ID, patHash("mpt_"+name), expires))
		if revoke {
			must(t, h.S.PersonalAccessTokens().Revoke(ctx, tok))
			must(t, h.S.PersonalSessions().Revoke(ctx, s))
		}
		byName[name] = s
	}
	add("admin-self", &domain.PersonalSession{OwnerUserID: &admin.ID, ActorUserID: admin.ID,
		Scope: []string{"openid", "urn:mas:admin"}}, nil, false)
	add("bot-soon", &domain.PersonalSession{OwnerUserID: &admin.ID, ActorUserID: bot.ID,
		Scope: []string{"urn:matrix:client:api:*"}}, &soon, false)
	add("ci-later", &domain.PersonalSession{OwnerClientID: &client.ID, ActorUserID: bot.ID,
		Scope: []string{"urn:mas:admin", "urn:matrix:client:api:*"}}, &later, false)
	add("carol-revoked", &domain.PersonalSession{OwnerUserID: &carol.ID, ActorUserID: carol.ID,
		Scope: []string{"urn:mas:admin:extra"}}, &soon, true)

	names := func(ls []*store.PersonalSessionListed) []string {
		return sortedKeys(ls, func(l *store.PersonalSessionListed) string { return l.Session.HumanName })
	}
	yes, no := true, false
	between := Start.Add(2 * time.Hour)
	checkFiltered(t, []filterCase[store.PersonalSessionFilter, string]{
		{"all", store.PersonalSessionFilter{}, []string{"admin-self", "bot-soon", "carol-revoked", "ci-later"}},
		{"owner user", store.PersonalSessionFilter{OwnerUser: admin.ID}, []string{"admin-self", "bot-soon"}},
		{"owner client", store.PersonalSessionFilter{OwnerClient: client.ID}, []string{"ci-later"}},
		{"actor", store.PersonalSessionFilter{ActorUser: bot.ID}, []string{"bot-soon", "ci-later"}},
		{"scope is a whole token", store.PersonalSessionFilter{Scope: []string{"urn:mas:admin"}}, []string{"admin-self", "ci-later"}},
		{"every scope", store.PersonalSessionFilter{Scope: []string{"urn:mas:admin", "urn:matrix:client:api:*"}}, []string{"ci-later"}},
		{"scope is case-sensitive", store.PersonalSessionFilter{Scope: []string{"OPENID"}}, nil},
		{"active", store.PersonalSessionFilter{Status: store.PersonalSessionStatusActive}, []string{"admin-self", "bot-soon", "ci-later"}},
		{"revoked", store.PersonalSessionFilter{Status: store.PersonalSessionStatusRevoked}, []string{"carol-revoked"}},
		{"expires before", store.PersonalSessionFilter{ExpiresBefore: &between}, []string{"bot-soon"}},
		{"expires after", store.PersonalSessionFilter{ExpiresAfter: &between}, []string{"ci-later"}},
		{"expires", store.PersonalSessionFilter{Expires: &yes}, []string{"bot-soon", "ci-later"}},
		{"never expires", store.PersonalSessionFilter{Expires: &no, Status: store.PersonalSessionStatusActive}, []string{"admin-self"}},
	}, names, h.S.PersonalSessions().ListPage, h.S.PersonalSessions().CountFiltered)

	// Rows carry the session and its usable token's expiry.
	all := mustGet[[]*store.PersonalSessionListed](t)(h.S.PersonalSessions().ListPage(ctx, store.PersonalSessionFilter{}, store.Page{Limit: 100}))
	for _, l := range all {
		want := byName[l.Session.HumanName]
		samePersonalSession(t, l.Session, want)
		switch l.Session.HumanName {
		case "bot-soon":
			sameTimePtr(t, "bot-soon expiry", l.TokenExpiresAt, &soon)
		case "ci-later":
			sameTimePtr(t, "ci-later expiry", l.TokenExpiresAt, &later)
		default:
			sameTimePtr(t, l.Session.HumanName+" expiry", l.TokenExpiresAt, nil)
		}
	}

	var ids []domain.ID
	for _, s := range byName {
		ids = append(ids, s.ID)
	}
	slices.SortFunc(ids, domain.ID.Compare)
	idsOf := func(ls []*store.PersonalSessionListed) []domain.ID {
		return keysOf(ls, func(l *store.PersonalSessionListed) domain.ID { return l.Session.ID })
	}
	if got := idsOf(mustGet[[]*store.PersonalSessionListed](t)(h.S.PersonalSessions().ListPage(ctx, store.PersonalSessionFilter{}, store.Page{After: ids[0], Limit: 2}))); !slices.Equal(got, ids[1:3]) {
		t.Errorf("forward after #0: %v, want %v", got, ids[1:3])
	}
	if got := idsOf(mustGet[[]*store.PersonalSessionListed](t)(h.S.PersonalSessions().ListPage(ctx, store.PersonalSessionFilter{}, store.Page{Backward: true, Limit: 3}))); !slices.Equal(got, []domain.ID{ids[3], ids[2], ids[1]}) {
		t.Errorf("last 3: %v", got)
	}
}
