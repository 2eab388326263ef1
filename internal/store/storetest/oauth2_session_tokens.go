package storetest

import (
	"context"
	"fmt"
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

func init() {
	register("OAuth2GrantExchangeForSession",
		test{"EveryField", testExchangeForSessionEveryField},
		test{"NotFulfilledWritesNothing", testExchangeForSessionNotFulfilled},
		test{"Race", testExchangeForSessionRace},
		test{"InsideATransaction", testExchangeForSessionInTx},
	)
}

// fulfilledGrant adds a grant with the given code and has the fixture's
// browser session approve it.
func fulfilledGrant(t *testing.T, h *H, f oauth2Fixture, code string) *domain.AuthorizationGrant {
	t.Helper()
	ctx := context.Background()
	g := oauth2PendingGrant(f, code)
	must(t, h.S.AuthorizationGrants().Add(ctx, g))
	must(t, h.S.AuthorizationGrants().Fulfill(ctx, g, f.browser.ID))
	return g
}

func testExchangeForSessionEveryField(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	g := fulfilledGrant(t, h, f, "code-every-field")
	h.Clock.Advance(oauth2Odd)
	active := h.Clock.Now()
	s := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, BrowserSessionID: &f.browser.ID,
		Scope: []string{"openid"}, UserAgent: "Element X", LastActiveAt: &active, LastActiveIP: "192.0.2.9"}
	exp := h.Clock.Now().Add(5 * time.Minute)
	at, rt, err := h.S.AuthorizationGrants().ExchangeForSession(ctx, g, s, "mat_exchanged", &exp, "mar_exchanged")
	must(t, err)
	if g.Stage() != domain.StageExchanged || g.SessionID == nil || *g.SessionID != s.ID {
		t.Fatalf("the caller's grant after the exchange = %+v", g)
	}
	sameTimePtr(t, "exchanged_at", g.ExchangedAt, ptr(h.Clock.Now()))
	oauth2SameFields(t, "grant", mustGet[*domain.AuthorizationGrant](t)(h.S.AuthorizationGrants().Lookup(ctx, g.ID)), g)
	oauth2SameFields(t, "session", mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID)), s)
	oauth2SameFields(t, "access token", mustGet[*domain.AccessToken](t)(h.S.AccessTokens().FindByToken(ctx, "mat_exchanged")), at)
	oauth2SameFields(t, "refresh token", mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().FindByToken(ctx, "mar_exchanged")), rt)

	// Without a refresh token.
	g2 := fulfilledGrant(t, h, f, "code-no-refresh")
	s2 := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, BrowserSessionID: &f.browser.ID, Scope: []string{"openid"}}
	at2, rt2, err := h.S.AuthorizationGrants().ExchangeForSession(ctx, g2, s2, "mat_no_refresh", nil, "")
	must(t, err)
	if rt2 != nil || g2.SessionID == nil || *g2.SessionID != s2.ID {
		t.Fatalf("exchange without refresh: grant %+v, refresh %+v", g2, rt2)
	}
	oauth2SameFields(t, "access token", mustGet[*domain.AccessToken](t)(h.S.AccessTokens().FindByToken(ctx, "mat_no_refresh")), at2)
}

// testExchangeForSessionNotFulfilled: a grant nobody approved, and one
// already exchanged, are refused and leave no session or token behind.
func testExchangeForSessionNotFulfilled(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	pending := oauth2PendingGrant(f, "code-pending")
	must(t, h.S.AuthorizationGrants().Add(ctx, pending))
	s := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, Scope: []string{"openid"}}
	_, _, err := h.S.AuthorizationGrants().ExchangeForSession(ctx, pending, s, "mat_pending", nil, "mar_pending")
	wantErr(t, err, domain.ErrInvalidTransition)

	// A stale copy: the grant was exchanged since it was read.
	g := fulfilledGrant(t, h, f, "code-stale")
	stale := *g
	first := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, Scope: []string{"openid"}}
	_, _, err = h.S.AuthorizationGrants().ExchangeForSession(ctx, g, first, "mat_first", nil, "mar_first")
	must(t, err)
	second := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, Scope: []string{"openid"}}
	_, _, err = h.S.AuthorizationGrants().ExchangeForSession(ctx, &stale, second, "mat_second", nil, "mar_second")
	wantErr(t, err, store.ErrConflict)
	if stale.Stage() != domain.StageFulfilled {
		t.Fatalf("a failed exchange changed the caller's copy: %+v", stale)
	}
	for _, tok := range []string{"mat_pending", "mat_second"} {
		_, err = h.S.AccessTokens().FindByToken(ctx, tok)
		wantErr(t, err, store.ErrNotFound)
	}
	for _, tok := range []string{"mar_pending", "mar_second"} {
		_, err = h.S.RefreshTokens().FindByToken(ctx, tok)
		wantErr(t, err, store.ErrNotFound)
	}
	active := mustGet[[]*domain.Session](t)(h.S.Sessions().ListActiveForUser(ctx, f.user.ID))
	if len(active) != 1 || active[0].ID != *g.SessionID {
		t.Fatalf("sessions after the refused exchanges = %v, want only %v", active, *g.SessionID)
	}
}

// testExchangeForSessionRace presents one code from many requests that all
// read the grant first: exactly one session is written.
func testExchangeForSessionRace(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	g := fulfilledGrant(t, h, f, "code-contested")
	copies := make([]*domain.AuthorizationGrant, oauth2Racers)
	for i := range copies {
		copies[i] = mustGet[*domain.AuthorizationGrant](t)(h.S.AuthorizationGrants().FindByCode(ctx, "code-contested"))
	}
	won := oauth2Race(t, oauth2Racers, []error{store.ErrConflict}, func(i int) error {
		s := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, BrowserSessionID: &f.browser.ID, Scope: []string{"openid"}}
		_, _, err := h.S.AuthorizationGrants().ExchangeForSession(ctx, copies[i], s, fmt.Sprintf("mat_racer_%d", i), nil,
			fmt.Sprintf("mar_racer_%d", i))
		return err
	})
	if won != 1 {
		t.Fatalf("%d exchanges of one code succeeded, want 1", won)
	}
	got := mustGet[*domain.AuthorizationGrant](t)(h.S.AuthorizationGrants().Lookup(ctx, g.ID))
	active := mustGet[[]*domain.Session](t)(h.S.Sessions().ListActiveForUser(ctx, f.user.ID))
	if got.SessionID == nil || len(active) != 1 || active[0].ID != *got.SessionID {
		t.Fatalf("after the race: grant %+v, sessions %v", got, active)
	}
	tokens := 0
	for i := range oauth2Racers {
		if _, err := h.S.AccessTokens().FindByToken(ctx, fmt.Sprintf("mat_racer_%d", i)); err == nil {
			tokens++
		}
	}
	if tokens != 1 {
		t.Fatalf("%d racers' access tokens were stored, want 1", tokens)
	}
}

// testExchangeForSessionInTx: inside a transaction it is part of it.
func testExchangeForSessionInTx(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	g := fulfilledGrant(t, h, f, "code-in-tx")
	tx := mustGet[store.Tx](t)(h.S.Begin(ctx))
	s := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, Scope: []string{"openid"}}
	_, _, err := tx.AuthorizationGrants().ExchangeForSession(ctx, g, s, "mat_tx", nil, "mar_tx")
	must(t, err)
	must(t, tx.Rollback())
	_, err = h.S.AccessTokens().FindByToken(ctx, "mat_tx")
	wantErr(t, err, store.ErrNotFound)
	if got := mustGet[*domain.AuthorizationGrant](t)(h.S.AuthorizationGrants().Lookup(ctx, g.ID)); got.Stage() != domain.StageFulfilled {
		t.Fatalf("grant after the rolled-back exchange = %+v", got)
	}
}
