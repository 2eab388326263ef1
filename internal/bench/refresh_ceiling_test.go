package bench

import (
	"context"
	"errors"
	"testing"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/testdb"
)

// openCeilingStore is a migrated store (MAS_TEST_BACKEND) with one
// user, and a refresh ceiling on its database.
func openCeilingStore(t *testing.T) (store.Store, *domain.User, *RefreshCeiling) {
	t.Helper()
	s := testdb.Open(t, clock.System{})
	u, err := s.Users().Add(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	return s, u, newRefreshCeiling(testdb.DB(t, s), testdb.Backend() == testdb.Postgres)
}

// invalidations counts the invalidation rows recorded for one object.
func invalidations(t *testing.T, s store.Store, kind store.InvalidationKind, id domain.ID) int {
	t.Helper()
	var n int
	if err := testdb.DB(t, s).QueryRowContext(context.Background(), `SELECT COUNT(*) FROM cache_invalidations WHERE kind = $1 AND object_id = $2`,
		string(kind), id.String()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRefreshCeilingRotatesLikeTheServer checks that the ceiling's SQL
// leaves the rows the store's own rotation would: the old refresh token
// consumed with its successor recorded, the old access token revoked with
// an invalidation, and a successor the store finds and the ceiling can
// rotate again; a consumed token is refused.
func TestRefreshCeilingRotatesLikeTheServer(t *testing.T) {
	ctx := context.Background()
	s, u, rc := openCeilingStore(t)
	c := &domain.Client{RedirectURIs: []string{"https://app.example.com/cb"}}
	if err := s.Clients().Add(ctx, c); err != nil {
		t.Fatal(err)
	}
	sess := &domain.Session{ClientID: c.ID, UserID: &u.ID, Scope: []string{"openid"}}
	if err := s.Sessions().Add(ctx, sess); err != nil {
		t.Fatal(err)
	}
	at, err := s.AccessTokens().Add(ctx, sess.ID, "mat_old", nil)
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.RefreshTokens().Add(ctx, sess.ID, &at.ID, "mar_old")
	if err != nil {
		t.Fatal(err)
	}

	refresh := []string{old.Token}
	if err := rc.Op(refresh)(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	next, err := s.RefreshTokens().FindByToken(ctx, refresh[0])
	if err != nil {
		t.Fatalf("successor not found by the store: %v", err)
	}
	if next.SessionID != sess.ID || next.AccessTokenID == nil || next.ConsumedAt != nil {
		t.Errorf("successor = %+v", next)
	}
	if _, err := s.AccessTokens().Lookup(ctx, *next.AccessTokenID); err != nil {
		t.Errorf("new access token: %v", err)
	}
	consumed, err := s.RefreshTokens().Lookup(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if consumed.ConsumedAt == nil || consumed.NextRefreshTokenID == nil || *consumed.NextRefreshTokenID != next.ID {
		t.Errorf("old refresh token = %+v, want consumed into %s", consumed, next.ID)
	}
	revoked, err := s.AccessTokens().Lookup(ctx, at.ID)
	if err != nil {
		t.Fatal(err)
	}
	if revoked.RevokedAt == nil {
		t.Error("old access token not revoked")
	}
	if n := invalidations(t, s, store.InvalidateAccessToken, at.ID); n != 1 {
		t.Errorf("%d invalidations of the old access token, want 1", n)
	}

	if _, err := rc.Rotate(ctx, old.Token); !errors.Is(err, errRefreshUnusable) {
		t.Errorf("rotating a consumed token: %v, want errRefreshUnusable", err)
	}
	if err := rc.Op(refresh)(ctx, 0, 1); err != nil {
		t.Errorf("rotating the successor: %v", err)
	}
	// A worker left with a used token (the server rotated it for a
	// request the load generator gave up on) carries on from the live one.
	refresh[0] = old.Token
	if err := rc.Op(refresh)(ctx, 0, 2); err != nil || refresh[0] == old.Token {
		t.Errorf("rotating from a used token: %v", err)
	}
}

// TestRefreshCeilingRotatesCompatLikeTheServer is the same for a compat
// refresh: the old access token expired with an invalidation.
func TestRefreshCeilingRotatesCompatLikeTheServer(t *testing.T) {
	ctx := context.Background()
	s, u, rc := openCeilingStore(t)
	sess := &domain.CompatSession{UserID: u.ID, DeviceID: "DEVICE"}
	if err := s.CompatSessions().Add(ctx, sess); err != nil {
		t.Fatal(err)
	}
	at, err := s.CompatAccessTokens().Add(ctx, sess.ID, "mct_old", nil)
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.CompatRefreshTokens().Add(ctx, sess.ID, at.ID, "mcr_old")
	if err != nil {
		t.Fatal(err)
	}

	token, err := rc.RotateCompat(ctx, old.Token)
	if err != nil {
		t.Fatal(err)
	}
	next, err := s.CompatRefreshTokens().FindByToken(ctx, token)
	if err != nil {
		t.Fatalf("successor not found by the store: %v", err)
	}
	if next.SessionID != sess.ID || next.ConsumedAt != nil {
		t.Errorf("successor = %+v", next)
	}
	consumed, err := s.CompatRefreshTokens().Lookup(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if consumed.ConsumedAt == nil || consumed.NextRefreshTokenID == nil || *consumed.NextRefreshTokenID != next.ID {
		t.Errorf("old refresh token = %+v, want consumed into %s", consumed, next.ID)
	}
	expired, err := s.CompatAccessTokens().Lookup(ctx, at.ID)
	if err != nil {
		t.Fatal(err)
	}
	if expired.ExpiresAt == nil {
		t.Error("old access token not expired")
	}
	if n := invalidations(t, s, store.InvalidateCompatAccessToken, at.ID); n != 1 {
		t.Errorf("%d invalidations of the old access token, want 1", n)
	}
	if _, err := rc.RotateCompat(ctx, old.Token); !errors.Is(err, errRefreshUnusable) {
		t.Errorf("rotating a consumed token: %v, want errRefreshUnusable", err)
	}
	if _, err := rc.RotateCompat(ctx, token); err != nil {
		t.Errorf("rotating the successor: %v", err)
	}
}
