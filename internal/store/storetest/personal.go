package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("PersonalSessions",
		test{"RoundTripUserOwned", testPersonalSessionRoundTripUser},
		test{"RoundTripClientOwned", testPersonalSessionRoundTripClient},
		test{"ExactlyOneOwner", func(t *testing.T, h *H) {
			ctx := context.Background()
			u := newUser(t, h, "alice")
			neither := &domain.PersonalSession{ActorUserID: u.ID, Scope: []string{"openid"}}
			if err := h.S.PersonalSessions().Add(ctx, neither); err == nil {
				t.Fatal("session without an owner was stored")
			}
			clientID := absentID()
			both := &domain.PersonalSession{OwnerUserID: &u.ID, OwnerClientID: &clientID, ActorUserID: u.ID}
			if err := h.S.PersonalSessions().Add(ctx, both); err == nil {
				t.Fatal("session with two owners was stored")
			}
			if l := mustGet[[]*domain.PersonalSession](t)(h.S.PersonalSessions().ListActiveForActor(ctx, u.ID)); len(l) != 0 {
				t.Fatalf("rejected sessions were stored: %d", len(l))
			}
		}},
		test{"UnknownID", func(t *testing.T, h *H) {
			_, err := h.S.PersonalSessions().Lookup(context.Background(), absentID())
			wantErr(t, err, store.ErrNotFound)
		}},
		test{"RevokeAndListActive", testPersonalSessionRevoke},
	)
	register("PersonalAccessTokens",
		test{"RoundTrip", testPATRoundTrip},
		test{"NotFound", func(t *testing.T, h *H) {
			ctx := context.Background()
			_, err := h.S.PersonalAccessTokens().FindBySHA256(ctx, patHash("mpt_nope"))
			wantErr(t, err, store.ErrNotFound)
			_, err = h.S.PersonalAccessTokens().FindBySHA256(ctx, nil)
			wantErr(t, err, store.ErrNotFound)
			s := newPersonalSession(t, h, newUser(t, h, "alice").ID)
			_, err = h.S.PersonalAccessTokens().ActiveForSession(ctx, s.ID)
			wantErr(t, err, store.ErrNotFound)
		}},
		test{"MalformedHash", func(t *testing.T, h *H) {
			s := newPersonalSession(t, h, newUser(t, h, "alice").ID)
			if _, err := h.S.PersonalAccessTokens().Add(context.Background(), s.ID, []byte("mpt_plaintext"), nil); err == nil {
				t.Fatal("a token that is not a SHA-256 was stored")
			}
		}},
		test{"HashUnique", func(t *testing.T, h *H) {
			ctx := context.Background()
			u := newUser(t, h, "alice")
			a, b := newPersonalSession(t, h, u.ID), newPersonalSession(t, h, u.ID)
			mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().Add(ctx, a.ID, patHash("mpt_same"), nil))
			_, err := h.S.PersonalAccessTokens().Add(ctx, b.ID, patHash("mpt_same"), nil)
			wantErr(t, err, store.ErrConflict)
		}},
		test{"OneActivePerSession", testPATOneActive},
		test{"Revoke", testPATRevoke},
	)
	registerConcurrency(
		test{"PersonalAccessTokenOneActiveRace", testPATRace},
	)
}

func patHash(token string) []byte {
	s := sha256.Sum256([]byte(token))
	return s[:]
}

func newPersonalSession(t *testing.T, h *H, userID domain.ID) *domain.PersonalSession {
	t.Helper()
	s := &domain.PersonalSession{OwnerUserID: &userID, ActorUserID: userID, Scope: []string{"urn:matrix:client:api:*"}}
	must(t, h.S.PersonalSessions().Add(context.Background(), s))
	return s
}

func samePersonalSession(t *testing.T, got, want *domain.PersonalSession) {
	t.Helper()
	if got.ID != want.ID || got.ActorUserID != want.ActorUserID || got.HumanName != want.HumanName ||
		!slices.Equal(got.Scope, want.Scope) || got.LastActiveIP != want.LastActiveIP {
		t.Fatalf("personal session = %+v, want %+v", got, want)
	}
	sameOptionalID(t, "owner user", got.OwnerUserID, want.OwnerUserID)
	sameOptionalID(t, "owner client", got.OwnerClientID, want.OwnerClientID)
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "revoked_at", got.RevokedAt, want.RevokedAt)
	sameTimePtr(t, "last_active_at", got.LastActiveAt, want.LastActiveAt)
}

func testPersonalSessionRoundTripUser(t *testing.T, h *H) {
	ctx := context.Background()
	admin := newUser(t, h, "admin")
	bot := newUser(t, h, "bot")
	h.Clock.Advance(42 * time.Microsecond)
	seen := Start.Add(-time.Hour)
	full := &domain.PersonalSession{
		OwnerUserID:  &admin.ID,
		ActorUserID:  bot.ID,
		HumanName:    "CI bot token",
		Scope:        []string{"urn:matrix:client:api:*", "urn:mas:admin", "urn:synapse:admin:*"},
		LastActiveAt: &seen,
		LastActiveIP: "198.51.100.4",
	}
	must(t, h.S.PersonalSessions().Add(ctx, full))
	sameTime(t, "created_at", full.CreatedAt, h.Clock.Now())
	samePersonalSession(t, mustGet[*domain.PersonalSession](t)(h.S.PersonalSessions().Lookup(ctx, full.ID)), full)

	bare := &domain.PersonalSession{OwnerUserID: &bot.ID, ActorUserID: bot.ID}
	must(t, h.S.PersonalSessions().Add(ctx, bare))
	got := mustGet[*domain.PersonalSession](t)(h.S.PersonalSessions().Lookup(ctx, bare.ID))
	samePersonalSession(t, got, bare)
	if len(got.Scope) != 0 || got.HumanName != "" || got.OwnerClientID != nil || got.RevokedAt != nil {
		t.Fatalf("bare session = %+v", got)
	}
}

func testPersonalSessionRoundTripClient(t *testing.T, h *H) {
	ctx := context.Background()
	actor := newUser(t, h, "bot")
	c := &domain.Client{ClientName: "Provisioner", GrantClientCredentials: true}
	must(t, h.S.Clients().Add(ctx, c))
	s := &domain.PersonalSession{OwnerClientID: &c.ID, ActorUserID: actor.ID, HumanName: "provisioning", Scope: []string{"urn:mas:admin"}}
	must(t, h.S.PersonalSessions().Add(ctx, s))
	samePersonalSession(t, mustGet[*domain.PersonalSession](t)(h.S.PersonalSessions().Lookup(ctx, s.ID)), s)

	// Sessions owned by a client that does not exist are refused.
	missing := absentID()
	orphan := &domain.PersonalSession{OwnerClientID: &missing, ActorUserID: actor.ID}
	if err := h.S.PersonalSessions().Add(ctx, orphan); err == nil {
		t.Fatal("session owned by an unknown client was stored")
	}
}

func testPersonalSessionRevoke(t *testing.T, h *H) {
	ctx := context.Background()
	admin := newUser(t, h, "admin")
	bot := newUser(t, h, "bot")
	// Listed by actor, not by owner.
	forBot := &domain.PersonalSession{OwnerUserID: &admin.ID, ActorUserID: bot.ID, Scope: []string{"openid"}}
	must(t, h.S.PersonalSessions().Add(ctx, forBot))
	own := newPersonalSession(t, h, admin.ID)
	second := newPersonalSession(t, h, admin.ID)
	stale := mustGet[*domain.PersonalSession](t)(h.S.PersonalSessions().Lookup(ctx, own.ID))

	sorted := func(ids ...domain.ID) string {
		slices.SortFunc(ids, domain.ID.Compare)
		return fmt.Sprint(ids)
	}
	list := func(u domain.ID) string {
		l := mustGet[[]*domain.PersonalSession](t)(h.S.PersonalSessions().ListActiveForActor(ctx, u))
		ids := make([]domain.ID, len(l))
		for i, s := range l {
			ids[i] = s.ID
		}
		return fmt.Sprint(ids)
	}
	if got, want := list(admin.ID), sorted(own.ID, second.ID); got != want {
		t.Fatalf("admin active = %s, want %s", got, want)
	}
	if got, want := list(bot.ID), fmt.Sprint([]domain.ID{forBot.ID}); got != want {
		t.Fatalf("bot active = %s, want %s", got, want)
	}

	h.Clock.Advance(time.Minute)
	must(t, h.S.PersonalSessions().Revoke(ctx, own))
	got := mustGet[*domain.PersonalSession](t)(h.S.PersonalSessions().Lookup(ctx, own.ID))
	samePersonalSession(t, got, own)
	sameTimePtr(t, "revoked_at", got.RevokedAt, ptr(h.Clock.Now()))
	wantErr(t, h.S.PersonalSessions().Revoke(ctx, got), domain.ErrInvalidTransition)
	wantErr(t, h.S.PersonalSessions().Revoke(ctx, stale), store.ErrConflict)
	if stale.RevokedAt != nil {
		t.Fatal("a failed Revoke left the copy looking revoked")
	}
	if got, want := list(admin.ID), fmt.Sprint([]domain.ID{second.ID}); got != want {
		t.Fatalf("admin active after revoke = %s, want %s", got, want)
	}
}

func samePAT(t *testing.T, got, want *domain.PersonalAccessToken) {
	t.Helper()
	if got.ID != want.ID || got.SessionID != want.SessionID || !slices.Equal(got.TokenSHA256, want.TokenSHA256) {
		t.Fatalf("personal access token = %+v, want %+v", got, want)
	}
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "expires_at", got.ExpiresAt, want.ExpiresAt)
	sameTimePtr(t, "revoked_at", got.RevokedAt, want.RevokedAt)
}

func testPATRoundTrip(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	s1, s2 := newPersonalSession(t, h, u.ID), newPersonalSession(t, h, u.ID)
	exp := Start.Add(90*24*time.Hour + 999*time.Nanosecond)
	h.Clock.Advance(time.Microsecond)
	hash := patHash("mpt_expiring")
	withExp := mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().Add(ctx, s1.ID, hash, &exp))
	hash[0] ^= 0xff // the store must have kept its own copy
	sameTimePtr(t, "returned expires_at", withExp.ExpiresAt, ptr(exp.Truncate(time.Microsecond)))
	sameTime(t, "created_at", withExp.CreatedAt, h.Clock.Now())
	forever := mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().Add(ctx, s2.ID, patHash("mpt_forever"), nil))
	for _, want := range []*domain.PersonalAccessToken{withExp, forever} {
		samePAT(t, mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().FindBySHA256(ctx, want.TokenSHA256)), want)
		samePAT(t, mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().ActiveForSession(ctx, want.SessionID)), want)
	}
	if !slices.Equal(withExp.TokenSHA256, patHash("mpt_expiring")) {
		t.Fatal("Add kept the caller's slice")
	}
}

func testPATOneActive(t *testing.T, h *H) {
	ctx := context.Background()
	s := newPersonalSession(t, h, newUser(t, h, "alice").ID)
	first := mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().Add(ctx, s.ID, patHash("mpt_1"), nil))
	_, err := h.S.PersonalAccessTokens().Add(ctx, s.ID, patHash("mpt_2"), nil)
	wantErr(t, err, store.ErrConflict)
	h.Clock.Advance(time.Hour)

	// Regenerating: revoke, then add, in one transaction.
	var second *domain.PersonalAccessToken
	must(t, store.WithTx(ctx, h.S, func(tx store.Tx) error {
		cur, err := tx.PersonalAccessTokens().ActiveForSession(ctx, s.ID)
		if err != nil {
			return err
		}
		if err := tx.PersonalAccessTokens().Revoke(ctx, cur); err != nil {
			return err
		}
		second, err = tx.PersonalAccessTokens().Add(ctx, s.ID, patHash("mpt_2"), nil)
		return err
	}))
	active := mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().ActiveForSession(ctx, s.ID))
	samePAT(t, active, second)
	old := mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().FindBySHA256(ctx, first.TokenSHA256))
	sameTimePtr(t, "old revoked_at", old.RevokedAt, ptr(h.Clock.Now()))
	if old.Valid(h.Clock.Now()) {
		t.Fatal("revoked token still valid")
	}
	_, err = h.S.PersonalAccessTokens().Add(ctx, s.ID, patHash("mpt_3"), nil)
	wantErr(t, err, store.ErrConflict)
}

func testPATRevoke(t *testing.T, h *H) {
	ctx := context.Background()
	s := newPersonalSession(t, h, newUser(t, h, "alice").ID)
	tok := mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().Add(ctx, s.ID, patHash("mpt_r"), nil))
	stale := mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().FindBySHA256(ctx, patHash("mpt_r")))
	h.Clock.Advance(time.Second)
	must(t, h.S.PersonalAccessTokens().Revoke(ctx, tok))
	got := mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().FindBySHA256(ctx, patHash("mpt_r")))
	samePAT(t, got, tok)
	sameTimePtr(t, "revoked_at", got.RevokedAt, ptr(h.Clock.Now()))
	wantErr(t, h.S.PersonalAccessTokens().Revoke(ctx, got), domain.ErrInvalidTransition)
	wantErr(t, h.S.PersonalAccessTokens().Revoke(ctx, stale), store.ErrConflict)
	if stale.RevokedAt != nil {
		t.Fatal("a failed Revoke left the copy looking revoked")
	}
	_, err := h.S.PersonalAccessTokens().ActiveForSession(ctx, s.ID)
	wantErr(t, err, store.ErrNotFound)
}

func testPATRace(t *testing.T, h *H) {
	ctx := context.Background()
	s := newPersonalSession(t, h, newUser(t, h, "alice").ID)
	won := raceToConflict(t, 8, func(i int) error {
		return store.WithTx(ctx, h.S, func(tx store.Tx) error {
			_, err := tx.PersonalAccessTokens().Add(ctx, s.ID, patHash(fmt.Sprintf("mpt_%d", i)), nil)
			return err
		})
	})
	if won != 1 {
		t.Fatalf("%d racers added a token to one session, want exactly 1", won)
	}
}
