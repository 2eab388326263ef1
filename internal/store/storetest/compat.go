package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("CompatSessions",
		test{"RoundTripFull", testCompatSessionRoundTripFull},
		test{"RoundTripDeviceless", testCompatSessionRoundTripDeviceless},
		test{"UnknownID", func(t *testing.T, h *H) {
			_, err := h.S.CompatSessions().Lookup(context.Background(), absentID())
			wantErr(t, err, store.ErrNotFound)
		}},
		test{"UnknownUserRejected", func(t *testing.T, h *H) {
			s := &domain.CompatSession{UserID: absentID(), DeviceID: "DEVICE"}
			if err := h.S.CompatSessions().Add(context.Background(), s); err == nil {
				t.Fatal("session for a user that does not exist was stored")
			}
		}},
		test{"FinishLifecycle", testCompatSessionFinish},
		test{"ActiveQueries", testCompatSessionActiveQueries},
		test{"RecordActivity", testCompatSessionActivity},
	)
	register("CompatAccessTokens",
		test{"RoundTrip", testCompatAccessTokenRoundTrip},
		test{"NotFound", func(t *testing.T, h *H) {
			ctx := context.Background()
			_, err := h.S.CompatAccessTokens().Lookup(ctx, absentID())
			wantErr(t, err, store.ErrNotFound)
			_, err = h.S.CompatAccessTokens().FindByToken(ctx, "mct_nope")
			wantErr(t, err, store.ErrNotFound)
		}},
		test{"TokenUnique", func(t *testing.T, h *H) {
			ctx := context.Background()
			a := newCompatSession(t, h, newUser(t, h, "alice").ID, "DEVA")
			b := newCompatSession(t, h, newUser(t, h, "bob").ID, "DEVB")
			mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, a.ID, "syt_same", nil))
			_, err := h.S.CompatAccessTokens().Add(ctx, b.ID, "syt_same", nil)
			wantErr(t, err, store.ErrConflict)
		}},
		test{"Expire", testCompatAccessTokenExpire},
	)
	register("CompatRefreshTokens",
		test{"RoundTrip", testCompatRefreshTokenRoundTrip},
		test{"NotFound", func(t *testing.T, h *H) {
			ctx := context.Background()
			_, err := h.S.CompatRefreshTokens().Lookup(ctx, absentID())
			wantErr(t, err, store.ErrNotFound)
			_, err = h.S.CompatRefreshTokens().FindByToken(ctx, "mcr_nope")
			wantErr(t, err, store.ErrNotFound)
		}},
		test{"TokenUnique", func(t *testing.T, h *H) {
			ctx := context.Background()
			s := newCompatSession(t, h, newUser(t, h, "alice").ID, "DEV")
			at1 := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "mct_1", nil))
			at2 := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "mct_2", nil))
			mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().Add(ctx, s.ID, at1.ID, "mcr_same"))
			_, err := h.S.CompatRefreshTokens().Add(ctx, s.ID, at2.ID, "mcr_same")
			wantErr(t, err, store.ErrConflict)
		}},
		test{"Consume", testCompatRefreshTokenConsume},
		test{"AccessTokenMarkUsed", testCompatAccessTokenMarkUsed},
	)
	register("CompatSSOLogins",
		test{"RoundTrip", testCompatSSOLoginRoundTrip},
		test{"NotFound", func(t *testing.T, h *H) {
			ctx := context.Background()
			_, err := h.S.CompatSSOLogins().Lookup(ctx, absentID())
			wantErr(t, err, store.ErrNotFound)
			_, err = h.S.CompatSSOLogins().FindByToken(ctx, "nope")
			wantErr(t, err, store.ErrNotFound)
		}},
		test{"TokenUnique", func(t *testing.T, h *H) {
			ctx := context.Background()
			mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().Add(ctx, "https://a.example/", "tok"))
			_, err := h.S.CompatSSOLogins().Add(ctx, "https://b.example/", "tok")
			wantErr(t, err, store.ErrConflict)
		}},
		test{"Lifecycle", testCompatSSOLoginLifecycle},
		test{"DeleteUnexchanged", testCompatSSOLoginDeleteUnexchanged},
	)
	registerConcurrency(
		test{"CompatRefreshTokenConsumeRace", testCompatRefreshTokenRace},
		test{"CompatSSOLoginExchangeRace", testCompatSSOLoginRace},
	)
}

// absentID is an ID no store hands out (all-zero entropy).
func absentID() domain.ID { return domain.NewIDGenerator(zeroReader{}).New(Start) }

// newCompatSession stores a plain session for userID holding deviceID.
func newCompatSession(t *testing.T, h *H, userID domain.ID, deviceID string) *domain.CompatSession {
	t.Helper()
	s := &domain.CompatSession{UserID: userID, DeviceID: deviceID}
	must(t, h.S.CompatSessions().Add(context.Background(), s))
	return s
}

// sameCompatSession compares every field.
func sameCompatSession(t *testing.T, got, want *domain.CompatSession) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.DeviceID != want.DeviceID ||
		got.IsSynapseAdmin != want.IsSynapseAdmin || got.UserAgent != want.UserAgent ||
		got.LastActiveIP != want.LastActiveIP || got.HumanName != want.HumanName {
		t.Fatalf("compat session = %+v, want %+v", got, want)
	}
	sameOptionalID(t, "browser session", got.BrowserSessionID, want.BrowserSessionID)
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "finished_at", got.FinishedAt, want.FinishedAt)
	sameTimePtr(t, "last_active_at", got.LastActiveAt, want.LastActiveAt)
}

func sameOptionalID(t *testing.T, what string, got, want *domain.ID) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil || *got != *want:
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func testCompatSessionRoundTripFull(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, "Mozilla/5.0"))
	h.Clock.Advance(1500 * time.Microsecond)
	// Imported devices arrive finished or with past activity; Add keeps it.
	lastSeen := Start.Add(-time.Hour).Add(123 * time.Microsecond)
	finished := Start.Add(-time.Minute)
	s := &domain.CompatSession{
		UserID:           u.ID,
		DeviceID:         "ABCDEFGHIJ",
		BrowserSessionID: &bs.ID,
		IsSynapseAdmin:   true,
		FinishedAt:       &finished,
		UserAgent:        "Element/1.0",
		LastActiveAt:     &lastSeen,
		LastActiveIP:     "2001:db8::1",
		HumanName:        "Alice's phone",
	}
	must(t, h.S.CompatSessions().Add(ctx, s))
	if s.ID == (domain.ID{}) {
		t.Fatal("Add did not assign an ID")
	}
	sameTime(t, "created_at", s.CreatedAt, h.Clock.Now())
	got := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, s.ID))
	sameCompatSession(t, got, s)
	if got.Active() {
		t.Fatal("finished session reads back as active")
	}
}

func testCompatSessionRoundTripDeviceless(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	s := &domain.CompatSession{UserID: u.ID}
	must(t, h.S.CompatSessions().Add(ctx, s))
	got := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, s.ID))
	sameCompatSession(t, got, s)
	if got.DeviceID != "" || got.BrowserSessionID != nil || got.IsSynapseAdmin || !got.Active() || got.LastActiveAt != nil {
		t.Fatalf("deviceless session = %+v", got)
	}
	// A deviceless session holds no device, so it never matches one.
	list := mustGet[[]*domain.CompatSession](t)(h.S.CompatSessions().ListActiveForDevice(ctx, u.ID, ""))
	if len(list) != 0 {
		t.Fatalf("ListActiveForDevice(\"\") = %d sessions", len(list))
	}
	if n := mustGet[int](t)(h.S.CompatSessions().CountActiveForUser(ctx, u.ID)); n != 1 {
		t.Fatalf("active count = %d", n)
	}
}

func testCompatSessionFinish(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	s := newCompatSession(t, h, u.ID, "DEV")
	stale := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, s.ID))
	h.Clock.Advance(time.Minute)
	must(t, h.S.CompatSessions().Finish(ctx, s))
	sameTimePtr(t, "finished_at", s.FinishedAt, ptr(h.Clock.Now()))
	got := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, s.ID))
	sameTimePtr(t, "stored finished_at", got.FinishedAt, ptr(h.Clock.Now()))
	wantErr(t, h.S.CompatSessions().Finish(ctx, got), domain.ErrInvalidTransition)
	h.Clock.Advance(time.Minute)
	wantErr(t, h.S.CompatSessions().Finish(ctx, stale), store.ErrConflict)
	if stale.FinishedAt != nil {
		t.Fatal("a failed Finish left the copy looking finished")
	}
	again := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, s.ID))
	sameTimePtr(t, "finished_at after stale finish", again.FinishedAt, got.FinishedAt)
}

func testCompatSessionActiveQueries(t *testing.T, h *H) {
	ctx := context.Background()
	alice := newUser(t, h, "alice")
	bob := newUser(t, h, "bob")
	a1 := newCompatSession(t, h, alice.ID, "SHARED")
	a2 := newCompatSession(t, h, alice.ID, "SHARED")
	done := newCompatSession(t, h, alice.ID, "SHARED")
	must(t, h.S.CompatSessions().Finish(ctx, done))
	other := newCompatSession(t, h, alice.ID, "OTHER")
	deviceless := newCompatSession(t, h, alice.ID, "")
	newCompatSession(t, h, bob.ID, "SHARED")

	ids := func(l []*domain.CompatSession) []domain.ID {
		out := make([]domain.ID, len(l))
		for i, s := range l {
			out[i] = s.ID
		}
		return out
	}
	same := func(what string, got []*domain.CompatSession, want ...domain.ID) {
		t.Helper()
		// IDs minted in one millisecond are not ordered by creation, so
		// only the ID order the store returns can be relied on.
		g := ids(got)
		slices.SortFunc(want, domain.ID.Compare)
		if fmt.Sprint(g) != fmt.Sprint(want) {
			t.Fatalf("%s = %v, want %v", what, g, want)
		}
	}

	same("alice on SHARED", mustGet[[]*domain.CompatSession](t)(h.S.CompatSessions().ListActiveForDevice(ctx, alice.ID, "SHARED")), a1.ID, a2.ID)
	same("alice on UNKNOWN", mustGet[[]*domain.CompatSession](t)(h.S.CompatSessions().ListActiveForDevice(ctx, alice.ID, "UNKNOWN")))
	// Device IDs are case-sensitive.
	same("alice on shared", mustGet[[]*domain.CompatSession](t)(h.S.CompatSessions().ListActiveForDevice(ctx, alice.ID, "shared")))
	same("alice active", mustGet[[]*domain.CompatSession](t)(h.S.CompatSessions().ListActiveForUser(ctx, alice.ID)),
		a1.ID, a2.ID, other.ID, deviceless.ID)
	if n := mustGet[int](t)(h.S.CompatSessions().CountActiveForUser(ctx, alice.ID)); n != 4 {
		t.Fatalf("alice active count = %d", n)
	}

	h.Clock.Advance(time.Hour)
	if n := mustGet[int](t)(h.S.CompatSessions().FinishAllForUser(ctx, alice.ID)); n != 4 {
		t.Fatalf("FinishAllForUser finished %d", n)
	}
	if n := mustGet[int](t)(h.S.CompatSessions().CountActiveForUser(ctx, alice.ID)); n != 0 {
		t.Fatalf("alice active count after finish all = %d", n)
	}
	got := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, a1.ID))
	sameTimePtr(t, "finished_at", got.FinishedAt, ptr(h.Clock.Now()))
	// The session finished earlier keeps its own time.
	old := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, done.ID))
	sameTimePtr(t, "earlier finished_at", old.FinishedAt, done.FinishedAt)
	if n := mustGet[int](t)(h.S.CompatSessions().FinishAllForUser(ctx, alice.ID)); n != 0 {
		t.Fatalf("second FinishAllForUser finished %d", n)
	}
	if n := mustGet[int](t)(h.S.CompatSessions().CountActiveForUser(ctx, bob.ID)); n != 1 {
		t.Fatalf("bob active count = %d", n)
	}
}

func testCompatSessionActivity(t *testing.T, h *H) {
	ctx := context.Background()
	s := newCompatSession(t, h, newUser(t, h, "alice").ID, "DEV")
	h.Clock.Advance(time.Hour + 7*time.Microsecond)
	must(t, h.S.CompatSessions().RecordActivity(ctx, s.ID, h.Clock.Now(), "192.0.2.7"))
	got := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, s.ID))
	sameTimePtr(t, "last_active_at", got.LastActiveAt, ptr(h.Clock.Now()))
	if got.LastActiveIP != "192.0.2.7" {
		t.Fatalf("last_active_ip = %q", got.LastActiveIP)
	}
	// Activity for a session that is gone is dropped, not an error.
	must(t, h.S.CompatSessions().RecordActivity(ctx, absentID(), h.Clock.Now(), "192.0.2.7"))
}

func sameCompatAccessToken(t *testing.T, got, want *domain.CompatAccessToken) {
	t.Helper()
	if got.ID != want.ID || got.SessionID != want.SessionID || got.Token != want.Token {
		t.Fatalf("compat access token = %+v, want %+v", got, want)
	}
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "expires_at", got.ExpiresAt, want.ExpiresAt)
}

func testCompatAccessTokenRoundTrip(t *testing.T, h *H) {
	ctx := context.Background()
	s := newCompatSession(t, h, newUser(t, h, "alice").ID, "DEV")
	// Sub-microsecond precision is dropped, as both backends keep microseconds.
	exp := Start.Add(5*time.Minute + 1234*time.Nanosecond)
	withExp := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "mct_expiring", &exp))
	sameTimePtr(t, "returned expires_at", withExp.ExpiresAt, ptr(exp.Truncate(time.Microsecond)))
	sameTime(t, "created_at", withExp.CreatedAt, Start)
	forever := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "syt_imported_forever", nil))
	for _, want := range []*domain.CompatAccessToken{withExp, forever} {
		sameCompatAccessToken(t, mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Lookup(ctx, want.ID)), want)
		sameCompatAccessToken(t, mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().FindByToken(ctx, want.Token)), want)
	}
	// Token strings are matched exactly.
	_, err := h.S.CompatAccessTokens().FindByToken(ctx, "MCT_EXPIRING")
	wantErr(t, err, store.ErrNotFound)
}

func testCompatAccessTokenExpire(t *testing.T, h *H) {
	ctx := context.Background()
	s := newCompatSession(t, h, newUser(t, h, "alice").ID, "DEV")
	never := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "mct_never", nil))
	future := Start.Add(time.Hour)
	later := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "mct_later", &future))
	soon := Start.Add(time.Minute)
	lapsed := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "mct_lapsed", &soon))

	h.Clock.Advance(10 * time.Minute)
	now := h.Clock.Now()
	for _, tok := range []*domain.CompatAccessToken{never, later} {
		must(t, h.S.CompatAccessTokens().Expire(ctx, tok))
		sameTimePtr(t, tok.Token+" expires_at", tok.ExpiresAt, &now)
		got := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().FindByToken(ctx, tok.Token))
		sameTimePtr(t, tok.Token+" stored expires_at", got.ExpiresAt, &now)
		if got.Valid(now) {
			t.Fatalf("%s still valid after Expire", tok.Token)
		}
	}
	// A token that already ran out keeps its expiry: expiring it again is
	// what a refresh after the access token lapsed does, and must succeed.
	must(t, h.S.CompatAccessTokens().Expire(ctx, lapsed))
	sameTimePtr(t, "lapsed expires_at", lapsed.ExpiresAt, &soon)
	got := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Lookup(ctx, lapsed.ID))
	sameTimePtr(t, "lapsed stored expires_at", got.ExpiresAt, &soon)
	// Expiring twice is equally harmless and does not move the expiry.
	h.Clock.Advance(time.Minute)
	must(t, h.S.CompatAccessTokens().Expire(ctx, never))
	sameTimePtr(t, "twice expired", never.ExpiresAt, &now)
	got = mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Lookup(ctx, never.ID))
	sameTimePtr(t, "twice expired stored", got.ExpiresAt, &now)

	gone := &domain.CompatAccessToken{ID: absentID(), SessionID: s.ID, Token: "mct_gone"}
	wantErr(t, h.S.CompatAccessTokens().Expire(ctx, gone), store.ErrNotFound)
}

func sameCompatRefreshToken(t *testing.T, got, want *domain.CompatRefreshToken) {
	t.Helper()
	if got.ID != want.ID || got.SessionID != want.SessionID || got.AccessTokenID != want.AccessTokenID || got.Token != want.Token {
		t.Fatalf("compat refresh token = %+v, want %+v", got, want)
	}
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "consumed_at", got.ConsumedAt, want.ConsumedAt)
}

func testCompatRefreshTokenRoundTrip(t *testing.T, h *H) {
	ctx := context.Background()
	s := newCompatSession(t, h, newUser(t, h, "alice").ID, "DEV")
	at := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "syt_access", nil))
	h.Clock.Advance(3 * time.Microsecond)
	rt := mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().Add(ctx, s.ID, at.ID, "syr_refresh"))
	sameTime(t, "created_at", rt.CreatedAt, h.Clock.Now())
	if rt.ConsumedAt != nil || rt.AccessTokenID != at.ID || rt.SessionID != s.ID {
		t.Fatalf("added = %+v", rt)
	}
	sameCompatRefreshToken(t, mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().Lookup(ctx, rt.ID)), rt)
	sameCompatRefreshToken(t, mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().FindByToken(ctx, "syr_refresh")), rt)
	// An access token string is not a refresh token.
	_, err := h.S.CompatRefreshTokens().FindByToken(ctx, "syt_access")
	wantErr(t, err, store.ErrNotFound)
}

func testCompatRefreshTokenConsume(t *testing.T, h *H) {
	ctx := context.Background()
	s := newCompatSession(t, h, newUser(t, h, "alice").ID, "DEV")
	at := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "mct_a", nil))
	rt := mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().Add(ctx, s.ID, at.ID, "mcr_r"))
	stale := mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().FindByToken(ctx, "mcr_r"))
	h.Clock.Advance(time.Minute)
	nextAT := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "mct_b", nil))
	next := mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().Add(ctx, s.ID, nextAT.ID, "mcr_s"))
	must(t, h.S.CompatRefreshTokens().Consume(ctx, rt, next.ID))
	sameTimePtr(t, "consumed_at", rt.ConsumedAt, ptr(h.Clock.Now()))
	got := mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().Lookup(ctx, rt.ID))
	sameCompatRefreshToken(t, got, rt)
	sameOptionalID(t, "next refresh token", got.NextRefreshTokenID, &next.ID)
	wantErr(t, h.S.CompatRefreshTokens().Consume(ctx, got, next.ID), domain.ErrInvalidTransition)
	wantErr(t, h.S.CompatRefreshTokens().Consume(ctx, stale, next.ID), store.ErrConflict)
	if stale.ConsumedAt != nil || stale.NextRefreshTokenID != nil {
		t.Fatal("a failed Consume left the copy looking consumed")
	}

	// Deleting the successor's access token takes the successor with it
	// and clears the link to it.
	used := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "mct_used", nil))
	must(t, h.S.CompatAccessTokens().MarkUsed(ctx, used))
	wantErr(t, h.S.CompatAccessTokens().DeleteUnused(ctx, used.ID), store.ErrConflict)
	must(t, h.S.CompatAccessTokens().DeleteUnused(ctx, nextAT.ID))
	_, err := h.S.CompatRefreshTokens().Lookup(ctx, next.ID)
	wantErr(t, err, store.ErrNotFound)
	got = mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().Lookup(ctx, rt.ID))
	if got.NextRefreshTokenID != nil || got.ConsumedAt == nil {
		t.Fatalf("after deleting its successor: %+v", got)
	}
	wantErr(t, h.S.CompatAccessTokens().DeleteUnused(ctx, nextAT.ID), store.ErrNotFound)
}

func testCompatAccessTokenMarkUsed(t *testing.T, h *H) {
	ctx := context.Background()
	s := newCompatSession(t, h, newUser(t, h, "alice").ID, "DEV")
	at := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "mct_a", nil))
	if at.FirstUsedAt != nil {
		t.Fatalf("new token already used: %+v", at)
	}
	stale := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().FindByToken(ctx, "mct_a"))
	h.Clock.Advance(time.Second)
	first := h.Clock.Now()
	must(t, h.S.CompatAccessTokens().MarkUsed(ctx, at))
	sameTimePtr(t, "first_used_at", at.FirstUsedAt, &first)
	// A racing request that read the token unused keeps the first instant.
	h.Clock.Advance(time.Second)
	must(t, h.S.CompatAccessTokens().MarkUsed(ctx, stale))
	sameTimePtr(t, "first_used_at", stale.FirstUsedAt, &first)
	got := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Lookup(ctx, at.ID))
	sameTimePtr(t, "stored first_used_at", got.FirstUsedAt, &first)
	got, _, _, err := h.S.CompatAccessTokens().FindForIntrospection(ctx, "mct_a")
	must(t, err)
	sameTimePtr(t, "introspected first_used_at", got.FirstUsedAt, &first)
}

func sameCompatSSOLogin(t *testing.T, got, want *domain.CompatSSOLogin) {
	t.Helper()
	if got.ID != want.ID || got.RedirectURI != want.RedirectURI || got.LoginToken != want.LoginToken {
		t.Fatalf("compat sso login = %+v, want %+v", got, want)
	}
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "fulfilled_at", got.FulfilledAt, want.FulfilledAt)
	sameTimePtr(t, "exchanged_at", got.ExchangedAt, want.ExchangedAt)
	sameOptionalID(t, "browser session", got.BrowserSessionID, want.BrowserSessionID)
	sameOptionalID(t, "compat session", got.SessionID, want.SessionID)
}

func testCompatSSOLoginRoundTrip(t *testing.T, h *H) {
	ctx := context.Background()
	const redirect = "https://client.example/cb?state=a%20b&x=1"
	l := mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().Add(ctx, redirect, "abcdefghijklmnopqrstuvwxyz012345"))
	if l.Stage() != domain.StagePending || l.RedirectURI != redirect {
		t.Fatalf("added = %+v", l)
	}
	sameTime(t, "created_at", l.CreatedAt, Start)
	sameCompatSSOLogin(t, mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().Lookup(ctx, l.ID)), l)
	sameCompatSSOLogin(t, mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().FindByToken(ctx, l.LoginToken)), l)
}

func testCompatSSOLoginDeleteUnexchanged(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.CompatSSOLogins()
	u := newUser(t, h, "alice")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	add := func(token string) *domain.CompatSSOLogin {
		t.Helper()
		return mustGet[*domain.CompatSSOLogin](t)(repo.Add(ctx, "https://client.example/", token))
	}
	pending, fulfilled, exchanged := add("pending"), add("fulfilled"), add("exchanged")
	must(t, repo.Fulfill(ctx, fulfilled, bs.ID))
	must(t, repo.Fulfill(ctx, exchanged, bs.ID))
	must(t, repo.Exchange(ctx, exchanged, newCompatSession(t, h, u.ID, "DEV").ID))
	h.Clock.Advance(time.Minute)
	cutoff := h.Clock.Now()
	atCutoff := add("cutoff")

	n, err := repo.DeleteUnexchangedCreatedBefore(ctx, cutoff)
	must(t, err)
	if n != 2 {
		t.Fatalf("deleted %d logins, want 2", n)
	}
	for _, gone := range []*domain.CompatSSOLogin{pending, fulfilled} {
		_, err := repo.Lookup(ctx, gone.ID)
		wantErr(t, err, store.ErrNotFound)
	}
	for _, kept := range []*domain.CompatSSOLogin{exchanged, atCutoff} {
		mustGet[*domain.CompatSSOLogin](t)(repo.Lookup(ctx, kept.ID))
	}
}

func testCompatSSOLoginLifecycle(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	l := mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().Add(ctx, "https://client.example/", "logintoken"))
	stalePending := mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().Lookup(ctx, l.ID))

	session := newCompatSession(t, h, u.ID, "DEV")
	wantErr(t, h.S.CompatSSOLogins().Exchange(ctx, l, session.ID), domain.ErrInvalidTransition)

	h.Clock.Advance(time.Second)
	must(t, h.S.CompatSSOLogins().Fulfill(ctx, l, bs.ID))
	got := mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().FindByToken(ctx, "logintoken"))
	sameCompatSSOLogin(t, got, l)
	if got.Stage() != domain.StageFulfilled || got.BrowserSessionID == nil || *got.BrowserSessionID != bs.ID {
		t.Fatalf("fulfilled = %+v", got)
	}
	sameTimePtr(t, "fulfilled_at", got.FulfilledAt, ptr(h.Clock.Now()))
	wantErr(t, h.S.CompatSSOLogins().Fulfill(ctx, got, bs.ID), domain.ErrInvalidTransition)
	wantErr(t, h.S.CompatSSOLogins().Fulfill(ctx, stalePending, bs.ID), store.ErrConflict)
	if stalePending.Stage() != domain.StagePending || stalePending.BrowserSessionID != nil {
		t.Fatalf("a failed Fulfill changed the copy: %+v", stalePending)
	}
	staleFulfilled := mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().Lookup(ctx, l.ID))

	h.Clock.Advance(time.Second)
	must(t, h.S.CompatSSOLogins().Exchange(ctx, l, session.ID))
	got = mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().Lookup(ctx, l.ID))
	sameCompatSSOLogin(t, got, l)
	if got.Stage() != domain.StageExchanged || got.SessionID == nil || *got.SessionID != session.ID {
		t.Fatalf("exchanged = %+v", got)
	}
	sameTimePtr(t, "exchanged_at", got.ExchangedAt, ptr(h.Clock.Now()))
	wantErr(t, h.S.CompatSSOLogins().Exchange(ctx, got, session.ID), domain.ErrInvalidTransition)
	wantErr(t, h.S.CompatSSOLogins().Fulfill(ctx, got, bs.ID), domain.ErrInvalidTransition)
	wantErr(t, h.S.CompatSSOLogins().Exchange(ctx, staleFulfilled, session.ID), store.ErrConflict)
	if staleFulfilled.Stage() != domain.StageFulfilled || staleFulfilled.SessionID != nil {
		t.Fatalf("a failed Exchange changed the copy: %+v", staleFulfilled)
	}
}

// raceToConflict runs fn from n goroutines released together and returns how many
// succeeded; every failure must be ErrConflict.
func raceToConflict(t *testing.T, n int, fn func(i int) error) int {
	t.Helper()
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		go func() {
			<-start
			errs <- fn(i)
		}()
	}
	close(start)
	won := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			won++
		case errors.Is(err, store.ErrConflict):
		default:
			t.Errorf("racer failed with %v, want nil or ErrConflict", err)
		}
	}
	return won
}

func testCompatRefreshTokenRace(t *testing.T, h *H) {
	ctx := context.Background()
	s := newCompatSession(t, h, newUser(t, h, "alice").ID, "DEV")
	at := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "mct_a", nil))
	mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().Add(ctx, s.ID, at.ID, "mcr_contested"))
	const racers = 8
	// Every racer read the token before any of them consumed it, as
	// concurrent /refresh requests with one token do.
	copies := make([]*domain.CompatRefreshToken, racers)
	for i := range copies {
		copies[i] = mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().FindByToken(ctx, "mcr_contested"))
	}
	won := raceToConflict(t, racers, func(i int) error {
		return store.WithTx(ctx, h.S, func(tx store.Tx) error {
			// Each rotates the pair, as the refresh handler does; only
			// one may consume.
			nat, err := tx.CompatAccessTokens().Add(ctx, s.ID, fmt.Sprintf("mct_next_%d", i), nil)
			if err != nil {
				return err
			}
			next, err := tx.CompatRefreshTokens().Add(ctx, s.ID, nat.ID, fmt.Sprintf("mcr_next_%d", i))
			if err != nil {
				return err
			}
			return tx.CompatRefreshTokens().Consume(ctx, copies[i], next.ID)
		})
	})
	if won != 1 {
		t.Fatalf("%d racers consumed the refresh token, want exactly 1", won)
	}
	got := mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().FindByToken(ctx, "mcr_contested"))
	if got.ConsumedAt == nil {
		t.Fatal("token not consumed after the race")
	}
}

func testCompatSSOLoginRace(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	l := mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().Add(ctx, "https://client.example/", "contested"))
	must(t, h.S.CompatSSOLogins().Fulfill(ctx, l, bs.ID))
	const racers = 8
	copies := make([]*domain.CompatSSOLogin, racers)
	sessions := make([]*domain.CompatSession, racers)
	for i := range copies {
		copies[i] = mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().FindByToken(ctx, "contested"))
		sessions[i] = newCompatSession(t, h, u.ID, fmt.Sprintf("DEVICE%04d", i))
	}
	var winner domain.ID
	won := raceToConflict(t, racers, func(i int) error {
		err := store.WithTx(ctx, h.S, func(tx store.Tx) error {
			return tx.CompatSSOLogins().Exchange(ctx, copies[i], sessions[i].ID)
		})
		if err == nil {
			winner = sessions[i].ID // only one racer gets here
		}
		return err
	})
	if won != 1 {
		t.Fatalf("%d racers exchanged the login token, want exactly 1", won)
	}
	got := mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().Lookup(ctx, l.ID))
	if got.SessionID == nil || *got.SessionID != winner {
		t.Fatalf("stored compat session = %v, want the winner's %v", got.SessionID, winner)
	}
}
