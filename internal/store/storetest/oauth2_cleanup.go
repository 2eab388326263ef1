package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// The clean-ups delete strictly before the cut-off: a row stamped exactly
// at it stays, so each test puts one row there.

func init() {
	register("OAuth2Cleanup",
		test{"AccessTokensRevoked", testCleanupAccessTokensRevoked},
		test{"AccessTokensExpired", testCleanupAccessTokensExpired},
		test{"RefreshTokensRevoked", testCleanupRefreshTokensRevoked},
		test{"RefreshTokensConsumed", testCleanupRefreshTokensConsumed},
		test{"AuthorizationGrants", testCleanupAuthorizationGrants},
		test{"UnusedAuthorizationGrants", testCleanupUnusedAuthorizationGrants},
		test{"DeviceCodeGrants", testCleanupDeviceCodeGrants},
		test{"NothingToDelete", testCleanupNothingToDelete},
	)
}

// cleanupWantDeleted checks that a clean-up reported n rows.
func cleanupWantDeleted(t *testing.T, what string, n int, err error, want int) {
	t.Helper()
	must(t, err)
	if n != want {
		t.Fatalf("%s deleted %d rows, want %d", what, n, want)
	}
}

// cleanupWantGone fails unless lookup reports ErrNotFound, and
// cleanupWantKept unless it finds the row.
func cleanupWantGone[T any](t *testing.T, what string, lookup func() (T, error)) {
	t.Helper()
	if _, err := lookup(); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("%s: lookup error = %v, want it deleted", what, err)
	}
}

func cleanupWantKept[T any](t *testing.T, what string, lookup func() (T, error)) T {
	t.Helper()
	v, err := lookup()
	if err != nil {
		t.Fatalf("%s: lookup error = %v, want it kept", what, err)
	}
	return v
}

func testCleanupAccessTokensRevoked(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.AccessTokens()
	s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
	add := func(token string) *domain.AccessToken {
		t.Helper()
		return mustGet[*domain.AccessToken](t)(repo.Add(ctx, s.ID, token, ptr(Start.Add(-time.Minute))))
	}
	old, atCutoff, recent, live := add("mat_old"), add("mat_cutoff"), add("mat_recent"), add("mat_live")
	// The refresh token issued with the old access token must survive it.
	rt := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, s.ID, &old.ID, "mar_1"))

	must(t, repo.Revoke(ctx, old))
	h.Clock.Advance(oauth2Odd)
	cutoff := h.Clock.Now()
	must(t, repo.Revoke(ctx, atCutoff))
	h.Clock.Advance(oauth2Odd)
	must(t, repo.Revoke(ctx, recent))

	n, err := repo.DeleteRevoked(ctx, cutoff)
	cleanupWantDeleted(t, "DeleteRevoked", n, err, 1)
	cleanupWantGone(t, "token revoked before the cut-off", func() (*domain.AccessToken, error) { return repo.Lookup(ctx, old.ID) })
	for _, kept := range []*domain.AccessToken{atCutoff, recent, live} {
		// Expired but not revoked: not this clean-up's business.
		cleanupWantKept(t, kept.Token, func() (*domain.AccessToken, error) { return repo.Lookup(ctx, kept.ID) })
	}
	got := cleanupWantKept(t, "refresh token of the deleted access token", func() (*domain.RefreshToken, error) {
		return h.S.RefreshTokens().Lookup(ctx, rt.ID)
	})
	if got.AccessTokenID != nil {
		t.Fatalf("refresh token still names access token %v", *got.AccessTokenID)
	}
}

func testCleanupAccessTokensExpired(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.AccessTokens()
	s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
	cutoff := Start.Add(-30 * 24 * time.Hour)
	add := func(token string, expiresAt *time.Time) *domain.AccessToken {
		t.Helper()
		return mustGet[*domain.AccessToken](t)(repo.Add(ctx, s.ID, token, expiresAt))
	}
	old := add("mat_old", ptr(cutoff.Add(-oauth2Odd)))
	oldRevoked := add("mat_old_revoked", ptr(cutoff.Add(-time.Hour)))
	must(t, repo.Revoke(ctx, oldRevoked))
	atCutoff := add("mat_cutoff", ptr(cutoff))
	recent := add("mat_recent", ptr(cutoff.Add(oauth2Odd)))
	never := add("mat_never", nil)
	rt := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, s.ID, &old.ID, "mar_1"))

	n, err := repo.DeleteExpired(ctx, cutoff)
	cleanupWantDeleted(t, "DeleteExpired", n, err, 2)
	for _, gone := range []*domain.AccessToken{old, oldRevoked} {
		cleanupWantGone(t, gone.Token, func() (*domain.AccessToken, error) { return repo.Lookup(ctx, gone.ID) })
	}
	for _, kept := range []*domain.AccessToken{atCutoff, recent, never} {
		cleanupWantKept(t, kept.Token, func() (*domain.AccessToken, error) { return repo.Lookup(ctx, kept.ID) })
	}
	got := cleanupWantKept(t, "refresh token of the deleted access token", func() (*domain.RefreshToken, error) {
		return h.S.RefreshTokens().Lookup(ctx, rt.ID)
	})
	if got.AccessTokenID != nil {
		t.Fatalf("refresh token still names access token %v", *got.AccessTokenID)
	}
}

// cleanupRotate rotates old into a new refresh token, as a refresh does.
func cleanupRotate(t *testing.T, h *H, old *domain.RefreshToken, token string) *domain.RefreshToken {
	t.Helper()
	ctx := context.Background()
	next := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, old.SessionID, nil, token))
	must(t, h.S.RefreshTokens().Consume(ctx, old, next.ID))
	return next
}

func testCleanupRefreshTokensRevoked(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.RefreshTokens()
	s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
	at := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_1", nil))

	// pred was rotated into succ, whose revocation (lost-response recovery
	// or a replay) comes first; pred's own consumption is recent.
	pred := mustGet[*domain.RefreshToken](t)(repo.Add(ctx, s.ID, &at.ID, "mar_pred"))
	succ := cleanupRotate(t, h, pred, "mar_succ")
	must(t, repo.Revoke(ctx, succ))
	plain := mustGet[*domain.RefreshToken](t)(repo.Add(ctx, s.ID, nil, "mar_plain"))
	must(t, repo.Revoke(ctx, plain))
	h.Clock.Advance(oauth2Odd)
	cutoff := h.Clock.Now()
	atCutoff := mustGet[*domain.RefreshToken](t)(repo.Add(ctx, s.ID, nil, "mar_cutoff"))
	must(t, repo.Revoke(ctx, atCutoff))
	live := mustGet[*domain.RefreshToken](t)(repo.Add(ctx, s.ID, nil, "mar_live"))

	n, err := repo.DeleteRevoked(ctx, cutoff)
	cleanupWantDeleted(t, "DeleteRevoked", n, err, 2)
	for _, gone := range []*domain.RefreshToken{succ, plain} {
		cleanupWantGone(t, gone.Token, func() (*domain.RefreshToken, error) { return repo.Lookup(ctx, gone.ID) })
	}
	for _, kept := range []*domain.RefreshToken{atCutoff, live} {
		cleanupWantKept(t, kept.Token, func() (*domain.RefreshToken, error) { return repo.Lookup(ctx, kept.ID) })
	}
	// The consumed predecessor stays, without a successor: the
	// lost-response recovery then refuses it.
	got := cleanupWantKept(t, "predecessor of the deleted token", func() (*domain.RefreshToken, error) { return repo.Lookup(ctx, pred.ID) })
	if got.NextRefreshTokenID != nil || got.ConsumedAt == nil {
		t.Fatalf("predecessor = %+v, want consumed with no successor", got)
	}
	cleanupWantKept(t, "access token of a deleted refresh token", func() (*domain.AccessToken, error) { return h.S.AccessTokens().Lookup(ctx, at.ID) })
}

func testCleanupRefreshTokensConsumed(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.RefreshTokens()
	s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))

	// A chain rt1 → rt2 → rt3 → rt4: rt1 and rt2, each the other's
	// neighbour, go in one statement; rt3 was consumed at the cut-off.
	rt1 := mustGet[*domain.RefreshToken](t)(repo.Add(ctx, s.ID, nil, "mar_1"))
	rt2 := cleanupRotate(t, h, rt1, "mar_2")
	h.Clock.Advance(oauth2Odd)
	rt3 := cleanupRotate(t, h, rt2, "mar_3")
	h.Clock.Advance(oauth2Odd)
	cutoff := h.Clock.Now()
	rt4 := cleanupRotate(t, h, rt3, "mar_4")
	// Revoked but never consumed: not this clean-up's business.
	revoked := mustGet[*domain.RefreshToken](t)(repo.Add(ctx, s.ID, nil, "mar_revoked"))
	must(t, repo.Revoke(ctx, revoked))
	h.Clock.Advance(oauth2Odd)

	n, err := repo.DeleteConsumed(ctx, cutoff)
	cleanupWantDeleted(t, "DeleteConsumed", n, err, 2)
	for _, gone := range []*domain.RefreshToken{rt1, rt2} {
		cleanupWantGone(t, gone.Token, func() (*domain.RefreshToken, error) { return repo.Lookup(ctx, gone.ID) })
	}
	_, err = repo.FindByToken(ctx, "mar_1")
	wantErr(t, err, store.ErrNotFound)
	got := cleanupWantKept(t, "token consumed at the cut-off", func() (*domain.RefreshToken, error) { return repo.Lookup(ctx, rt3.ID) })
	if got.NextRefreshTokenID == nil || *got.NextRefreshTokenID != rt4.ID {
		t.Fatalf("successor of the kept token = %v, want %v", got.NextRefreshTokenID, rt4.ID)
	}
	for _, kept := range []*domain.RefreshToken{rt4, revoked} {
		cleanupWantKept(t, kept.Token, func() (*domain.RefreshToken, error) { return repo.Lookup(ctx, kept.ID) })
	}
	if !mustGet[*domain.RefreshToken](t)(repo.Lookup(ctx, rt4.ID)).Valid() {
		t.Fatal("the live end of the chain is no longer valid")
	}
}

func testCleanupAuthorizationGrants(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.AuthorizationGrants()
	f := newOAuth2Fixture(t, h, "alice")

	pending := oauth2PendingGrant(f, "code-pending")
	must(t, repo.Add(ctx, pending))
	exchanged := oauth2PendingGrant(f, "code-exchanged")
	must(t, repo.Add(ctx, exchanged))
	must(t, repo.Fulfill(ctx, exchanged, f.browser.ID))
	s := addOAuth2Session(t, h, f)
	must(t, repo.Exchange(ctx, exchanged, s.ID))
	h.Clock.Advance(oauth2Odd)
	cutoff := h.Clock.Now()
	atCutoff := oauth2PendingGrant(f, "code-cutoff")
	must(t, repo.Add(ctx, atCutoff))
	h.Clock.Advance(oauth2Odd)
	recent := oauth2PendingGrant(f, "code-recent")
	must(t, repo.Add(ctx, recent))

	n, err := repo.DeleteCreatedBefore(ctx, cutoff)
	cleanupWantDeleted(t, "DeleteCreatedBefore", n, err, 2)
	for _, gone := range []*domain.AuthorizationGrant{pending, exchanged} {
		cleanupWantGone(t, gone.Code, func() (*domain.AuthorizationGrant, error) { return repo.Lookup(ctx, gone.ID) })
	}
	for _, kept := range []*domain.AuthorizationGrant{atCutoff, recent} {
		cleanupWantKept(t, kept.Code, func() (*domain.AuthorizationGrant, error) { return repo.Lookup(ctx, kept.ID) })
	}
	cleanupWantKept(t, "session of a deleted grant", func() (*domain.Session, error) { return h.S.Sessions().Lookup(ctx, s.ID) })
}

func testCleanupUnusedAuthorizationGrants(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.AuthorizationGrants()
	f := newOAuth2Fixture(t, h, "alice")

	pending := oauth2PendingGrant(f, "code-pending")
	must(t, repo.Add(ctx, pending))
	cancelled := oauth2PendingGrant(f, "code-cancelled")
	must(t, repo.Add(ctx, cancelled))
	must(t, repo.Cancel(ctx, cancelled))
	fulfilled := oauth2PendingGrant(f, "code-fulfilled")
	must(t, repo.Add(ctx, fulfilled))
	must(t, repo.Fulfill(ctx, fulfilled, f.browser.ID))
	exchanged := oauth2PendingGrant(f, "code-exchanged")
	must(t, repo.Add(ctx, exchanged))
	must(t, repo.Fulfill(ctx, exchanged, f.browser.ID))
	must(t, repo.Exchange(ctx, exchanged, addOAuth2Session(t, h, f).ID))
	h.Clock.Advance(oauth2Odd)
	cutoff := h.Clock.Now()
	atCutoff := oauth2PendingGrant(f, "code-cutoff")
	must(t, repo.Add(ctx, atCutoff))

	n, err := repo.DeleteUnusedCreatedBefore(ctx, cutoff)
	cleanupWantDeleted(t, "DeleteUnusedCreatedBefore", n, err, 2)
	for _, gone := range []*domain.AuthorizationGrant{pending, cancelled} {
		cleanupWantGone(t, gone.Code, func() (*domain.AuthorizationGrant, error) { return repo.Lookup(ctx, gone.ID) })
	}
	// What a user completed stays for the 7-day clean-up.
	for _, kept := range []*domain.AuthorizationGrant{fulfilled, exchanged, atCutoff} {
		cleanupWantKept(t, kept.Code, func() (*domain.AuthorizationGrant, error) { return repo.Lookup(ctx, kept.ID) })
	}
}

func testCleanupDeviceCodeGrants(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.DeviceCodeGrants()
	f := newOAuth2Fixture(t, h, "alice")

	pending := oauth2DeviceGrant(f, "PENDING", "device-pending")
	must(t, repo.Add(ctx, pending))
	exchanged := oauth2DeviceGrant(f, "EXCHANGED", "device-exchanged")
	must(t, repo.Add(ctx, exchanged))
	must(t, repo.Fulfill(ctx, exchanged, f.browser.ID))
	s := addOAuth2Session(t, h, f)
	must(t, repo.Exchange(ctx, exchanged, s.ID))
	h.Clock.Advance(oauth2Odd)
	cutoff := h.Clock.Now()
	atCutoff := oauth2DeviceGrant(f, "CUTOFF", "device-cutoff")
	must(t, repo.Add(ctx, atCutoff))
	h.Clock.Advance(oauth2Odd)
	recent := oauth2DeviceGrant(f, "RECENT", "device-recent")
	must(t, repo.Add(ctx, recent))

	n, err := repo.DeleteCreatedBefore(ctx, cutoff)
	cleanupWantDeleted(t, "DeleteCreatedBefore", n, err, 2)
	for _, gone := range []*domain.DeviceCodeGrant{pending, exchanged} {
		cleanupWantGone(t, gone.UserCode, func() (*domain.DeviceCodeGrant, error) { return repo.Lookup(ctx, gone.ID) })
	}
	for _, kept := range []*domain.DeviceCodeGrant{atCutoff, recent} {
		cleanupWantKept(t, kept.UserCode, func() (*domain.DeviceCodeGrant, error) { return repo.Lookup(ctx, kept.ID) })
	}
	// The codes of deleted grants are free again.
	_, err = repo.FindByUserCode(ctx, "PENDING")
	wantErr(t, err, store.ErrNotFound)
	cleanupWantKept(t, "session of a deleted grant", func() (*domain.Session, error) { return h.S.Sessions().Lookup(ctx, s.ID) })
}

// On an empty store, and inside a transaction, every clean-up is a no-op.
func testCleanupNothingToDelete(t *testing.T, h *H) {
	ctx := context.Background()
	far := Start.Add(24 * time.Hour)
	must(t, store.WithTx(ctx, h.S, func(tx store.Tx) error {
		for name, del := range map[string]func(context.Context, time.Time) (int, error){
			"access tokens revoked":   tx.AccessTokens().DeleteRevoked,
			"access tokens expired":   tx.AccessTokens().DeleteExpired,
			"refresh tokens revoked":  tx.RefreshTokens().DeleteRevoked,
			"refresh tokens consumed": tx.RefreshTokens().DeleteConsumed,
			"authorization grants":    tx.AuthorizationGrants().DeleteCreatedBefore,
			"device code grants":      tx.DeviceCodeGrants().DeleteCreatedBefore,
		} {
			n, err := del(ctx, far)
			cleanupWantDeleted(t, name, n, err, 0)
		}
		return nil
	}))
}
