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
	for _, c := range []struct {
		name string
		f    store.UpstreamLinkFilter
		want []domain.ID
	}{
		{"all", store.UpstreamLinkFilter{}, sorted(a1, a2, b1, orphan)},
		{"user", store.UpstreamLinkFilter{UserID: alice.ID}, sorted(a1, a2)},
		{"provider", store.UpstreamLinkFilter{ProviderID: q.ID}, sorted(a2, orphan)},
		{"subject", store.UpstreamLinkFilter{Subject: "a-1"}, sorted(a1, orphan)},
		{"subject is exact", store.UpstreamLinkFilter{Subject: "A-1"}, nil},
		{"user and provider", store.UpstreamLinkFilter{UserID: alice.ID, ProviderID: p.ID}, []domain.ID{a1}},
		{"account name ignores case", store.UpstreamLinkFilter{HumanAccountName: "ALICE"}, sorted(a1, a2)},
		{"account name is literal", store.UpstreamLinkFilter{HumanAccountName: "e_"}, []domain.ID{a2}},
		{"unknown user", store.UpstreamLinkFilter{UserID: nonexistentID()}, nil},
	} {
		got := mustGet[[]*domain.UpstreamLink](t)(h.S.UpstreamLinks().ListPage(ctx, c.f, store.Page{Limit: 100}))
		if ids := linkIDs(got); !slices.Equal(ids, c.want) {
			t.Errorf("%s: %v, want %v", c.name, ids, c.want)
		}
		n, err := h.S.UpstreamLinks().CountFiltered(ctx, c.f)
		if err != nil || n != len(c.want) {
			t.Errorf("%s: count %d (%v), want %d", c.name, n, err, len(c.want))
		}
	}
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
	var out []domain.ID
	for _, l := range ls {
		out = append(out, l.ID)
	}
	return out
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
		var out []domain.ID
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    store.UpstreamProviderFilter
		want []domain.ID
	}{
		{"all", store.UpstreamProviderFilter{}, ids},
		{"enabled", store.UpstreamProviderFilter{Enabled: &yes}, []domain.ID{ids[0], ids[2]}},
		{"disabled", store.UpstreamProviderFilter{Enabled: &no}, []domain.ID{ids[1]}},
	} {
		got := mustGet[[]*domain.UpstreamProvider](t)(h.S.UpstreamProviders().ListPage(ctx, c.f, store.Page{Limit: 100}))
		if got := providerIDs(got); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		n, err := h.S.UpstreamProviders().CountFiltered(ctx, c.f)
		if err != nil || n != len(c.want) {
			t.Errorf("%s: count %d (%v), want %d", c.name, n, err, len(c.want))
		}
	}
	last := providerIDs(mustGet[[]*domain.UpstreamProvider](t)(h.S.UpstreamProviders().ListPage(ctx, store.UpstreamProviderFilter{}, store.Page{Backward: true, Limit: 1})))
	if want := []domain.ID{ids[2]}; !slices.Equal(last, want) {
		t.Errorf("last 1: %v, want %v", last, want)
	}
}
