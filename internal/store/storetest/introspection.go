package storetest

import (
	"context"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("Introspection",
		test{"AccessTokenWithUser", testIntrospectAccessToken},
		test{"AccessTokenWithoutUser", testIntrospectAccessTokenNoUser},
		test{"AccessTokenSeesStateChanges", testIntrospectAccessTokenState},
		test{"AccessTokenInTransaction", testIntrospectAccessTokenInTx},
		test{"CompatAccessToken", testIntrospectCompatAccessToken},
		test{"PersonalAccessTokenUserOwned", testIntrospectPersonalUserOwned},
		test{"PersonalAccessTokenClientOwned", testIntrospectPersonalClientOwned},
		test{"NotFound", func(t *testing.T, h *H) {
			ctx := context.Background()
			_, _, _, err := h.S.AccessTokens().FindForIntrospection(ctx, "mat_nope")
			wantErr(t, err, store.ErrNotFound)
			_, _, _, err = h.S.CompatAccessTokens().FindForIntrospection(ctx, "mct_nope")
			wantErr(t, err, store.ErrNotFound)
			_, _, _, _, err = h.S.PersonalAccessTokens().FindForIntrospection(ctx, patHash("mpt_nope"))
			wantErr(t, err, store.ErrNotFound)
		}},
	)
}

// introspectionUser is a user with every column set, so that a column
// read from the wrong table of the join shows.
func introspectionUser(t *testing.T, h *H, name string) *domain.User {
	t.Helper()
	u := newUser(t, h, name)
	h.Clock.Advance(oauth2Odd)
	u.Lock(h.Clock.Now())
	u.CanRequestAdmin = true
	must(t, h.S.Users().Update(context.Background(), u))
	return mustGet[*domain.User](t)(h.S.Users().Lookup(context.Background(), u.ID))
}

func testIntrospectAccessToken(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	f.user = introspectionUser(t, h, "bob")
	s := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, BrowserSessionID: &f.browser.ID,
		Scope: []string{"openid", "urn:matrix:client:api:*"}, UserAgent: "Element", HumanName: "phone"}
	must(t, h.S.Sessions().Add(ctx, s))
	h.Clock.Advance(oauth2Odd)
	must(t, h.S.Sessions().RecordActivity(ctx, s.ID, h.Clock.Now(), "192.0.2.1"))
	s = mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID))
	exp := h.Clock.Now().Add(5 * time.Minute)
	at := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_introspect", &exp))

	gotT, gotS, gotU, err := h.S.AccessTokens().FindForIntrospection(ctx, "mat_introspect")
	must(t, err)
	oauth2SameFields(t, "token", gotT, at)
	oauth2SameFields(t, "session", gotS, s)
	if gotU == nil {
		t.Fatal("user = nil")
	}
	oauth2SameFields(t, "user", gotU, f.user)
}

func testIntrospectAccessTokenNoUser(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	s := &domain.Session{ClientID: f.client.ID, Scope: []string{"urn:mas:admin"}}
	must(t, h.S.Sessions().Add(ctx, s))
	at := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_machine", nil))

	gotT, gotS, gotU, err := h.S.AccessTokens().FindForIntrospection(ctx, "mat_machine")
	must(t, err)
	oauth2SameFields(t, "token", gotT, at)
	oauth2SameFields(t, "session", gotS, s)
	if gotU != nil {
		t.Fatalf("user = %+v, want nil for a client-credentials session", gotU)
	}
}

// testIntrospectAccessTokenState checks that revocation, first use and the
// end of the session are read back, since introspection decides on them.
func testIntrospectAccessTokenState(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	s := addOAuth2Session(t, h, f)
	at := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_state", nil))

	h.Clock.Advance(oauth2Odd)
	must(t, h.S.AccessTokens().MarkUsed(ctx, at))
	h.Clock.Advance(oauth2Odd)
	must(t, h.S.AccessTokens().Revoke(ctx, at))
	h.Clock.Advance(oauth2Odd)
	must(t, h.S.Sessions().Finish(ctx, s))

	gotT, gotS, gotU, err := h.S.AccessTokens().FindForIntrospection(ctx, "mat_state")
	must(t, err)
	sameTimePtr(t, "first_used_at", gotT.FirstUsedAt, at.FirstUsedAt)
	sameTimePtr(t, "revoked_at", gotT.RevokedAt, at.RevokedAt)
	sameTimePtr(t, "finished_at", gotS.FinishedAt, s.FinishedAt)
	if gotU == nil || gotU.ID != f.user.ID || !gotU.IsValid() {
		t.Fatalf("user = %+v, want the valid %s", gotU, f.user.ID)
	}
}

func testIntrospectAccessTokenInTx(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	s := addOAuth2Session(t, h, f)
	tx := mustGet[store.Tx](t)(h.S.Begin(ctx))
	defer tx.Rollback() //nolint:errcheck // test cleanup
	mustGet[*domain.AccessToken](t)(tx.AccessTokens().Add(ctx, s.ID, "mat_tx", nil))
	_, gotS, _, err := tx.AccessTokens().FindForIntrospection(ctx, "mat_tx")
	must(t, err)
	if gotS.ID != s.ID {
		t.Fatalf("session = %s, want %s", gotS.ID, s.ID)
	}
}

func testIntrospectCompatAccessToken(t *testing.T, h *H) {
	ctx := context.Background()
	u := introspectionUser(t, h, "alice")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, "Mozilla/5.0"))
	s := &domain.CompatSession{UserID: u.ID, DeviceID: "ABCDEFGHIJ", BrowserSessionID: &bs.ID, IsSynapseAdmin: true,
		UserAgent: "Element", HumanName: "laptop"}
	must(t, h.S.CompatSessions().Add(ctx, s))
	h.Clock.Advance(oauth2Odd)
	must(t, h.S.CompatSessions().RecordActivity(ctx, s.ID, h.Clock.Now(), "192.0.2.2"))
	s = mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, s.ID))
	exp := h.Clock.Now().Add(oauth2Odd)
	at := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, s.ID, "mct_introspect", &exp))

	gotT, gotS, gotU, err := h.S.CompatAccessTokens().FindForIntrospection(ctx, "mct_introspect")
	must(t, err)
	sameCompatAccessToken(t, gotT, at)
	sameCompatSession(t, gotS, s)
	oauth2SameFields(t, "user", gotU, u)

	// A deviceless imported session reads back without a device.
	bare := newCompatSession(t, h, u.ID, "")
	mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, bare.ID, "syt_imported", nil))
	_, gotS, _, err = h.S.CompatAccessTokens().FindForIntrospection(ctx, "syt_imported")
	must(t, err)
	if gotS.DeviceID != "" || gotS.IsSynapseAdmin {
		t.Fatalf("deviceless session = %+v", gotS)
	}
}

func testIntrospectPersonalUserOwned(t *testing.T, h *H) {
	ctx := context.Background()
	owner := introspectionUser(t, h, "alice")
	actor := newUser(t, h, "bot")
	s := &domain.PersonalSession{OwnerUserID: &owner.ID, ActorUserID: actor.ID, HumanName: "ci",
		Scope: []string{"urn:matrix:client:api:*"}}
	must(t, h.S.PersonalSessions().Add(ctx, s))
	exp := h.Clock.Now().Add(time.Hour)
	pat := mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().Add(ctx, s.ID, patHash("mpt_user"), &exp))

	gotT, gotS, gotActor, gotOwner, err := h.S.PersonalAccessTokens().FindForIntrospection(ctx, patHash("mpt_user"))
	must(t, err)
	samePAT(t, gotT, pat)
	samePersonalSession(t, gotS, s)
	oauth2SameFields(t, "actor", gotActor, actor)
	if gotOwner == nil {
		t.Fatal("owner = nil for a user-owned session")
	}
	oauth2SameFields(t, "owner", gotOwner, owner)
}

func testIntrospectPersonalClientOwned(t *testing.T, h *H) {
	ctx := context.Background()
	actor := newUser(t, h, "bot")
	c := &domain.Client{ClientName: "Provisioner", GrantClientCredentials: true}
	must(t, h.S.Clients().Add(ctx, c))
	s := &domain.PersonalSession{OwnerClientID: &c.ID, ActorUserID: actor.ID, Scope: []string{"urn:mas:admin"}}
	must(t, h.S.PersonalSessions().Add(ctx, s))
	mustGet[*domain.PersonalAccessToken](t)(h.S.PersonalAccessTokens().Add(ctx, s.ID, patHash("mpt_client"), nil))

	_, gotS, gotActor, gotOwner, err := h.S.PersonalAccessTokens().FindForIntrospection(ctx, patHash("mpt_client"))
	must(t, err)
	samePersonalSession(t, gotS, s)
	if gotActor.ID != actor.ID {
		t.Fatalf("actor = %s, want %s", gotActor.ID, actor.ID)
	}
	if gotOwner != nil {
		t.Fatalf("owner = %+v, want nil for a client-owned session", gotOwner)
	}
}
