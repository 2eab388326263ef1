package storetest

import (
	"context"
	"testing"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("OAuth2GrantAddRequest",
		test{"EveryField", testAddRequestEveryField},
		test{"InsideATransaction", testAddRequestInTx},
	)
}

// AddRequest stores what Add stores; only its commit's durability differs.
func testAddRequestEveryField(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	g := oauth2PendingGrant(f, "code-request")
	g.State, g.Nonce, g.LoginHint, g.Locale = "st", "no", "@alice:example.com", "fr"
	g.CodeChallenge, g.CodeChallengeMethod, g.RawParameters = "challenge", "S256", "client_id=x"
	must(t, h.S.AuthorizationGrants().AddRequest(ctx, g))
	if g.ID == domain.ZeroID || g.CreatedAt.IsZero() {
		t.Fatalf("AddRequest assigned no ID or creation time: %+v", g)
	}
	oauth2SameFields(t, "grant", mustGet[*domain.AuthorizationGrant](t)(h.S.AuthorizationGrants().Lookup(ctx, g.ID)), g)
	wantErr(t, h.S.AuthorizationGrants().AddRequest(ctx, oauth2PendingGrant(f, "code-request")), store.ErrConflict)
}

// Inside a transaction it is part of it.
func testAddRequestInTx(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	tx := mustGet[store.Tx](t)(h.S.Begin(ctx))
	g := oauth2PendingGrant(f, "code-in-tx")
	must(t, tx.AuthorizationGrants().AddRequest(ctx, g))
	must(t, tx.Rollback())
	_, err := h.S.AuthorizationGrants().Lookup(ctx, g.ID)
	wantErr(t, err, store.ErrNotFound)
}
