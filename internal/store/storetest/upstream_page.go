package storetest

import (
	"context"
	"slices"
	"testing"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("UpstreamPage",
		test{"LinkFiltersAndCursors", testUpstreamLinkListPage},
		test{"ProviderFiltersAndCursors", testUpstreamProviderListPage})
}

// testUpstreamLinkListPage lists links by each filter, counts them, and
// walks them forwards and backwards.
func testUpstreamLinkListPage(t *testing.T, h *H) {
	ctx := context.Background()
	alice, bob := newUser(t, h, "alice"), newUser(t, h, "bob")
	p, q := newUpstreamProvider(t, h, 0), newUpstreamProvider(t, h, 1)
	add := func(provider domain.ID, subject string, user *domain.ID, name string) domain.ID {
		return mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, provider, subject, user, name)).ID
	}
	a1 := add(p.ID, "a-1", &alice.ID, "Alice@IdP")
	a2 := add(q.ID, "a-2", &alice.ID, "alice_x")
	b1 := add(p.ID, "b-1", &bob.ID, "bob")
	orphan := add(q.ID, "a-1", nil, "")
	sorted := func(ids ...domain.ID) []domain.ID {
		slices.SortFunc(ids, domain.ID.Compare)
		return ids
	}
	checkFiltered(t, []filterCase[store.UpstreamLinkFilter, domain.ID]{
		{"all", store.UpstreamLinkFilter{}, sorted(a1, a2, b1, orphan)},
		{"user", store.UpstreamLinkFilter{UserID: alice.ID}, sorted(a1, a2)},
		{"provider", store.UpstreamLinkFilter{ProviderID: q.ID}, sorted(a2, orphan)},
		{"subject", store.UpstreamLinkFilter{Subject: "a-1"}, sorted(a1, orphan)},
		{"subject is exact", store.UpstreamLinkFilter{Subject: "A-1"}, nil},
		{"user and provider", store.UpstreamLinkFilter{UserID: alice.ID, ProviderID: p.ID}, []domain.ID{a1}},
		{"account name ignores case", store.UpstreamLinkFilter{HumanAccountName: "ALICE"}, sorted(a1, a2)},
		{"account name is literal", store.UpstreamLinkFilter{HumanAccountName: "e_"}, []domain.ID{a2}},
		{"unknown user", store.UpstreamLinkFilter{UserID: nonexistentID()}, nil},
	}, linkIDs, h.S.UpstreamLinks().ListPage, h.S.UpstreamLinks().CountFiltered)
	all := sorted(a1, a2, b1, orphan)
	fwd := linkIDs(mustGet[[]*domain.UpstreamLink](t)(h.S.UpstreamLinks().ListPage(ctx, store.UpstreamLinkFilter{}, store.Page{After: all[0], Limit: 2})))
	if !slices.Equal(fwd, all[1:3]) {
		t.Errorf("forward after #0: %v, want %v", fwd, all[1:3])
	}
	back := linkIDs(mustGet[[]*domain.UpstreamLink](t)(h.S.UpstreamLinks().ListPage(ctx, store.UpstreamLinkFilter{}, store.Page{Backward: true, Before: all[3], Limit: 2})))
	if want := []domain.ID{all[2], all[1]}; !slices.Equal(back, want) {
		t.Errorf("backward before #3: %v, want %v", back, want)
	}
}

func linkIDs(ls []*domain.UpstreamLink) []domain.ID {
	return keysOf(ls, func(l *domain.UpstreamLink) domain.ID { return l.ID })
}

// testUpstreamProviderListPage lists enabled and disabled providers.
func testUpstreamProviderListPage(t *testing.T, h *H) {
	ctx := context.Background()
	var ids []domain.ID
	for i := range 3 {
		ids = append(ids, newUpstreamProvider(t, h, i).ID)
	}
	slices.SortFunc(ids, domain.ID.Compare)
	must(t, h.S.UpstreamProviders().Disable(ctx, ids[1]))
	yes, no := true, false
	providerIDs := func(ps []*domain.UpstreamProvider) []domain.ID {
		return keysOf(ps, func(p *domain.UpstreamProvider) domain.ID { return p.ID })
	}
	checkFiltered(t, []filterCase[store.UpstreamProviderFilter, domain.ID]{
		{"all", store.UpstreamProviderFilter{}, ids},
		{"enabled", store.UpstreamProviderFilter{Enabled: &yes}, []domain.ID{ids[0], ids[2]}},
		{"disabled", store.UpstreamProviderFilter{Enabled: &no}, []domain.ID{ids[1]}},
	}, providerIDs, h.S.UpstreamProviders().ListPage, h.S.UpstreamProviders().CountFiltered)
	last := providerIDs(mustGet[[]*domain.UpstreamProvider](t)(h.S.UpstreamProviders().ListPage(ctx, store.UpstreamProviderFilter{}, store.Page{Backward: true, Limit: 1})))
	if want := []domain.ID{ids[2]}; !slices.Equal(last, want) {
		t.Errorf("last 1: %v, want %v", last, want)
	}
}
