package storetest

// The reads that join a grant with what its handler needs too, one round
// trip each: the consent screen's and the code exchange's.

import (
	"context"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("OAuth2GrantJoinedReads",
		test{"FindByCodeWithApprover", testFindByCodeWithApprover},
		test{"FindByCodeWithApproverNotApproved", testFindByCodeWithApproverNotApproved},
		test{"LookupForConsent", testLookupForConsent},
	)
}

// testFindByCodeWithApprover reads the grant, the session that approved it,
// its user and its newest authentication in one query.
func testFindByCodeWithApprover(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	g := fulfilledGrant(t, h, f, "code-approved")
	got, approver, err := h.S.AuthorizationGrants().FindByCodeWithApprover(ctx, "code-approved")
	must(t, err)
	oauth2SameFields(t, "grant", got, g)
	oauth2SameFields(t, "approving session", approver.Session, f.browser)
	oauth2SameFields(t, "user", approver.User, f.user)
	if approver.AuthTime != nil {
		t.Fatalf("auth time %v of a session never authenticated", approver.AuthTime)
	}

	pw := mustGet[*domain.Password](t)(h.S.Passwords().Add(ctx, f.user.ID, "$argon2id$x", 1, nil))
	h.Clock.Advance(time.Minute)
	auth := mustGet[*domain.Authentication](t)(h.S.BrowserSessions().Authenticate(ctx, f.browser.ID, &pw.ID, nil))
	_, approver, err = h.S.AuthorizationGrants().FindByCodeWithApprover(ctx, "code-approved")
	must(t, err)
	sameTimePtr(t, "auth time", approver.AuthTime, &auth.CreatedAt)
}

// testFindByCodeWithApproverNotApproved: a grant no session approved is
// not found this way, but FindByCode finds it; an unknown code neither.
func testFindByCodeWithApproverNotApproved(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	must(t, h.S.AuthorizationGrants().Add(ctx, oauth2PendingGrant(f, "code-pending")))
	_, _, err := h.S.AuthorizationGrants().FindByCodeWithApprover(ctx, "code-pending")
	wantErr(t, err, store.ErrNotFound)
	mustGet[*domain.AuthorizationGrant](t)(h.S.AuthorizationGrants().FindByCode(ctx, "code-pending"))
	_, _, err = h.S.AuthorizationGrants().FindByCodeWithApprover(ctx, "code-unknown")
	wantErr(t, err, store.ErrNotFound)
}

// testLookupForConsent reads a grant, its client, a browser session and
// its user at once; either one unknown is ErrNotFound.
func testLookupForConsent(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	g := oauth2PendingGrant(f, "code-consent")
	must(t, h.S.AuthorizationGrants().Add(ctx, g))
	other := newOAuth2Fixture(t, h, "bob") // a session of someone else's: any session may look at a grant
	gotGrant, gotClient, gotSession, gotUser, err := h.S.AuthorizationGrants().LookupForConsent(ctx, g.ID, other.browser.ID)
	must(t, err)
	oauth2SameFields(t, "grant", gotGrant, g)
	oauth2SameFields(t, "client", gotClient, f.client)
	oauth2SameFields(t, "session", gotSession, other.browser)
	oauth2SameFields(t, "user", gotUser, other.user)

	_, _, _, _, err = h.S.AuthorizationGrants().LookupForConsent(ctx, g.ID, f.user.ID) // no session has that ID
	wantErr(t, err, store.ErrNotFound)
	_, _, _, _, err = h.S.AuthorizationGrants().LookupForConsent(ctx, f.user.ID, f.browser.ID) // no grant has that ID
	wantErr(t, err, store.ErrNotFound)
}
