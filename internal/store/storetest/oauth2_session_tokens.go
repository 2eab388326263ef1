package storetest

import (
	"context"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("OAuth2SessionsWithTokens",
		test{"AddLookupEveryField", testSessionWithTokensEveryField},
		test{"WithoutRefresh", testSessionWithTokensWithoutRefresh},
		test{"AllOrNothing", testSessionWithTokensAllOrNothing},
	)
}

func testSessionWithTokensEveryField(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	h.Clock.Advance(oauth2Odd)
	active := h.Clock.Now()
	s := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, BrowserSessionID: &f.browser.ID,
		Scope: []string{"openid", "urn:matrix:client:api:*"}, UserAgent: "Element X", LastActiveAt: &active, LastActiveIP: "192.0.2.7"}
	exp := h.Clock.Now().Add(5*time.Minute + 789*time.Nanosecond)
	at, rt, err := h.S.Sessions().AddWithTokens(ctx, s, "mat_one", &exp, "mar_one")
	must(t, err)
	if s.ID == domain.ZeroID || at.SessionID != s.ID || rt.SessionID != s.ID || rt.AccessTokenID == nil || *rt.AccessTokenID != at.ID {
		t.Fatalf("added %+v, %+v, %+v", s, at, rt)
	}
	sameTime(t, "created_at", s.CreatedAt, h.Clock.Now())
	sameTimePtr(t, "expires_at kept to the microsecond", at.ExpiresAt, ptr(h.Clock.Now().Add(5*time.Minute)))
	oauth2SameFields(t, "session", mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID)), s)
	oauth2SameFields(t, "access token", mustGet[*domain.AccessToken](t)(h.S.AccessTokens().FindByToken(ctx, "mat_one")), at)
	oauth2SameFields(t, "refresh token", mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().FindByToken(ctx, "mar_one")), rt)
}

func testSessionWithTokensWithoutRefresh(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	s := &domain.Session{ClientID: f.client.ID, Scope: []string{"urn:mas:admin"}}
	at, rt, err := h.S.Sessions().AddWithTokens(ctx, s, "mat_cc", nil, "")
	must(t, err)
	if rt != nil || at.ExpiresAt != nil {
		t.Fatalf("added %+v, refresh %+v", at, rt)
	}
	oauth2SameFields(t, "session", mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID)), s)
	oauth2SameFields(t, "access token", mustGet[*domain.AccessToken](t)(h.S.AccessTokens().FindByToken(ctx, "mat_cc")), at)
}

// testSessionWithTokensAllOrNothing makes the last row fail (a refresh
// token already taken) and expects neither the session nor its access
// token to remain, inside and outside a transaction.
func testSessionWithTokensAllOrNothing(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	taken := addOAuth2Session(t, h, f)
	mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, taken.ID, nil, "mar_taken"))

	s := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, Scope: []string{"openid"}}
	_, _, err := h.S.Sessions().AddWithTokens(ctx, s, "mat_new", nil, "mar_taken")
	wantErr(t, err, store.ErrConflict)
	_, err = h.S.AccessTokens().FindByToken(ctx, "mat_new")
	wantErr(t, err, store.ErrNotFound)
	if s.ID != domain.ZeroID {
		_, err = h.S.Sessions().Lookup(ctx, s.ID)
		wantErr(t, err, store.ErrNotFound)
	}

	tx := mustGet[store.Tx](t)(h.S.Begin(ctx))
	in := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, Scope: []string{"openid"}}
	_, _, err = tx.Sessions().AddWithTokens(ctx, in, "mat_in_tx", nil, "mar_in_tx")
	must(t, err)
	must(t, tx.Rollback())
	_, err = h.S.AccessTokens().FindByToken(ctx, "mat_in_tx")
	wantErr(t, err, store.ErrNotFound)
}
