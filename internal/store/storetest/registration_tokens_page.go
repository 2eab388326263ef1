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
	register("RegistrationTokensPage",
		test{"Filters", testRegistrationTokenListPage},
		test{"Cursors", testRegistrationTokenCursors},
		test{"RevokeUnrevoke", testRegistrationTokenRevokeStates})
}

// testRegistrationTokenListPage lists tokens in every state under each
// filter value; expiry is judged at the store's clock.
func testRegistrationTokenListPage(t *testing.T, h *H) {
	ctx := context.Background()
	now := h.Clock.Now()
	for _, tok := range []*domain.RegistrationToken{
		{Token: "fresh"},
		{Token: "used", TimesUsed: 1, UsageLimit: ptr(3)},
		{Token: "spent", TimesUsed: 2, UsageLimit: ptr(2)},
		{Token: "revoked", RevokedAt: ptr(now.Add(-time.Minute))},
		{Token: "expired", ExpiresAt: ptr(now.Add(-time.Second))},
		{Token: "expiring", ExpiresAt: ptr(now.Add(time.Hour))},
	} {
		must(t, h.S.RegistrationTokens().Add(ctx, tok))
	}
	tokens := func(ts []*domain.RegistrationToken) []string {
		return sortedKeys(ts, func(tok *domain.RegistrationToken) string { return tok.Token })
	}
	yes, no := ptr(true), ptr(false)
	checkFiltered(t, []filterCase[store.RegistrationTokenFilter, string]{
		{"all", store.RegistrationTokenFilter{}, []string{"expired", "expiring", "fresh", "revoked", "spent", "used"}},
		{"used", store.RegistrationTokenFilter{Used: yes}, []string{"spent", "used"}},
		{"unused", store.RegistrationTokenFilter{Used: no}, []string{"expired", "expiring", "fresh", "revoked"}},
		{"revoked", store.RegistrationTokenFilter{Revoked: yes}, []string{"revoked"}},
		{"not revoked", store.RegistrationTokenFilter{Revoked: no}, []string{"expired", "expiring", "fresh", "spent", "used"}},
		{"expired", store.RegistrationTokenFilter{Expired: yes}, []string{"expired"}},
		{"not expired", store.RegistrationTokenFilter{Expired: no}, []string{"expiring", "fresh", "revoked", "spent", "used"}},
		{"valid", store.RegistrationTokenFilter{Valid: yes}, []string{"expiring", "fresh", "used"}},
		{"invalid", store.RegistrationTokenFilter{Valid: no}, []string{"expired", "revoked", "spent"}},
		{"combined", store.RegistrationTokenFilter{Valid: yes, Used: no}, []string{"expiring", "fresh"}},
	}, tokens, h.S.RegistrationTokens().ListPage, h.S.RegistrationTokens().CountFiltered)
	// An hour later the expiring token has expired too.
	h.Clock.Advance(time.Hour)
	got := mustGet[[]*domain.RegistrationToken](t)(h.S.RegistrationTokens().ListPage(ctx, store.RegistrationTokenFilter{Expired: yes}, store.Page{Limit: 100}))
	if want := []string{"expired", "expiring"}; !slices.Equal(tokens(got), want) {
		t.Errorf("expired an hour later: %v, want %v", tokens(got), want)
	}
}

// testRegistrationTokenCursors pages forwards and backwards by ID.
func testRegistrationTokenCursors(t *testing.T, h *H) {
	ctx := context.Background()
	var ids []domain.ID
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		h.Clock.Advance(time.Millisecond)
		tok := &domain.RegistrationToken{Token: name}
		must(t, h.S.RegistrationTokens().Add(ctx, tok))
		ids = append(ids, tok.ID)
	}
	slices.SortFunc(ids, domain.ID.Compare)
	list := func(p store.Page) []domain.ID {
		return keysOf(mustGet[[]*domain.RegistrationToken](t)(h.S.RegistrationTokens().ListPage(ctx, store.RegistrationTokenFilter{}, p)),
			func(tok *domain.RegistrationToken) domain.ID { return tok.ID })
	}
	if got := list(store.Page{Limit: 2}); !slices.Equal(got, ids[:2]) {
		t.Errorf("first 2: %v, want %v", got, ids[:2])
	}
	if got := list(store.Page{After: ids[1], Limit: 2}); !slices.Equal(got, ids[2:4]) {
		t.Errorf("after the 2nd: %v, want %v", got, ids[2:4])
	}
	if got, want := list(store.Page{Before: ids[4], Backward: true, Limit: 2}), []domain.ID{ids[3], ids[2]}; !slices.Equal(got, want) {
		t.Errorf("2 before the last: %v, want %v", got, want)
	}
}

// testRegistrationTokenRevokeStates revokes and unrevokes once each: the second
// of each is a conflict, an unknown token not found, and a revoked token
// cannot be used until unrevoked.
func testRegistrationTokenRevokeStates(t *testing.T, h *H) {
	ctx := context.Background()
	tok := &domain.RegistrationToken{Token: "r"}
	must(t, h.S.RegistrationTokens().Add(ctx, tok))
	h.Clock.Advance(time.Minute)
	must(t, h.S.RegistrationTokens().Revoke(ctx, tok))
	if tok.RevokedAt == nil {
		t.Fatal("Revoke left RevokedAt unset")
	}
	got := mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().Lookup(ctx, tok.ID))
	sameRegistrationToken(t, got, tok)
	wantErr(t, h.S.RegistrationTokens().Revoke(ctx, got), store.ErrConflict)
	stale := *got
	stale.RevokedAt = nil
	wantErr(t, h.S.RegistrationTokens().Use(ctx, &stale), store.ErrConflict)

	must(t, h.S.RegistrationTokens().Unrevoke(ctx, got))
	if got.RevokedAt != nil {
		t.Fatal("Unrevoke left RevokedAt set")
	}
	wantErr(t, h.S.RegistrationTokens().Unrevoke(ctx, got), store.ErrConflict)
	sameRegistrationToken(t, mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().Lookup(ctx, tok.ID)), got)
	must(t, h.S.RegistrationTokens().Use(ctx, got))

	// Changing the limits while revoked keeps the revocation.
	must(t, h.S.RegistrationTokens().Revoke(ctx, got))
	edit := *got
	edit.RevokedAt, edit.UsageLimit, edit.ExpiresAt = nil, ptr(4), ptr(Start.Add(time.Hour))
	must(t, h.S.RegistrationTokens().UpdateLimits(ctx, &edit))
	edit.RevokedAt = got.RevokedAt
	sameRegistrationToken(t, mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().Lookup(ctx, tok.ID)), &edit)

	unknown := &domain.RegistrationToken{ID: nonexistentID()}
	wantErr(t, h.S.RegistrationTokens().UpdateLimits(ctx, unknown), store.ErrNotFound)
	wantErr(t, h.S.RegistrationTokens().Revoke(ctx, unknown), store.ErrNotFound)
	wantErr(t, h.S.RegistrationTokens().Unrevoke(ctx, unknown), store.ErrNotFound)
}
