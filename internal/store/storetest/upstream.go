package storetest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("UpstreamProviders",
		test{"RoundTripFull", testUpstreamProviderRoundTripFull},
		test{"RoundTripMinimal", testUpstreamProviderRoundTripMinimal},
		test{"UpsertReplacesAndReenables", testUpstreamProviderUpsertReenables},
		test{"UpsertWithoutID", func(t *testing.T, h *H) {
			p := &domain.UpstreamProvider{Scope: "openid", ClientID: "c", TokenEndpointAuthMethod: "none"}
			if err := h.S.UpstreamProviders().Upsert(context.Background(), p); err == nil {
				t.Fatal("provider without an ID was stored")
			}
		}},
		test{"ListOrder", testUpstreamProviderListOrder},
		test{"NotFound", func(t *testing.T, h *H) {
			ctx := context.Background()
			_, err := h.S.UpstreamProviders().Lookup(ctx, nonexistentID())
			wantErr(t, err, store.ErrNotFound)
			wantErr(t, h.S.UpstreamProviders().Disable(ctx, nonexistentID()), store.ErrNotFound)
			wantErr(t, h.S.UpstreamProviders().Delete(ctx, nonexistentID()), store.ErrNotFound)
			if l := mustGet[[]*domain.UpstreamProvider](t)(h.S.UpstreamProviders().List(ctx)); len(l) != 0 {
				t.Fatalf("list of an empty store = %v", l)
			}
		}},
		test{"DeleteCascades", testUpstreamProviderDeleteCascades},
	)
	register("UpstreamLinks",
		test{"RoundTrip", testUpstreamLinkRoundTrip},
		test{"SubjectUniquePerProvider", testUpstreamLinkUnique},
		test{"NotFound", func(t *testing.T, h *H) {
			ctx := context.Background()
			p := newUpstreamProvider(t, h, 0)
			_, err := h.S.UpstreamLinks().Lookup(ctx, nonexistentID())
			wantErr(t, err, store.ErrNotFound)
			_, err = h.S.UpstreamLinks().FindBySubject(ctx, p.ID, "nobody")
			wantErr(t, err, store.ErrNotFound)
			wantErr(t, h.S.UpstreamLinks().Remove(ctx, nonexistentID()), store.ErrNotFound)
		}},
		test{"AssociateOnce", testUpstreamLinkAssociate},
		test{"ListForUser", testUpstreamLinkListForUser},
		test{"RemoveKeepsSessions", testUpstreamLinkRemove},
		test{"RemoveInTransaction", testUpstreamLinkRemoveInTx},
	)
	register("UpstreamSessions",
		test{"RoundTripPending", testUpstreamSessionRoundTrip},
		test{"RoundTripEmpty", testUpstreamSessionRoundTripEmpty},
		test{"Lifecycle", testUpstreamSessionLifecycle},
		test{"InvalidTransitions", testUpstreamSessionInvalidTransitions},
		test{"StaleCopies", testUpstreamSessionStale},
		test{"StateUnique", func(t *testing.T, h *H) {
			ctx := context.Background()
			p := newUpstreamProvider(t, h, 0)
			must(t, h.S.UpstreamSessions().Add(ctx, &domain.UpstreamAuthSession{ProviderID: p.ID, State: "s1"}))
			err := h.S.UpstreamSessions().Add(ctx, &domain.UpstreamAuthSession{ProviderID: p.ID, State: "s1"})
			wantErr(t, err, store.ErrConflict)
		}},
		test{"NotFound", func(t *testing.T, h *H) {
			_, err := h.S.UpstreamSessions().Lookup(context.Background(), nonexistentID())
			wantErr(t, err, store.ErrNotFound)
		}},
		test{"MalformedJSONRejected", testUpstreamSessionMalformedJSON},
	)
}

// nonexistentID is an ID no store row has: real ones carry random bits.
func nonexistentID() domain.ID { return domain.NewIDGenerator(zeroReader{}).New(Start) }

// freshID makes an ID the way configuration does for providers.
func freshID(at time.Time) domain.ID { return domain.NewIDGenerator(rand.Reader).New(at) }

// sameIDRef compares optional references.
func sameIDRef(t *testing.T, what string, got, want *domain.ID) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil || *got != *want:
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// sameJSONValue compares JSON documents by meaning: PostgreSQL keeps JSON
// as jsonb, which does not preserve spacing or key order. "" means absent
// and only equals "".
func sameJSONValue(t *testing.T, what, got, want string) {
	t.Helper()
	if got == "" || want == "" {
		if got != want {
			t.Fatalf("%s = %q, want %q", what, got, want)
		}
		return
	}
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s = %q is not JSON: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: expected value %q is not JSON: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s = %s, want %s", what, got, want)
	}
}

// newUpstreamProvider stores a provider with the given UI order.
func newUpstreamProvider(t *testing.T, h *H, order int) *domain.UpstreamProvider {
	t.Helper()
	p := &domain.UpstreamProvider{
		ID:                      freshID(h.Clock.Now()),
		Issuer:                  "https://idp.example.com/",
		HumanName:               "Example IdP",
		Scope:                   "openid profile",
		ClientID:                "mas",
		TokenEndpointAuthMethod: "client_secret_basic",
		Settings:                `{}`,
		UIOrder:                 order,
	}
	must(t, h.S.UpstreamProviders().Upsert(context.Background(), p))
	return p
}

func sameUpstreamProvider(t *testing.T, got, want *domain.UpstreamProvider) {
	t.Helper()
	if got.ID != want.ID || got.Issuer != want.Issuer || got.HumanName != want.HumanName ||
		got.BrandName != want.BrandName || got.Scope != want.Scope || got.ClientID != want.ClientID ||
		got.EncryptedClientSecret != want.EncryptedClientSecret ||
		got.TokenEndpointAuthMethod != want.TokenEndpointAuthMethod || got.UIOrder != want.UIOrder {
		t.Fatalf("provider = %+v\nwant %+v", got, want)
	}
	sameJSONValue(t, "settings", got.Settings, want.Settings)
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "disabled_at", got.DisabledAt, want.DisabledAt)
}

func testUpstreamProviderRoundTripFull(t *testing.T, h *H) {
	ctx := context.Background()
	p := &domain.UpstreamProvider{
		ID:                      freshID(Start),
		Issuer:                  "https://accounts.example.com",
		HumanName:               "Example",
		BrandName:               "example",
		Scope:                   "openid email",
		ClientID:                "client-1",
		EncryptedClientSecret:   "ZW5jcnlwdGVk",
		TokenEndpointAuthMethod: "private_key_jwt",
		Settings: `{"pkce_mode": "s256", "claims_imports": {"localpart": {"action": "require", "template": "{{ user.sub }}"}},
			"endpoints": ["a", "b"], "fetch_userinfo": true, "unicode": "é✓"}`,
		UIOrder: -3,
	}
	h.Clock.Advance(1500 * time.Microsecond)
	must(t, h.S.UpstreamProviders().Upsert(ctx, p))
	sameTime(t, "created_at", p.CreatedAt, h.Clock.Now())
	if p.DisabledAt != nil || !p.Enabled() {
		t.Fatalf("fresh provider is disabled: %+v", p)
	}
	got := mustGet[*domain.UpstreamProvider](t)(h.S.UpstreamProviders().Lookup(ctx, p.ID))
	sameUpstreamProvider(t, got, p)
}

func testUpstreamProviderRoundTripMinimal(t *testing.T, h *H) {
	ctx := context.Background()
	p := &domain.UpstreamProvider{ID: freshID(Start), Scope: "openid", ClientID: "c", TokenEndpointAuthMethod: "none"}
	must(t, h.S.UpstreamProviders().Upsert(ctx, p))
	got := mustGet[*domain.UpstreamProvider](t)(h.S.UpstreamProviders().Lookup(ctx, p.ID))
	sameUpstreamProvider(t, got, p)
	if got.Issuer != "" || got.Settings != "" || got.EncryptedClientSecret != "" || got.UIOrder != 0 {
		t.Fatalf("empty fields came back filled: %+v", got)
	}
}

func testUpstreamProviderUpsertReenables(t *testing.T, h *H) {
	ctx := context.Background()
	p := newUpstreamProvider(t, h, 1)
	h.Clock.Advance(time.Minute)
	must(t, h.S.UpstreamProviders().Disable(ctx, p.ID))
	disabledAt := h.Clock.Now()
	got := mustGet[*domain.UpstreamProvider](t)(h.S.UpstreamProviders().Lookup(ctx, p.ID))
	if got.Enabled() {
		t.Fatal("provider still enabled after Disable")
	}
	sameTimePtr(t, "disabled_at", got.DisabledAt, &disabledAt)

	// Disabling again keeps the first instant.
	h.Clock.Advance(time.Minute)
	must(t, h.S.UpstreamProviders().Disable(ctx, p.ID))
	got = mustGet[*domain.UpstreamProvider](t)(h.S.UpstreamProviders().Lookup(ctx, p.ID))
	sameTimePtr(t, "disabled_at after second Disable", got.DisabledAt, &disabledAt)

	// The configuration comes back, changed: every field is replaced, the
	// provider is enabled again and keeps its creation time.
	h.Clock.Advance(time.Minute)
	next := &domain.UpstreamProvider{
		ID:                      p.ID,
		Issuer:                  "https://new.example.com/",
		BrandName:               "new",
		Scope:                   "openid",
		ClientID:                "mas-2",
		EncryptedClientSecret:   "c2VjcmV0",
		TokenEndpointAuthMethod: "client_secret_post",
		Settings:                `{"discovery_mode":"insecure"}`,
		UIOrder:                 7,
	}
	must(t, h.S.UpstreamProviders().Upsert(ctx, next))
	sameTime(t, "created_at returned by Upsert", next.CreatedAt, p.CreatedAt)
	if next.DisabledAt != nil {
		t.Fatalf("Upsert left DisabledAt = %v", next.DisabledAt)
	}
	got = mustGet[*domain.UpstreamProvider](t)(h.S.UpstreamProviders().Lookup(ctx, p.ID))
	sameUpstreamProvider(t, got, next)
	if got.HumanName != "" {
		t.Fatalf("human name survived the replacement: %q", got.HumanName)
	}
	if l := mustGet[[]*domain.UpstreamProvider](t)(h.S.UpstreamProviders().List(ctx)); len(l) != 1 {
		t.Fatalf("Upsert of an existing ID made %d providers", len(l))
	}
}

func testUpstreamProviderListOrder(t *testing.T, h *H) {
	ctx := context.Background()
	// IDs are made in time order, so byTime[i] sorts before byTime[i+1].
	var byTime []domain.ID
	for i := range 4 {
		byTime = append(byTime, freshID(Start.Add(time.Duration(i)*time.Second)))
	}
	insert := []struct {
		id    domain.ID
		order int
	}{{byTime[3], 0}, {byTime[0], 2}, {byTime[2], 1}, {byTime[1], 0}}
	for _, in := range insert {
		p := &domain.UpstreamProvider{ID: in.id, Scope: "openid", ClientID: "c", TokenEndpointAuthMethod: "none", UIOrder: in.order}
		must(t, h.S.UpstreamProviders().Upsert(ctx, p))
	}
	must(t, h.S.UpstreamProviders().Disable(ctx, byTime[2]))
	want := []domain.ID{byTime[1], byTime[3], byTime[2], byTime[0]}
	got := mustGet[[]*domain.UpstreamProvider](t)(h.S.UpstreamProviders().List(ctx))
	if len(got) != len(want) {
		t.Fatalf("list has %d providers, want %d (disabled ones included)", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i] {
			t.Fatalf("list[%d] = %v (order %d), want %v", i, got[i].ID, got[i].UIOrder, want[i])
		}
	}
}

func testUpstreamProviderDeleteCascades(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	p := newUpstreamProvider(t, h, 0)
	other := newUpstreamProvider(t, h, 1)
	link := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub-1", &u.ID, ""))
	otherLink := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, other.ID, "sub-1", &u.ID, ""))
	s := completedUpstreamSession(t, h, p.ID, link.ID, "state-1")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	mustGet[*domain.Authentication](t)(h.S.BrowserSessions().Authenticate(ctx, bs.ID, nil, &s.ID))
	reg := &domain.UserRegistration{Username: "bob", UpstreamSessionID: &s.ID}
	must(t, h.S.Registrations().Add(ctx, reg))

	must(t, h.S.UpstreamProviders().Delete(ctx, p.ID))
	_, err := h.S.UpstreamProviders().Lookup(ctx, p.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.UpstreamLinks().Lookup(ctx, link.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.UpstreamSessions().Lookup(ctx, s.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.BrowserSessions().LastAuthentication(ctx, bs.ID)
	wantErr(t, err, store.ErrNotFound)
	gotReg := mustGet[*domain.UserRegistration](t)(h.S.Registrations().Lookup(ctx, reg.ID))
	sameIDRef(t, "registration upstream session", gotReg.UpstreamSessionID, nil)
	// The other provider's rows are untouched.
	mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Lookup(ctx, otherLink.ID))
	mustGet[*domain.UpstreamProvider](t)(h.S.UpstreamProviders().Lookup(ctx, other.ID))
	mustGet[*domain.User](t)(h.S.Users().Lookup(ctx, u.ID))
}

func sameUpstreamLink(t *testing.T, got, want *domain.UpstreamLink) {
	t.Helper()
	if got.ID != want.ID || got.ProviderID != want.ProviderID || got.Subject != want.Subject ||
		got.HumanAccountName != want.HumanAccountName {
		t.Fatalf("link = %+v\nwant %+v", got, want)
	}
	sameIDRef(t, "link user", got.UserID, want.UserID)
	sameTime(t, "link created_at", got.CreatedAt, want.CreatedAt)
}

func testUpstreamLinkRoundTrip(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	p := newUpstreamProvider(t, h, 0)
	h.Clock.Advance(2500 * time.Microsecond)
	linked := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "0123-abcd", &u.ID, "alice@idp"))
	sameTime(t, "created_at", linked.CreatedAt, h.Clock.Now())
	bare := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "other", nil, ""))
	for _, want := range []*domain.UpstreamLink{linked, bare} {
		sameUpstreamLink(t, mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Lookup(ctx, want.ID)), want)
		sameUpstreamLink(t, mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().FindBySubject(ctx, p.ID, want.Subject)), want)
	}
}

func testUpstreamLinkUnique(t *testing.T, h *H) {
	ctx := context.Background()
	p := newUpstreamProvider(t, h, 0)
	q := newUpstreamProvider(t, h, 1)
	mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", nil, ""))
	_, err := h.S.UpstreamLinks().Add(ctx, p.ID, "sub", nil, "")
	wantErr(t, err, store.ErrConflict)
	// Same subject at another provider, and subjects differing in case, are
	// other accounts.
	mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, q.ID, "sub", nil, ""))
	upper := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "SUB", nil, ""))
	got := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().FindBySubject(ctx, p.ID, "SUB"))
	if got.ID != upper.ID {
		t.Fatalf("FindBySubject(SUB) = %v, want %v", got.ID, upper.ID)
	}
}

func testUpstreamLinkAssociate(t *testing.T, h *H) {
	ctx := context.Background()
	alice := newUser(t, h, "alice")
	bob := newUser(t, h, "bob")
	p := newUpstreamProvider(t, h, 0)
	l := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", nil, ""))
	stale := *l
	must(t, h.S.UpstreamLinks().Associate(ctx, l, alice.ID))
	sameIDRef(t, "associated user", l.UserID, &alice.ID)
	got := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Lookup(ctx, l.ID))
	sameIDRef(t, "stored user", got.UserID, &alice.ID)

	wantErr(t, h.S.UpstreamLinks().Associate(ctx, got, bob.ID), store.ErrConflict)
	// A copy read before the association loses in the database.
	wantErr(t, h.S.UpstreamLinks().Associate(ctx, &stale, bob.ID), store.ErrConflict)
	if stale.UserID != nil {
		t.Fatalf("failed Associate changed the copy: %+v", stale)
	}
	got = mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Lookup(ctx, l.ID))
	sameIDRef(t, "user after refused associations", got.UserID, &alice.ID)
}

func testUpstreamLinkListForUser(t *testing.T, h *H) {
	ctx := context.Background()
	alice := newUser(t, h, "alice")
	bob := newUser(t, h, "bob")
	p := newUpstreamProvider(t, h, 0)
	q := newUpstreamProvider(t, h, 1)
	if l := mustGet[[]*domain.UpstreamLink](t)(h.S.UpstreamLinks().ListForUser(ctx, alice.ID)); len(l) != 0 {
		t.Fatalf("links of a user without any = %v", l)
	}
	var want []domain.ID
	for i, prov := range []domain.ID{q.ID, p.ID, q.ID} {
		h.Clock.Advance(time.Second)
		l := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, prov, "alice-"+string(rune('a'+i)), &alice.ID, ""))
		want = append(want, l.ID)
	}
	mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "bob", &bob.ID, ""))
	mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "nobody", nil, ""))
	got := mustGet[[]*domain.UpstreamLink](t)(h.S.UpstreamLinks().ListForUser(ctx, alice.ID))
	if len(got) != len(want) {
		t.Fatalf("alice has %d links, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i] {
			t.Fatalf("links[%d] = %v, want %v (oldest first)", i, got[i].ID, want[i])
		}
	}
}

// completedUpstreamSession stores a session completed through link.
func completedUpstreamSession(t *testing.T, h *H, providerID, linkID domain.ID, state string) *domain.UpstreamAuthSession {
	t.Helper()
	ctx := context.Background()
	s := &domain.UpstreamAuthSession{ProviderID: providerID, State: state}
	must(t, h.S.UpstreamSessions().Add(ctx, s))
	s.LinkID = &linkID
	must(t, h.S.UpstreamSessions().Complete(ctx, s))
	return s
}

func testUpstreamLinkRemove(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	p := newUpstreamProvider(t, h, 0)
	l := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", &u.ID, ""))
	keep := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "other", &u.ID, ""))
	s := completedUpstreamSession(t, h, p.ID, l.ID, "state-1")
	other := completedUpstreamSession(t, h, p.ID, keep.ID, "state-2")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	auth := mustGet[*domain.Authentication](t)(h.S.BrowserSessions().Authenticate(ctx, bs.ID, nil, &s.ID))

	h.Clock.Advance(time.Hour)
	must(t, h.S.UpstreamLinks().Remove(ctx, l.ID))
	_, err := h.S.UpstreamLinks().Lookup(ctx, l.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.UpstreamLinks().FindBySubject(ctx, p.ID, "sub")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, h.S.UpstreamLinks().Remove(ctx, l.ID), store.ErrNotFound)

	got := mustGet[*domain.UpstreamAuthSession](t)(h.S.UpstreamSessions().Lookup(ctx, s.ID))
	sameIDRef(t, "unlinked session link", got.LinkID, nil)
	sameTimePtr(t, "unlinked_at", got.UnlinkedAt, ptr(h.Clock.Now()))
	if got.Stage() != "completed" {
		t.Fatalf("unlinked session stage = %s", got.Stage())
	}
	last := mustGet[*domain.Authentication](t)(h.S.BrowserSessions().LastAuthentication(ctx, bs.ID))
	if last.ID != auth.ID {
		t.Fatalf("authentication through the unlinked session is gone: %+v", last)
	}
	untouched := mustGet[*domain.UpstreamAuthSession](t)(h.S.UpstreamSessions().Lookup(ctx, other.ID))
	sameIDRef(t, "other session link", untouched.LinkID, &keep.ID)
	sameTimePtr(t, "other session unlinked_at", untouched.UnlinkedAt, nil)
	// A subject can be linked again after removal.
	mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", nil, ""))
}

func testUpstreamLinkRemoveInTx(t *testing.T, h *H) {
	ctx := context.Background()
	p := newUpstreamProvider(t, h, 0)
	l := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", nil, ""))
	s := completedUpstreamSession(t, h, p.ID, l.ID, "state")

	// Rolled back: nothing changes.
	tx, err := h.S.Begin(ctx)
	must(t, err)
	must(t, tx.UpstreamLinks().Remove(ctx, l.ID))
	must(t, tx.Rollback())
	mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Lookup(ctx, l.ID))
	got := mustGet[*domain.UpstreamAuthSession](t)(h.S.UpstreamSessions().Lookup(ctx, s.ID))
	if got.LinkID == nil || got.UnlinkedAt != nil {
		t.Fatalf("rolled-back Remove left the session unlinked: %+v", got)
	}

	must(t, store.WithTx(ctx, h.S, func(tx store.Tx) error { return tx.UpstreamLinks().Remove(ctx, l.ID) }))
	_, err = h.S.UpstreamLinks().Lookup(ctx, l.ID)
	wantErr(t, err, store.ErrNotFound)
	got = mustGet[*domain.UpstreamAuthSession](t)(h.S.UpstreamSessions().Lookup(ctx, s.ID))
	if got.LinkID != nil || got.UnlinkedAt == nil {
		t.Fatalf("committed Remove did not unlink the session: %+v", got)
	}
}

func sameUpstreamSession(t *testing.T, got, want *domain.UpstreamAuthSession) {
	t.Helper()
	if got.ID != want.ID || got.ProviderID != want.ProviderID || got.State != want.State ||
		got.CodeVerifier != want.CodeVerifier || got.Nonce != want.Nonce || got.IDToken != want.IDToken {
		t.Fatalf("upstream session = %+v\nwant %+v", got, want)
	}
	sameJSONValue(t, "id_token_claims", got.IDTokenClaims, want.IDTokenClaims)
	sameJSONValue(t, "userinfo", got.Userinfo, want.Userinfo)
	sameJSONValue(t, "extra_callback_parameters", got.ExtraCallbackParams, want.ExtraCallbackParams)
	sameJSONValue(t, "post_auth_action", got.PostAuthAction, want.PostAuthAction)
	sameIDRef(t, "link", got.LinkID, want.LinkID)
	sameIDRef(t, "browser session", got.BrowserSessionID, want.BrowserSessionID)
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "completed_at", got.CompletedAt, want.CompletedAt)
	sameTimePtr(t, "consumed_at", got.ConsumedAt, want.ConsumedAt)
	sameTimePtr(t, "unlinked_at", got.UnlinkedAt, want.UnlinkedAt)
}

func testUpstreamSessionRoundTrip(t *testing.T, h *H) {
	ctx := context.Background()
	p := newUpstreamProvider(t, h, 0)
	h.Clock.Advance(1234 * time.Microsecond)
	s := &domain.UpstreamAuthSession{
		ProviderID:     p.ID,
		State:          "Zm9vYmFy",
		CodeVerifier:   "verifier-0123456789",
		Nonce:          "n-0S6_WzA2Mj",
		PostAuthAction: `{"kind": "continue_authorization_grant", "id": "01J00000000000000000000000"}`,
	}
	must(t, h.S.UpstreamSessions().Add(ctx, s))
	if s.ID == domain.ZeroID {
		t.Fatal("Add did not assign an ID")
	}
	sameTime(t, "created_at", s.CreatedAt, h.Clock.Now())
	got := mustGet[*domain.UpstreamAuthSession](t)(h.S.UpstreamSessions().Lookup(ctx, s.ID))
	sameUpstreamSession(t, got, s)
	if got.Stage() != domain.StagePending {
		t.Fatalf("stage = %s", got.Stage())
	}
}

func testUpstreamSessionRoundTripEmpty(t *testing.T, h *H) {
	ctx := context.Background()
	p := newUpstreamProvider(t, h, 0)
	s := &domain.UpstreamAuthSession{ProviderID: p.ID, State: "st"}
	must(t, h.S.UpstreamSessions().Add(ctx, s))
	got := mustGet[*domain.UpstreamAuthSession](t)(h.S.UpstreamSessions().Lookup(ctx, s.ID))
	sameUpstreamSession(t, got, s)
}

func testUpstreamSessionLifecycle(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	p := newUpstreamProvider(t, h, 0)
	l := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", &u.ID, ""))
	s := &domain.UpstreamAuthSession{ProviderID: p.ID, State: "st", CodeVerifier: "v", Nonce: "n"}
	must(t, h.S.UpstreamSessions().Add(ctx, s))

	h.Clock.Advance(time.Second)
	s.LinkID = &l.ID
	s.IDToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdWIifQ.sig"
	s.IDTokenClaims = `{"sub":"sub","sid":"abc","iss":"https://idp.example.com/","aud":["mas"],"exp":1767322000}`
	s.Userinfo = `{"email":"alice@example.com","email_verified":true}`
	s.ExtraCallbackParams = `{"session_state":"xyz"}`
	must(t, h.S.UpstreamSessions().Complete(ctx, s))
	sameTimePtr(t, "completed_at", s.CompletedAt, ptr(h.Clock.Now()))
	got := mustGet[*domain.UpstreamAuthSession](t)(h.S.UpstreamSessions().Lookup(ctx, s.ID))
	sameUpstreamSession(t, got, s)
	if got.Stage() != "completed" {
		t.Fatalf("stage = %s", got.Stage())
	}

	h.Clock.Advance(time.Second)
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	must(t, h.S.UpstreamSessions().Consume(ctx, got, bs.ID))
	sameTimePtr(t, "consumed_at", got.ConsumedAt, ptr(h.Clock.Now()))
	sameIDRef(t, "browser session", got.BrowserSessionID, &bs.ID)
	again := mustGet[*domain.UpstreamAuthSession](t)(h.S.UpstreamSessions().Lookup(ctx, s.ID))
	sameUpstreamSession(t, again, got)
	if again.Stage() != domain.StageConsumed {
		t.Fatalf("stage = %s", again.Stage())
	}
}

func testUpstreamSessionInvalidTransitions(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	p := newUpstreamProvider(t, h, 0)
	l := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", &u.ID, ""))
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	s := &domain.UpstreamAuthSession{ProviderID: p.ID, State: "st"}
	must(t, h.S.UpstreamSessions().Add(ctx, s))

	wantErr(t, h.S.UpstreamSessions().Consume(ctx, s, bs.ID), domain.ErrInvalidTransition)
	if err := h.S.UpstreamSessions().Complete(ctx, s); err == nil {
		t.Fatal("Complete without a link succeeded")
	}
	got := mustGet[*domain.UpstreamAuthSession](t)(h.S.UpstreamSessions().Lookup(ctx, s.ID))
	if got.Stage() != domain.StagePending || s.Stage() != domain.StagePending {
		t.Fatalf("refused transitions changed the session: stored %s, copy %s", got.Stage(), s.Stage())
	}
	s.LinkID = &l.ID
	must(t, h.S.UpstreamSessions().Complete(ctx, s))
	wantErr(t, h.S.UpstreamSessions().Complete(ctx, s), domain.ErrInvalidTransition)
	must(t, h.S.UpstreamSessions().Consume(ctx, s, bs.ID))
	wantErr(t, h.S.UpstreamSessions().Consume(ctx, s, bs.ID), domain.ErrInvalidTransition)
	wantErr(t, h.S.UpstreamSessions().Complete(ctx, s), domain.ErrInvalidTransition)
}

func testUpstreamSessionStale(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	p := newUpstreamProvider(t, h, 0)
	l := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", &u.ID, ""))
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	s := &domain.UpstreamAuthSession{ProviderID: p.ID, State: "st"}
	must(t, h.S.UpstreamSessions().Add(ctx, s))
	stalePending := *s

	s.LinkID = &l.ID
	s.IDTokenClaims = `{"sub":"first"}`
	must(t, h.S.UpstreamSessions().Complete(ctx, s))
	staleCompleted := *s

	// The second callback for the same attempt loses and writes nothing.
	stalePending.LinkID = &l.ID
	stalePending.IDTokenClaims = `{"sub":"second"}`
	wantErr(t, h.S.UpstreamSessions().Complete(ctx, &stalePending), store.ErrConflict)
	if stalePending.CompletedAt != nil {
		t.Fatalf("failed Complete changed the copy: %+v", stalePending)
	}
	got := mustGet[*domain.UpstreamAuthSession](t)(h.S.UpstreamSessions().Lookup(ctx, s.ID))
	sameJSONValue(t, "claims after the losing callback", got.IDTokenClaims, `{"sub":"first"}`)

	must(t, h.S.UpstreamSessions().Consume(ctx, s, bs.ID))
	wantErr(t, h.S.UpstreamSessions().Consume(ctx, &staleCompleted, bs.ID), store.ErrConflict)
	if staleCompleted.ConsumedAt != nil || staleCompleted.BrowserSessionID != nil {
		t.Fatalf("failed Consume changed the copy: %+v", staleCompleted)
	}
}

func testUpstreamSessionMalformedJSON(t *testing.T, h *H) {
	ctx := context.Background()
	p := newUpstreamProvider(t, h, 0)
	l := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", nil, ""))
	if err := h.S.UpstreamSessions().Add(ctx, &domain.UpstreamAuthSession{ProviderID: p.ID, State: "a", PostAuthAction: "{"}); err == nil {
		t.Fatal("malformed post_auth_action was stored")
	}
	s := &domain.UpstreamAuthSession{ProviderID: p.ID, State: "b"}
	must(t, h.S.UpstreamSessions().Add(ctx, s))
	s.LinkID = &l.ID
	s.IDTokenClaims = `{"sub": }`
	if err := h.S.UpstreamSessions().Complete(ctx, s); err == nil {
		t.Fatal("malformed id_token_claims were stored")
	}
	got := mustGet[*domain.UpstreamAuthSession](t)(h.S.UpstreamSessions().Lookup(ctx, s.ID))
	if got.Stage() != domain.StagePending || s.Stage() != domain.StagePending {
		t.Fatalf("failed Complete changed the session: stored %s, copy %s", got.Stage(), s.Stage())
	}
}
