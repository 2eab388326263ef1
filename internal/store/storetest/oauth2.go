package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("OAuth2Clients",
		test{"AddLookupEveryField", testClientEveryField},
		test{"AddMinimal", testClientMinimal},
		test{"NotFound", func(t *testing.T, h *H) {
			ctx := context.Background()
			_, err := h.S.Clients().Lookup(ctx, oauth2UnknownID())
			wantErr(t, err, store.ErrNotFound)
			_, err = h.S.Clients().FindByMetadataDigest(ctx, "nope")
			wantErr(t, err, store.ErrNotFound)
			wantErr(t, h.S.Clients().Delete(ctx, oauth2UnknownID()), store.ErrNotFound)
		}},
		test{"Conflicts", testClientConflicts},
		test{"MetadataDigest", testClientMetadataDigest},
		test{"UpsertStatic", testClientUpsertStatic},
		test{"DeleteCascades", testClientDeleteCascades},
	)
	register("OAuth2AuthorizationGrants",
		test{"AddLookupEveryField", testAuthorizationGrantEveryField},
		test{"AddMinimal", testAuthorizationGrantMinimal},
		test{"CodeUnique", func(t *testing.T, h *H) {
			f := newOAuth2Fixture(t, h, "alice")
			must(t, h.S.AuthorizationGrants().Add(context.Background(), oauth2PendingGrant(f, "code-1")))
			err := h.S.AuthorizationGrants().Add(context.Background(), oauth2PendingGrant(f, "code-1"))
			wantErr(t, err, store.ErrConflict)
		}},
		test{"FulfillExchange", testAuthorizationGrantFulfillExchange},
		test{"Cancel", testAuthorizationGrantCancel},
		test{"StaleCopies", testAuthorizationGrantStale},
	)
	register("OAuth2DeviceCodeGrants",
		test{"AddLookupEveryField", testDeviceGrantEveryField},
		test{"AddMinimal", testDeviceGrantMinimal},
		test{"CodesUnique", testDeviceGrantCodesUnique},
		test{"FulfillExchange", testDeviceGrantFulfillExchange},
		test{"Reject", testDeviceGrantReject},
		test{"StaleCopies", testDeviceGrantStale},
	)
	register("OAuth2Sessions",
		test{"AddLookupEveryField", testSessionEveryField},
		test{"ClientCredentialsWithoutUser", testSessionWithoutUser},
		test{"Finish", testSessionFinish},
		test{"FinishAllForUser", testSessionFinishAllForUser},
		test{"RecordActivity", testSessionRecordActivity},
	)
	register("OAuth2AccessTokens",
		test{"AddLookupFind", testAccessTokenAddLookup},
		test{"TokenUnique", func(t *testing.T, h *H) {
			ctx := context.Background()
			s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
			mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_same", nil))
			_, err := h.S.AccessTokens().Add(ctx, s.ID, "mat_same", nil)
			wantErr(t, err, store.ErrConflict)
		}},
		test{"Revoke", testAccessTokenRevoke},
		test{"MarkUsed", testAccessTokenMarkUsed},
	)
	register("OAuth2RefreshTokens",
		test{"AddLookupFind", testRefreshTokenAddLookup},
		test{"TokenUnique", func(t *testing.T, h *H) {
			ctx := context.Background()
			s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
			mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, s.ID, nil, "mar_same"))
			_, err := h.S.RefreshTokens().Add(ctx, s.ID, nil, "mar_same")
			wantErr(t, err, store.ErrConflict)
		}},
		test{"RotationChain", testRefreshTokenRotation},
		test{"Revoke", testRefreshTokenRevoke},
	)
}

// oauth2UnknownID is an ID no store ever hands out (all-zero entropy).
func oauth2UnknownID() domain.ID { return domain.NewIDGenerator(zeroReader{}).New(Start) }

// oauth2Fixture is what most OAuth 2.0 tests hang their rows off.
type oauth2Fixture struct {
	user    *domain.User
	browser *domain.BrowserSession
	client  *domain.Client
}

func newOAuth2Fixture(t *testing.T, h *H, username string) oauth2Fixture {
	t.Helper()
	ctx := context.Background()
	u := newUser(t, h, username)
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, "Mozilla/5.0"))
	c := &domain.Client{
		RedirectURIs:            []string{"https://app.example.com/cb"},
		GrantAuthorizationCode:  true,
		GrantRefreshToken:       true,
		TokenEndpointAuthMethod: "none",
	}
	must(t, h.S.Clients().Add(ctx, c))
	return oauth2Fixture{user: u, browser: bs, client: c}
}

// addOAuth2Session starts an active session of the fixture's user.
func addOAuth2Session(t *testing.T, h *H, f oauth2Fixture) *domain.Session {
	t.Helper()
	s := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, BrowserSessionID: &f.browser.ID, Scope: []string{"openid"}}
	must(t, h.S.Sessions().Add(context.Background(), s))
	return s
}

func oauth2PendingGrant(f oauth2Fixture, code string) *domain.AuthorizationGrant {
	return &domain.AuthorizationGrant{
		ClientID:         f.client.ID,
		RedirectURI:      "https://app.example.com/cb",
		Scope:            []string{"openid"},
		ResponseMode:     "query",
		ResponseTypeCode: true,
		Code:             code,
	}
}

// oauth2SameFields compares two structs of the same type field by field and
// names the first field that differs. Instants compare with Equal (the
// location is not stored) and a nil list equals an empty one (neither
// backend tells them apart).
func oauth2SameFields(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if g.Kind() == reflect.Pointer {
		g, w = g.Elem(), w.Elem()
	}
	if g.Type() != w.Type() {
		t.Fatalf("%s: comparing %s with %s", what, g.Type(), w.Type())
	}
	for i := range g.NumField() {
		name := g.Type().Field(i).Name
		gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
		switch gv := gf.(type) {
		case time.Time:
			sameTime(t, what+"."+name, gv, wf.(time.Time))
		case *time.Time:
			sameTimePtr(t, what+"."+name, gv, wf.(*time.Time))
		case []string:
			wv := wf.([]string)
			if len(gv) != len(wv) || (len(gv) > 0 && !reflect.DeepEqual(gv, wv)) {
				t.Fatalf("%s.%s = %q, want %q", what, name, gv, wv)
			}
		default:
			if !reflect.DeepEqual(gf, wf) {
				t.Fatalf("%s.%s = %v, want %v", what, name, gf, wf)
			}
		}
	}
}

// oauth2Odd is an offset with sub-second digits, so that precision loss shows.
const oauth2Odd = time.Second + 123456*time.Microsecond

func testClientEveryField(t *testing.T, h *H) {
	ctx := context.Background()
	h.Clock.Advance(oauth2Odd)
	c := &domain.Client{
		EncryptedSecret:             "c2VhbGVk",
		RedirectURIs:                []string{"https://a.example.com/cb", "http://localhost/cb"},
		GrantAuthorizationCode:      true,
		GrantRefreshToken:           true,
		GrantClientCredentials:      true,
		GrantDeviceCode:             true,
		ClientName:                  "Element",
		LogoURI:                     "https://a.example.com/logo.png",
		ClientURI:                   "https://a.example.com/",
		PolicyURI:                   "https://a.example.com/policy",
		TOSURI:                      "https://a.example.com/tos",
		JWKS:                        `{"keys":[]}`,
		JWKSURI:                     "https://a.example.com/jwks.json",
		IDTokenSignedResponseAlg:    "ES256",
		UserinfoSignedResponseAlg:   "RS256",
		TokenEndpointAuthMethod:     "private_key_jwt",
		TokenEndpointAuthSigningAlg: "ES256K",
		InitiateLoginURI:            "https://a.example.com/login",
		ApplicationType:             "native",
		Contacts:                    []string{"ops@example.com", "dev@example.com"},
		MetadataDigest:              "d1g357",
	}
	must(t, h.S.Clients().Add(ctx, c))
	if c.ID == domain.ZeroID {
		t.Fatal("Add did not assign an ID")
	}
	sameTime(t, "created_at", c.CreatedAt, h.Clock.Now())
	got := mustGet[*domain.Client](t)(h.S.Clients().Lookup(ctx, c.ID))
	oauth2SameFields(t, "client", got, c)

	// A caller-chosen ID and creation time are kept.
	chosen := domain.NewIDGenerator(zeroReader{}).New(Start.Add(time.Hour))
	created := Start.Add(-24*time.Hour + 7*time.Microsecond)
	c2 := &domain.Client{ID: chosen, CreatedAt: created, IsStatic: true}
	must(t, h.S.Clients().Add(ctx, c2))
	got2 := mustGet[*domain.Client](t)(h.S.Clients().Lookup(ctx, chosen))
	oauth2SameFields(t, "client with chosen ID", got2, c2)
}

func testClientMinimal(t *testing.T, h *H) {
	ctx := context.Background()
	c := &domain.Client{}
	must(t, h.S.Clients().Add(ctx, c))
	got := mustGet[*domain.Client](t)(h.S.Clients().Lookup(ctx, c.ID))
	oauth2SameFields(t, "client", got, c)
	if len(got.RedirectURIs) != 0 || len(got.Contacts) != 0 || got.IsStatic || got.GrantAuthorizationCode {
		t.Fatalf("minimal client came back as %+v", got)
	}
}

func testClientConflicts(t *testing.T, h *H) {
	ctx := context.Background()
	a := &domain.Client{MetadataDigest: "same"}
	must(t, h.S.Clients().Add(ctx, a))
	wantErr(t, h.S.Clients().Add(ctx, &domain.Client{MetadataDigest: "same"}), store.ErrConflict)
	wantErr(t, h.S.Clients().Add(ctx, &domain.Client{ID: a.ID}), store.ErrConflict)
	// Clients without a digest do not collide with each other.
	must(t, h.S.Clients().Add(ctx, &domain.Client{}))
	must(t, h.S.Clients().Add(ctx, &domain.Client{}))
	// A static client may not take a dynamic client's digest either.
	err := h.S.Clients().UpsertStatic(ctx, &domain.Client{ID: oauth2UnknownID(), MetadataDigest: "same"})
	wantErr(t, err, store.ErrConflict)
}

func testClientMetadataDigest(t *testing.T, h *H) {
	ctx := context.Background()
	must(t, h.S.Clients().Add(ctx, &domain.Client{ClientName: "no digest"}))
	c := &domain.Client{ClientName: "public", MetadataDigest: "abc123"}
	must(t, h.S.Clients().Add(ctx, c))
	got := mustGet[*domain.Client](t)(h.S.Clients().FindByMetadataDigest(ctx, "abc123"))
	if got.ID != c.ID {
		t.Fatalf("found %v, want %v", got.ID, c.ID)
	}
	// An empty digest means "none" and never matches.
	_, err := h.S.Clients().FindByMetadataDigest(ctx, "")
	wantErr(t, err, store.ErrNotFound)
}

func testClientUpsertStatic(t *testing.T, h *H) {
	ctx := context.Background()
	dynamic := &domain.Client{ClientName: "dynamic"}
	must(t, h.S.Clients().Add(ctx, dynamic))

	if err := h.S.Clients().UpsertStatic(ctx, &domain.Client{}); err == nil {
		t.Fatal("UpsertStatic accepted a client without an ID")
	}

	staticID := domain.NewIDGenerator(zeroReader{}).New(Start.Add(-time.Hour))
	first := &domain.Client{
		ID:                      staticID,
		EncryptedSecret:         "old-secret",
		RedirectURIs:            []string{"https://old.example.com/cb"},
		GrantAuthorizationCode:  true,
		GrantClientCredentials:  true,
		ClientName:              "Old name",
		JWKSURI:                 "https://old.example.com/jwks",
		TokenEndpointAuthMethod: "client_secret_basic",
		Contacts:                []string{"old@example.com"},
	}
	must(t, h.S.Clients().UpsertStatic(ctx, first))
	if !first.IsStatic {
		t.Fatal("UpsertStatic did not mark the client static")
	}
	sameTime(t, "created_at", first.CreatedAt, Start)
	oauth2SameFields(t, "static client", mustGet[*domain.Client](t)(h.S.Clients().Lookup(ctx, staticID)), first)

	// The configuration changes: every column is replaced, including
	// optional ones going back to empty, but the row keeps its age.
	h.Clock.Advance(oauth2Odd)
	second := &domain.Client{
		ID:                      staticID,
		RedirectURIs:            []string{"https://new.example.com/cb", "https://new.example.com/cb2"},
		GrantRefreshToken:       true,
		GrantDeviceCode:         true,
		ClientName:              "New name",
		ApplicationType:         "web",
		TokenEndpointAuthMethod: "none",
	}
	must(t, h.S.Clients().UpsertStatic(ctx, second))
	sameTime(t, "created_at after update", second.CreatedAt, Start)
	got := mustGet[*domain.Client](t)(h.S.Clients().Lookup(ctx, staticID))
	oauth2SameFields(t, "updated static client", got, second)
	if got.EncryptedSecret != "" || got.JWKSURI != "" || len(got.Contacts) != 0 || got.GrantAuthorizationCode {
		t.Fatalf("old values survived: %+v", got)
	}

	// Upserting over a dynamic client's ID turns it static.
	must(t, h.S.Clients().UpsertStatic(ctx, &domain.Client{ID: dynamic.ID, ClientName: "now static"}))
	static := mustGet[[]*domain.Client](t)(h.S.Clients().ListStatic(ctx))
	if len(static) != 2 || static[0].ID != staticID || static[1].ID != dynamic.ID {
		t.Fatalf("static clients = %v", static)
	}
	for _, c := range static {
		if !c.IsStatic {
			t.Fatalf("listed client %v is not static", c.ID)
		}
	}
}

func testClientDeleteCascades(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	other := newOAuth2Fixture(t, h, "bob")
	s := addOAuth2Session(t, h, f)
	at := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_1", nil))
	rt := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, s.ID, &at.ID, "mar_1"))
	g := oauth2PendingGrant(f, "code")
	must(t, h.S.AuthorizationGrants().Add(ctx, g))
	dg := &domain.DeviceCodeGrant{ClientID: f.client.ID, UserCode: "ABCDEF", DeviceCode: "dev", ExpiresAt: Start.Add(time.Hour)}
	must(t, h.S.DeviceCodeGrants().Add(ctx, dg))
	kept := addOAuth2Session(t, h, other)

	must(t, h.S.Sessions().Finish(ctx, s))
	must(t, h.S.Clients().Delete(ctx, f.client.ID))
	_, err := h.S.Clients().Lookup(ctx, f.client.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.Sessions().Lookup(ctx, s.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.AccessTokens().Lookup(ctx, at.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.RefreshTokens().Lookup(ctx, rt.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.AuthorizationGrants().Lookup(ctx, g.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.DeviceCodeGrants().Lookup(ctx, dg.ID)
	wantErr(t, err, store.ErrNotFound)
	mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, kept.ID))
	mustGet[*domain.User](t)(h.S.Users().Lookup(ctx, f.user.ID))
	wantErr(t, h.S.Clients().Delete(ctx, f.client.ID), store.ErrNotFound)
}

func testAuthorizationGrantEveryField(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	s := addOAuth2Session(t, h, f)
	h.Clock.Advance(oauth2Odd)
	fulfilled := h.Clock.Now().Add(time.Second)
	exchanged := fulfilled.Add(3 * time.Microsecond)
	// Every column set, as an import of an already exchanged grant would.
	g := &domain.AuthorizationGrant{
		ClientID:            f.client.ID,
		RedirectURI:         "https://app.example.com/cb",
		Scope:               []string{"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:ABCDEFGHIJ"},
		State:               "st4te",
		Nonce:               "n0nce",
		ResponseMode:        "fragment",
		ResponseTypeCode:    true,
		ResponseTypeIDToken: true,
		Code:                "c0de",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		LoginHint:           "mxid:@alice:example.com",
		Locale:              "fr",
		RawParameters:       "response_type=code&client_id=x&scope=openid",
		FulfilledAt:         &fulfilled,
		ExchangedAt:         &exchanged,
		BrowserSessionID:    &f.browser.ID,
		SessionID:           &s.ID,
	}
	must(t, h.S.AuthorizationGrants().Add(ctx, g))
	sameTime(t, "created_at", g.CreatedAt, h.Clock.Now())
	oauth2SameFields(t, "grant", mustGet[*domain.AuthorizationGrant](t)(h.S.AuthorizationGrants().Lookup(ctx, g.ID)), g)
	oauth2SameFields(t, "grant by code", mustGet[*domain.AuthorizationGrant](t)(h.S.AuthorizationGrants().FindByCode(ctx, "c0de")), g)
	withClient, client, err := h.S.AuthorizationGrants().LookupWithClient(ctx, g.ID)
	must(t, err)
	oauth2SameFields(t, "grant with client", withClient, g)
	oauth2SameFields(t, "client of the grant", client, mustGet[*domain.Client](t)(h.S.Clients().Lookup(ctx, f.client.ID)))
	_, _, err = h.S.AuthorizationGrants().LookupWithClient(ctx, oauth2UnknownID())
	wantErr(t, err, store.ErrNotFound)

	_, err = h.S.AuthorizationGrants().Lookup(ctx, oauth2UnknownID())
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.AuthorizationGrants().FindByCode(ctx, "C0DE")
	wantErr(t, err, store.ErrNotFound)
}

func testAuthorizationGrantMinimal(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	// An id_token-only request has no code; several of them coexist.
	g1 := &domain.AuthorizationGrant{ClientID: f.client.ID, RedirectURI: "https://app.example.com/cb", ResponseMode: "fragment", ResponseTypeIDToken: true}
	g2 := &domain.AuthorizationGrant{ClientID: f.client.ID, RedirectURI: "https://app.example.com/cb", ResponseMode: "fragment", ResponseTypeIDToken: true}
	must(t, h.S.AuthorizationGrants().Add(ctx, g1))
	must(t, h.S.AuthorizationGrants().Add(ctx, g2))
	got := mustGet[*domain.AuthorizationGrant](t)(h.S.AuthorizationGrants().Lookup(ctx, g1.ID))
	oauth2SameFields(t, "grant", got, g1)
	if got.Stage() != domain.StagePending || got.BrowserSessionID != nil || got.SessionID != nil || len(got.Scope) != 0 {
		t.Fatalf("minimal grant came back as %+v", got)
	}
	_, err := h.S.AuthorizationGrants().FindByCode(ctx, "")
	wantErr(t, err, store.ErrNotFound)
}

func testAuthorizationGrantFulfillExchange(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.AuthorizationGrants()
	f := newOAuth2Fixture(t, h, "alice")
	g := oauth2PendingGrant(f, "code")
	must(t, repo.Add(ctx, g))
	s := addOAuth2Session(t, h, f)

	wantErr(t, repo.Exchange(ctx, g, s.ID), domain.ErrInvalidTransition)

	h.Clock.Advance(oauth2Odd)
	must(t, repo.Fulfill(ctx, g, f.browser.ID))
	sameTimePtr(t, "fulfilled_at", g.FulfilledAt, ptr(h.Clock.Now()))
	got := mustGet[*domain.AuthorizationGrant](t)(repo.Lookup(ctx, g.ID))
	oauth2SameFields(t, "fulfilled grant", got, g)
	if got.Stage() != domain.StageFulfilled || got.BrowserSessionID == nil || *got.BrowserSessionID != f.browser.ID {
		t.Fatalf("fulfilled grant = %+v", got)
	}
	wantErr(t, repo.Fulfill(ctx, got, f.browser.ID), domain.ErrInvalidTransition)
	wantErr(t, repo.Cancel(ctx, got), domain.ErrInvalidTransition)

	h.Clock.Advance(oauth2Odd)
	must(t, repo.Exchange(ctx, got, s.ID))
	again := mustGet[*domain.AuthorizationGrant](t)(repo.FindByCode(ctx, "code"))
	oauth2SameFields(t, "exchanged grant", again, got)
	sameTimePtr(t, "exchanged_at", again.ExchangedAt, ptr(h.Clock.Now()))
	if again.Stage() != domain.StageExchanged || again.SessionID == nil || *again.SessionID != s.ID {
		t.Fatalf("exchanged grant = %+v", again)
	}
	wantErr(t, repo.Exchange(ctx, again, s.ID), domain.ErrInvalidTransition)
	wantErr(t, repo.Fulfill(ctx, again, f.browser.ID), domain.ErrInvalidTransition)
	wantErr(t, repo.Cancel(ctx, again), domain.ErrInvalidTransition)
}

func testAuthorizationGrantCancel(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.AuthorizationGrants()
	f := newOAuth2Fixture(t, h, "alice")
	g := oauth2PendingGrant(f, "code")
	must(t, repo.Add(ctx, g))
	h.Clock.Advance(oauth2Odd)
	must(t, repo.Cancel(ctx, g))
	got := mustGet[*domain.AuthorizationGrant](t)(repo.Lookup(ctx, g.ID))
	oauth2SameFields(t, "cancelled grant", got, g)
	sameTimePtr(t, "cancelled_at", got.CancelledAt, ptr(h.Clock.Now()))
	if got.Stage() != domain.StageCancelled {
		t.Fatalf("stage = %s", got.Stage())
	}
	wantErr(t, repo.Cancel(ctx, got), domain.ErrInvalidTransition)
	wantErr(t, repo.Fulfill(ctx, got, f.browser.ID), domain.ErrInvalidTransition)
	s := addOAuth2Session(t, h, f)
	wantErr(t, repo.Exchange(ctx, got, s.ID), domain.ErrInvalidTransition)
}

func testAuthorizationGrantStale(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.AuthorizationGrants()
	f := newOAuth2Fixture(t, h, "alice")

	// Consent and cancellation racing on one pending grant.
	g := oauth2PendingGrant(f, "code")
	must(t, repo.Add(ctx, g))
	stale := mustGet[*domain.AuthorizationGrant](t)(repo.Lookup(ctx, g.ID))
	must(t, repo.Cancel(ctx, g))
	wantErr(t, repo.Fulfill(ctx, stale, f.browser.ID), store.ErrConflict)
	if got := mustGet[*domain.AuthorizationGrant](t)(repo.Lookup(ctx, g.ID)); got.Stage() != domain.StageCancelled || got.BrowserSessionID != nil {
		t.Fatalf("lost fulfil was written: %+v", got)
	}

	// A code replayed with a copy read before the first exchange.
	g2 := oauth2PendingGrant(f, "code-2")
	must(t, repo.Add(ctx, g2))
	must(t, repo.Fulfill(ctx, g2, f.browser.ID))
	stale2 := mustGet[*domain.AuthorizationGrant](t)(repo.Lookup(ctx, g2.ID))
	first := addOAuth2Session(t, h, f)
	second := addOAuth2Session(t, h, f)
	must(t, repo.Exchange(ctx, g2, first.ID))
	wantErr(t, repo.Exchange(ctx, stale2, second.ID), store.ErrConflict)
	got := mustGet[*domain.AuthorizationGrant](t)(repo.Lookup(ctx, g2.ID))
	if got.SessionID == nil || *got.SessionID != first.ID {
		t.Fatalf("session of exchanged grant = %v, want %v", got.SessionID, first.ID)
	}

	// A stale pending copy cannot cancel a fulfilled grant.
	g3 := oauth2PendingGrant(f, "code-3")
	must(t, repo.Add(ctx, g3))
	stale3 := mustGet[*domain.AuthorizationGrant](t)(repo.Lookup(ctx, g3.ID))
	must(t, repo.Fulfill(ctx, g3, f.browser.ID))
	wantErr(t, repo.Cancel(ctx, stale3), store.ErrConflict)
}

func oauth2DeviceGrant(f oauth2Fixture, userCode, deviceCode string) *domain.DeviceCodeGrant {
	return &domain.DeviceCodeGrant{
		ClientID:   f.client.ID,
		Scope:      []string{"openid"},
		UserCode:   userCode,
		DeviceCode: deviceCode,
		ExpiresAt:  Start.Add(20 * time.Minute),
	}
}

func testDeviceGrantEveryField(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	s := addOAuth2Session(t, h, f)
	h.Clock.Advance(oauth2Odd)
	fulfilled := h.Clock.Now().Add(time.Minute + time.Microsecond)
	exchanged := fulfilled.Add(5 * time.Second)
	g := &domain.DeviceCodeGrant{
		ClientID:         f.client.ID,
		Scope:            []string{"openid", "urn:matrix:client:api:*"},
		UserCode:         "ABC123",
		DeviceCode:       "d3v1c3c0d3",
		ExpiresAt:        h.Clock.Now().Add(20 * time.Minute),
		FulfilledAt:      &fulfilled,
		ExchangedAt:      &exchanged,
		BrowserSessionID: &f.browser.ID,
		SessionID:        &s.ID,
		IPAddress:        "2001:db8::1",
		UserAgent:        "curl/8",
		Locale:           "de",
	}
	must(t, h.S.DeviceCodeGrants().Add(ctx, g))
	sameTime(t, "created_at", g.CreatedAt, h.Clock.Now())
	oauth2SameFields(t, "device grant", mustGet[*domain.DeviceCodeGrant](t)(h.S.DeviceCodeGrants().Lookup(ctx, g.ID)), g)
	oauth2SameFields(t, "by user code", mustGet[*domain.DeviceCodeGrant](t)(h.S.DeviceCodeGrants().FindByUserCode(ctx, "ABC123")), g)
	oauth2SameFields(t, "by device code", mustGet[*domain.DeviceCodeGrant](t)(h.S.DeviceCodeGrants().FindByDeviceCode(ctx, "d3v1c3c0d3")), g)

	_, err := h.S.DeviceCodeGrants().Lookup(ctx, oauth2UnknownID())
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.DeviceCodeGrants().FindByUserCode(ctx, "ZZZ999")
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.DeviceCodeGrants().FindByDeviceCode(ctx, "ABC123")
	wantErr(t, err, store.ErrNotFound)
}

func testDeviceGrantMinimal(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	g := &domain.DeviceCodeGrant{ClientID: f.client.ID, UserCode: "U", DeviceCode: "D", ExpiresAt: Start.Add(20*time.Minute + 999*time.Nanosecond)}
	must(t, h.S.DeviceCodeGrants().Add(ctx, g))
	sameTime(t, "expires_at kept to the microsecond", g.ExpiresAt, Start.Add(20*time.Minute))
	got := mustGet[*domain.DeviceCodeGrant](t)(h.S.DeviceCodeGrants().Lookup(ctx, g.ID))
	oauth2SameFields(t, "device grant", got, g)
	if got.Stage() != domain.StagePending || got.BrowserSessionID != nil || got.SessionID != nil || got.IPAddress != "" {
		t.Fatalf("minimal device grant came back as %+v", got)
	}
}

func testDeviceGrantCodesUnique(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	must(t, h.S.DeviceCodeGrants().Add(ctx, oauth2DeviceGrant(f, "USER01", "device-1")))
	wantErr(t, h.S.DeviceCodeGrants().Add(ctx, oauth2DeviceGrant(f, "USER01", "device-2")), store.ErrConflict)
	wantErr(t, h.S.DeviceCodeGrants().Add(ctx, oauth2DeviceGrant(f, "USER02", "device-1")), store.ErrConflict)
	must(t, h.S.DeviceCodeGrants().Add(ctx, oauth2DeviceGrant(f, "USER02", "device-2")))
}

func testDeviceGrantFulfillExchange(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.DeviceCodeGrants()
	f := newOAuth2Fixture(t, h, "alice")
	g := oauth2DeviceGrant(f, "USER01", "device-1")
	must(t, repo.Add(ctx, g))
	s := addOAuth2Session(t, h, f)
	wantErr(t, repo.Exchange(ctx, g, s.ID), domain.ErrInvalidTransition)

	h.Clock.Advance(oauth2Odd)
	must(t, repo.Fulfill(ctx, g, f.browser.ID))
	got := mustGet[*domain.DeviceCodeGrant](t)(repo.FindByUserCode(ctx, "USER01"))
	oauth2SameFields(t, "fulfilled device grant", got, g)
	sameTimePtr(t, "fulfilled_at", got.FulfilledAt, ptr(h.Clock.Now()))
	if got.Stage() != domain.StageFulfilled || got.BrowserSessionID == nil || *got.BrowserSessionID != f.browser.ID {
		t.Fatalf("fulfilled device grant = %+v", got)
	}
	wantErr(t, repo.Fulfill(ctx, got, f.browser.ID), domain.ErrInvalidTransition)
	wantErr(t, repo.Reject(ctx, got, f.browser.ID), domain.ErrInvalidTransition)

	h.Clock.Advance(oauth2Odd)
	must(t, repo.Exchange(ctx, got, s.ID))
	again := mustGet[*domain.DeviceCodeGrant](t)(repo.FindByDeviceCode(ctx, "device-1"))
	oauth2SameFields(t, "exchanged device grant", again, got)
	sameTimePtr(t, "exchanged_at", again.ExchangedAt, ptr(h.Clock.Now()))
	if again.Stage() != domain.StageExchanged || again.SessionID == nil || *again.SessionID != s.ID {
		t.Fatalf("exchanged device grant = %+v", again)
	}
	wantErr(t, repo.Exchange(ctx, again, s.ID), domain.ErrInvalidTransition)
	wantErr(t, repo.Fulfill(ctx, again, f.browser.ID), domain.ErrInvalidTransition)
	wantErr(t, repo.Reject(ctx, again, f.browser.ID), domain.ErrInvalidTransition)
}

func testDeviceGrantReject(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.DeviceCodeGrants()
	f := newOAuth2Fixture(t, h, "alice")
	g := oauth2DeviceGrant(f, "USER01", "device-1")
	must(t, repo.Add(ctx, g))
	h.Clock.Advance(oauth2Odd)
	must(t, repo.Reject(ctx, g, f.browser.ID))
	got := mustGet[*domain.DeviceCodeGrant](t)(repo.Lookup(ctx, g.ID))
	oauth2SameFields(t, "rejected device grant", got, g)
	sameTimePtr(t, "rejected_at", got.RejectedAt, ptr(h.Clock.Now()))
	if got.Stage() != domain.StageRejected || got.BrowserSessionID == nil || *got.BrowserSessionID != f.browser.ID {
		t.Fatalf("rejected device grant = %+v", got)
	}
	s := addOAuth2Session(t, h, f)
	wantErr(t, repo.Exchange(ctx, got, s.ID), domain.ErrInvalidTransition)
	wantErr(t, repo.Fulfill(ctx, got, f.browser.ID), domain.ErrInvalidTransition)
	wantErr(t, repo.Reject(ctx, got, f.browser.ID), domain.ErrInvalidTransition)
}

func testDeviceGrantStale(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.DeviceCodeGrants()
	f := newOAuth2Fixture(t, h, "alice")

	// Approve in one tab, refuse in another.
	g := oauth2DeviceGrant(f, "USER01", "device-1")
	must(t, repo.Add(ctx, g))
	stale := mustGet[*domain.DeviceCodeGrant](t)(repo.Lookup(ctx, g.ID))
	must(t, repo.Fulfill(ctx, g, f.browser.ID))
	wantErr(t, repo.Reject(ctx, stale, f.browser.ID), store.ErrConflict)
	stale = mustGet[*domain.DeviceCodeGrant](t)(repo.Lookup(ctx, g.ID))
	if stale.Stage() != domain.StageFulfilled {
		t.Fatalf("stage = %s", stale.Stage())
	}

	// Two polls racing for the same approved grant.
	first := addOAuth2Session(t, h, f)
	second := addOAuth2Session(t, h, f)
	must(t, repo.Exchange(ctx, g, first.ID))
	wantErr(t, repo.Exchange(ctx, stale, second.ID), store.ErrConflict)
	got := mustGet[*domain.DeviceCodeGrant](t)(repo.Lookup(ctx, g.ID))
	if got.SessionID == nil || *got.SessionID != first.ID {
		t.Fatalf("session of exchanged grant = %v, want %v", got.SessionID, first.ID)
	}
}

func testSessionEveryField(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	h.Clock.Advance(oauth2Odd)
	active := h.Clock.Now().Add(-time.Microsecond)
	s := &domain.Session{
		ClientID:         f.client.ID,
		UserID:           &f.user.ID,
		BrowserSessionID: &f.browser.ID,
		Scope:            []string{"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:ABCDEFGHIJ"},
		UserAgent:        "Element X",
		LastActiveAt:     &active,
		LastActiveIP:     "192.0.2.7",
		HumanName:        "My phone",
	}
	must(t, h.S.Sessions().Add(ctx, s))
	if s.ID == domain.ZeroID {
		t.Fatal("Add did not assign an ID")
	}
	sameTime(t, "created_at", s.CreatedAt, h.Clock.Now())
	oauth2SameFields(t, "session", mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID)), s)

	// A finished session can be stored as such.
	finished := h.Clock.Now()
	done := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, FinishedAt: &finished}
	must(t, h.S.Sessions().Add(ctx, done))
	got := mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, done.ID))
	oauth2SameFields(t, "finished session", got, done)
	if got.Active() || got.BrowserSessionID != nil || got.LastActiveAt != nil {
		t.Fatalf("finished session = %+v", got)
	}

	_, err := h.S.Sessions().Lookup(ctx, oauth2UnknownID())
	wantErr(t, err, store.ErrNotFound)
}

func testSessionWithoutUser(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	s := &domain.Session{ClientID: f.client.ID, Scope: []string{"urn:mas:admin"}}
	must(t, h.S.Sessions().Add(ctx, s))
	got := mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID))
	oauth2SameFields(t, "client credentials session", got, s)
	if got.UserID != nil || got.BrowserSessionID != nil || !got.Active() {
		t.Fatalf("client credentials session = %+v", got)
	}
	at := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_cc", nil))
	if byToken := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().FindByToken(ctx, "mat_cc")); byToken.SessionID != s.ID || byToken.ID != at.ID {
		t.Fatalf("token = %+v", byToken)
	}
	// No user's bulk operations reach it.
	if n := mustGet[int](t)(h.S.Sessions().FinishAllForUser(ctx, f.user.ID)); n != 0 {
		t.Fatalf("finished %d", n)
	}
	if !mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID)).Active() {
		t.Fatal("client credentials session was finished with the user's sessions")
	}
	must(t, h.S.Sessions().Finish(ctx, got))
}

func testSessionFinish(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	s := addOAuth2Session(t, h, f)
	stale := mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID))
	h.Clock.Advance(oauth2Odd)
	must(t, h.S.Sessions().Finish(ctx, s))
	got := mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID))
	sameTimePtr(t, "finished_at", got.FinishedAt, ptr(h.Clock.Now()))
	wantErr(t, h.S.Sessions().Finish(ctx, got), domain.ErrInvalidTransition)
	h.Clock.Advance(time.Minute)
	wantErr(t, h.S.Sessions().Finish(ctx, stale), store.ErrConflict)
	again := mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID))
	sameTimePtr(t, "finished_at after a lost finish", again.FinishedAt, got.FinishedAt)
}

func testSessionFinishAllForUser(t *testing.T, h *H) {
	ctx := context.Background()
	alice := newOAuth2Fixture(t, h, "alice")
	bob := newOAuth2Fixture(t, h, "bob")
	a1 := addOAuth2Session(t, h, alice)
	a2 := addOAuth2Session(t, h, alice)
	a3 := addOAuth2Session(t, h, alice)
	b1 := addOAuth2Session(t, h, bob)
	cc := &domain.Session{ClientID: alice.client.ID}
	must(t, h.S.Sessions().Add(ctx, cc))

	h.Clock.Advance(time.Minute)
	must(t, h.S.Sessions().Finish(ctx, a2))
	earlier := *a2.FinishedAt

	if n := mustGet[int](t)(h.S.Sessions().CountActiveForUser(ctx, alice.user.ID)); n != 2 {
		t.Fatalf("active count = %d, want 2", n)
	}
	list := mustGet[[]*domain.Session](t)(h.S.Sessions().ListActiveForUser(ctx, alice.user.ID))
	// IDs minted within one millisecond are not ordered among themselves.
	if len(list) != 2 || list[0].ID == list[1].ID {
		t.Fatalf("active sessions = %v", list)
	}
	for _, got := range list {
		switch got.ID {
		case a1.ID:
			oauth2SameFields(t, "listed session", got, a1)
		case a3.ID:
			oauth2SameFields(t, "listed session", got, a3)
		default:
			t.Fatalf("listed session %v is not one of the active ones", got.ID)
		}
	}

	h.Clock.Advance(oauth2Odd)
	if n := mustGet[int](t)(h.S.Sessions().FinishAllForUser(ctx, alice.user.ID)); n != 2 {
		t.Fatalf("finished %d, want 2", n)
	}
	for _, s := range []*domain.Session{a1, a3} {
		got := mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID))
		sameTimePtr(t, "finished_at", got.FinishedAt, ptr(h.Clock.Now()))
	}
	// An already finished session keeps its original end.
	sameTimePtr(t, "finished_at of earlier session", mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, a2.ID)).FinishedAt, &earlier)
	if n := mustGet[int](t)(h.S.Sessions().CountActiveForUser(ctx, alice.user.ID)); n != 0 {
		t.Fatalf("active count after finishing = %d", n)
	}
	if l := mustGet[[]*domain.Session](t)(h.S.Sessions().ListActiveForUser(ctx, alice.user.ID)); len(l) != 0 {
		t.Fatalf("active sessions after finishing = %v", l)
	}
	if n := mustGet[int](t)(h.S.Sessions().FinishAllForUser(ctx, alice.user.ID)); n != 0 {
		t.Fatalf("second FinishAllForUser finished %d", n)
	}
	// Other users and client-only sessions are untouched.
	if n := mustGet[int](t)(h.S.Sessions().CountActiveForUser(ctx, bob.user.ID)); n != 1 {
		t.Fatalf("bob's active count = %d", n)
	}
	if !mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, b1.ID)).Active() ||
		!mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, cc.ID)).Active() {
		t.Fatal("a session of someone else was finished")
	}
	if n := mustGet[int](t)(h.S.Sessions().CountActiveForUser(ctx, oauth2UnknownID())); n != 0 {
		t.Fatalf("unknown user's count = %d", n)
	}
}

func testSessionRecordActivity(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	s := addOAuth2Session(t, h, f)
	h.Clock.Advance(time.Hour + oauth2Odd)
	newer := h.Clock.Now()
	must(t, h.S.Sessions().RecordActivity(ctx, s.ID, newer, "192.0.2.1"))
	got := mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID))
	sameTimePtr(t, "last_active_at", got.LastActiveAt, &newer)
	if got.LastActiveIP != "192.0.2.1" {
		t.Fatalf("last_active_ip = %q", got.LastActiveIP)
	}
	// A sighting that arrives late does not move the session back.
	must(t, h.S.Sessions().RecordActivity(ctx, s.ID, newer.Add(-time.Minute), "198.51.100.1"))
	got = mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID))
	sameTimePtr(t, "last_active_at after a late sighting", got.LastActiveAt, &newer)
	if got.LastActiveIP != "192.0.2.1" {
		t.Fatalf("last_active_ip after a late sighting = %q", got.LastActiveIP)
	}
	// A sighting without an address keeps the last known one.
	newest := newer.Add(time.Minute)
	must(t, h.S.Sessions().RecordActivity(ctx, s.ID, newest, ""))
	got = mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID))
	sameTimePtr(t, "last_active_at", got.LastActiveAt, &newest)
	if got.LastActiveIP != "192.0.2.1" {
		t.Fatalf("last_active_ip = %q", got.LastActiveIP)
	}
	must(t, h.S.Sessions().RecordActivity(ctx, s.ID, newest.Add(time.Second), "2001:db8::2"))
	if got = mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, s.ID)); got.LastActiveIP != "2001:db8::2" {
		t.Fatalf("last_active_ip = %q", got.LastActiveIP)
	}
	wantErr(t, h.S.Sessions().RecordActivity(ctx, oauth2UnknownID(), newest, "192.0.2.1"), store.ErrNotFound)
}

func testAccessTokenAddLookup(t *testing.T, h *H) {
	ctx := context.Background()
	s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
	h.Clock.Advance(oauth2Odd)
	exp := h.Clock.Now().Add(5*time.Minute + 789*time.Nanosecond)
	at := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_one", &exp))
	if at.SessionID != s.ID || at.Token != "mat_one" || at.RevokedAt != nil || at.FirstUsedAt != nil {
		t.Fatalf("added token = %+v", at)
	}
	sameTime(t, "created_at", at.CreatedAt, h.Clock.Now())
	sameTimePtr(t, "expires_at kept to the microsecond", at.ExpiresAt, ptr(h.Clock.Now().Add(5*time.Minute)))
	oauth2SameFields(t, "access token", mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Lookup(ctx, at.ID)), at)
	oauth2SameFields(t, "access token by string", mustGet[*domain.AccessToken](t)(h.S.AccessTokens().FindByToken(ctx, "mat_one")), at)
	if !at.Valid(h.Clock.Now()) || at.Valid(exp) {
		t.Fatal("validity does not follow expires_at")
	}

	forever := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_two", nil))
	got := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().FindByToken(ctx, "mat_two"))
	oauth2SameFields(t, "access token without expiry", got, forever)
	if got.ExpiresAt != nil {
		t.Fatalf("expires_at = %v, want none", got.ExpiresAt)
	}

	_, err := h.S.AccessTokens().Lookup(ctx, oauth2UnknownID())
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.AccessTokens().FindByToken(ctx, "mat_none")
	wantErr(t, err, store.ErrNotFound)
}

func testAccessTokenRevoke(t *testing.T, h *H) {
	ctx := context.Background()
	s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
	at := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_one", nil))
	stale := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Lookup(ctx, at.ID))
	h.Clock.Advance(oauth2Odd)
	must(t, h.S.AccessTokens().Revoke(ctx, at))
	got := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().FindByToken(ctx, "mat_one"))
	oauth2SameFields(t, "revoked token", got, at)
	sameTimePtr(t, "revoked_at", got.RevokedAt, ptr(h.Clock.Now()))
	if got.Valid(h.Clock.Now()) {
		t.Fatal("revoked token is valid")
	}
	wantErr(t, h.S.AccessTokens().Revoke(ctx, got), domain.ErrInvalidTransition)
	wantErr(t, h.S.AccessTokens().Revoke(ctx, stale), store.ErrConflict)
}

func testAccessTokenMarkUsed(t *testing.T, h *H) {
	ctx := context.Background()
	s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
	at := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_one", nil))
	stale := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Lookup(ctx, at.ID))
	h.Clock.Advance(oauth2Odd)
	firstUse := h.Clock.Now()
	must(t, h.S.AccessTokens().MarkUsed(ctx, at))
	sameTimePtr(t, "first_used_at", at.FirstUsedAt, &firstUse)
	oauth2SameFields(t, "used token", mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Lookup(ctx, at.ID)), at)

	// Later uses, even through a copy read before the first, keep it.
	h.Clock.Advance(time.Minute)
	must(t, h.S.AccessTokens().MarkUsed(ctx, at))
	must(t, h.S.AccessTokens().MarkUsed(ctx, stale))
	sameTimePtr(t, "first_used_at of the stale copy", stale.FirstUsedAt, &firstUse)
	got := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Lookup(ctx, at.ID))
	sameTimePtr(t, "first_used_at after later uses", got.FirstUsedAt, &firstUse)

	wantErr(t, h.S.AccessTokens().MarkUsed(ctx, &domain.AccessToken{ID: oauth2UnknownID()}), store.ErrNotFound)
}

func testRefreshTokenAddLookup(t *testing.T, h *H) {
	ctx := context.Background()
	s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
	h.Clock.Advance(oauth2Odd)
	at := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_one", nil))
	rt := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, s.ID, &at.ID, "mar_one"))
	if rt.SessionID != s.ID || rt.Token != "mar_one" || rt.AccessTokenID == nil || *rt.AccessTokenID != at.ID || !rt.Valid() {
		t.Fatalf("added token = %+v", rt)
	}
	sameTime(t, "created_at", rt.CreatedAt, h.Clock.Now())
	oauth2SameFields(t, "refresh token", mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Lookup(ctx, rt.ID)), rt)
	oauth2SameFields(t, "refresh token by string", mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().FindByToken(ctx, "mar_one")), rt)

	alone := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, s.ID, nil, "mar_two"))
	got := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Lookup(ctx, alone.ID))
	oauth2SameFields(t, "refresh token without access token", got, alone)
	if got.AccessTokenID != nil || got.NextRefreshTokenID != nil {
		t.Fatalf("refresh token = %+v", got)
	}

	_, err := h.S.RefreshTokens().Lookup(ctx, oauth2UnknownID())
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.RefreshTokens().FindByToken(ctx, "mar_none")
	wantErr(t, err, store.ErrNotFound)
}

func testRefreshTokenRotation(t *testing.T, h *H) {
	ctx := context.Background()
	s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
	at1 := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_1", nil))
	rt1 := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, s.ID, &at1.ID, "mar_1"))
	stale1 := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Lookup(ctx, rt1.ID))

	// rotate performs one refresh the way the token endpoint does.
	rotate := func(old *domain.RefreshToken, n int) *domain.RefreshToken {
		t.Helper()
		var next *domain.RefreshToken
		must(t, store.WithTx(ctx, h.S, func(tx store.Tx) error {
			at, err := tx.AccessTokens().Add(ctx, s.ID, fmt.Sprintf("mat_%d", n), nil)
			if err != nil {
				return err
			}
			next, err = tx.RefreshTokens().Add(ctx, s.ID, &at.ID, fmt.Sprintf("mar_%d", n))
			if err != nil {
				return err
			}
			return tx.RefreshTokens().Consume(ctx, old, next.ID)
		}))
		return next
	}
	h.Clock.Advance(oauth2Odd)
	rt2 := rotate(rt1, 2)
	sameTimePtr(t, "consumed_at", rt1.ConsumedAt, ptr(h.Clock.Now()))
	h.Clock.Advance(oauth2Odd)
	rt3 := rotate(rt2, 3)

	// Following the chain from the first token leads to the live one.
	chain := []*domain.RefreshToken{}
	for cur := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().FindByToken(ctx, "mar_1")); ; {
		chain = append(chain, cur)
		if cur.NextRefreshTokenID == nil {
			break
		}
		cur = mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Lookup(ctx, *cur.NextRefreshTokenID))
	}
	if len(chain) != 3 || chain[0].ID != rt1.ID || chain[1].ID != rt2.ID || chain[2].ID != rt3.ID {
		t.Fatalf("chain = %v", chain)
	}
	oauth2SameFields(t, "first token", chain[0], rt1)
	oauth2SameFields(t, "second token", chain[1], rt2)
	oauth2SameFields(t, "live token", chain[2], rt3)
	if chain[0].Valid() || chain[1].Valid() || !chain[2].Valid() {
		t.Fatal("only the last token of the chain may be valid")
	}

	// A consumed token cannot be consumed again, neither knowingly nor
	// through a copy read before the rotation.
	wantErr(t, h.S.RefreshTokens().Consume(ctx, chain[0], rt3.ID), domain.ErrInvalidTransition)
	wantErr(t, h.S.RefreshTokens().Consume(ctx, stale1, rt3.ID), store.ErrConflict)
	got := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Lookup(ctx, rt1.ID))
	if *got.NextRefreshTokenID != rt2.ID {
		t.Fatalf("next of the first token = %v, want %v", got.NextRefreshTokenID, rt2.ID)
	}
}

func testRefreshTokenRevoke(t *testing.T, h *H) {
	ctx := context.Background()
	s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
	rt := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, s.ID, nil, "mar_1"))
	stale := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Lookup(ctx, rt.ID))
	next := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, s.ID, nil, "mar_2"))
	h.Clock.Advance(oauth2Odd)
	must(t, h.S.RefreshTokens().Revoke(ctx, rt))
	got := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Lookup(ctx, rt.ID))
	oauth2SameFields(t, "revoked token", got, rt)
	sameTimePtr(t, "revoked_at", got.RevokedAt, ptr(h.Clock.Now()))
	wantErr(t, h.S.RefreshTokens().Revoke(ctx, got), domain.ErrInvalidTransition)
	wantErr(t, h.S.RefreshTokens().Consume(ctx, got, next.ID), domain.ErrInvalidTransition)
	// A copy read before the revocation can neither rotate nor revoke.
	wantErr(t, h.S.RefreshTokens().Consume(ctx, stale, next.ID), store.ErrConflict)
	wantErr(t, h.S.RefreshTokens().Revoke(ctx, stale), store.ErrConflict)
	if got := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Lookup(ctx, rt.ID)); got.ConsumedAt != nil || got.NextRefreshTokenID != nil {
		t.Fatalf("revoked token was consumed: %+v", got)
	}

	// A consumed token can still be revoked (lost-response recovery
	// revokes the successor pair after it was rotated into).
	third := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, s.ID, nil, "mar_3"))
	must(t, h.S.RefreshTokens().Consume(ctx, next, third.ID))
	must(t, h.S.RefreshTokens().Revoke(ctx, next))
	got = mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Lookup(ctx, next.ID))
	if got.ConsumedAt == nil || got.RevokedAt == nil || got.NextRefreshTokenID == nil || *got.NextRefreshTokenID != third.ID {
		t.Fatalf("consumed then revoked token = %+v", got)
	}
}
