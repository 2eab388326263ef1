package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("OAuth2ClientAssertions",
		test{"SingleUse", testClientAssertionSingleUse},
		test{"PerClient", testClientAssertionPerClient},
		test{"ReuseAfterExpiry", testClientAssertionReuseAfterExpiry},
		test{"InTransaction", testClientAssertionInTransaction},
		test{"DeleteExpired", testClientAssertionDeleteExpired},
		test{"DeletedWithClient", testClientAssertionDeletedWithClient},
		test{"BadInput", func(t *testing.T, h *H) {
			f := newOAuth2Fixture(t, h, "alice")
			ctx := context.Background()
			exp := h.Clock.Now().Add(time.Minute)
			if err := h.S.ClientAssertions().Use(ctx, f.client.ID, "", exp); err == nil {
				t.Fatal("an empty jti was accepted")
			}
			if err := h.S.ClientAssertions().Use(ctx, f.client.ID, strings.Repeat("j", 513), exp); err == nil {
				t.Fatal("an oversized jti was accepted")
			}
		}},
	)
	registerConcurrency(test{"OAuth2ClientAssertionReplayRace", testClientAssertionRace})
}

func testClientAssertionSingleUse(t *testing.T, h *H) {
	f := newOAuth2Fixture(t, h, "alice")
	ctx := context.Background()
	exp := h.Clock.Now().Add(5 * time.Minute)
	must(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "jti-1", exp))
	wantErr(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "jti-1", exp), store.ErrConflict)
	// A replay with another expiry is still a replay.
	wantErr(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "jti-1", exp.Add(time.Hour)), store.ErrConflict)
	must(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "jti-2", exp))
	// Case matters: identifiers are opaque.
	must(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "JTI-1", exp))
}

func testClientAssertionPerClient(t *testing.T, h *H) {
	a := newOAuth2Fixture(t, h, "alice")
	b := newOAuth2Fixture(t, h, "bob")
	ctx := context.Background()
	exp := h.Clock.Now().Add(time.Minute)
	must(t, h.S.ClientAssertions().Use(ctx, a.client.ID, "shared", exp))
	must(t, h.S.ClientAssertions().Use(ctx, b.client.ID, "shared", exp))
	wantErr(t, h.S.ClientAssertions().Use(ctx, b.client.ID, "shared", exp), store.ErrConflict)
}

func testClientAssertionReuseAfterExpiry(t *testing.T, h *H) {
	f := newOAuth2Fixture(t, h, "alice")
	ctx := context.Background()
	exp := h.Clock.Now().Add(time.Minute)
	must(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "jti", exp))

	// Up to and including the expiry instant the identifier is taken.
	h.Clock.Advance(time.Minute)
	wantErr(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "jti", exp.Add(time.Minute)), store.ErrConflict)

	h.Clock.Advance(time.Microsecond)
	newExp := h.Clock.Now().Add(time.Minute)
	must(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "jti", newExp))
	// The new use counts from the new expiry.
	h.Clock.Advance(30 * time.Second)
	wantErr(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "jti", newExp), store.ErrConflict)
}

func testClientAssertionInTransaction(t *testing.T, h *H) {
	f := newOAuth2Fixture(t, h, "alice")
	ctx := context.Background()
	exp := h.Clock.Now().Add(time.Minute)

	// A rolled back use leaves the identifier free.
	tx, err := h.S.Begin(ctx)
	must(t, err)
	must(t, tx.ClientAssertions().Use(ctx, f.client.ID, "jti", exp))
	wantErr(t, tx.ClientAssertions().Use(ctx, f.client.ID, "jti", exp), store.ErrConflict)
	must(t, tx.Rollback())
	must(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "jti", exp))

	// A failed use does not poison the transaction it runs in.
	err = store.WithTx(ctx, h.S, func(tx store.Tx) error {
		wantErr(t, tx.ClientAssertions().Use(ctx, f.client.ID, "jti", exp), store.ErrConflict)
		return tx.ClientAssertions().Use(ctx, f.client.ID, "other", exp)
	})
	must(t, err)
	wantErr(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "other", exp), store.ErrConflict)
}

func testClientAssertionDeleteExpired(t *testing.T, h *H) {
	f := newOAuth2Fixture(t, h, "alice")
	ctx := context.Background()
	now := h.Clock.Now()
	must(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "short", now.Add(time.Minute)))
	must(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "long", now.Add(time.Hour)))

	if n := mustGet[int](t)(h.S.ClientAssertions().DeleteExpired(ctx, now.Add(time.Minute))); n != 0 {
		t.Fatalf("deleted %d records expiring at the cut-off, want 0", n)
	}
	if n := mustGet[int](t)(h.S.ClientAssertions().DeleteExpired(ctx, now.Add(2*time.Minute))); n != 1 {
		t.Fatalf("deleted %d records, want 1", n)
	}
	// The long-lived one is still single-use.
	wantErr(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "long", now.Add(time.Hour)), store.ErrConflict)
	// The pruned one is gone; while the clock has not passed its expiry,
	// only the record stopped a replay, which is why callers must never
	// prune records of assertions they would still accept.
	must(t, h.S.ClientAssertions().Use(ctx, f.client.ID, "short", now.Add(time.Minute)))
}

func testClientAssertionDeletedWithClient(t *testing.T, h *H) {
	ctx := context.Background()
	c := &domain.Client{TokenEndpointAuthMethod: "private_key_jwt", JWKS: `{"keys":[]}`}
	must(t, h.S.Clients().Add(ctx, c))
	exp := h.Clock.Now().Add(time.Minute)
	must(t, h.S.ClientAssertions().Use(ctx, c.ID, "jti", exp))
	must(t, h.S.Clients().Delete(ctx, c.ID))
	if n := mustGet[int](t)(h.S.ClientAssertions().DeleteExpired(ctx, exp.Add(time.Hour))); n != 0 {
		t.Fatalf("%d records of a deleted client survived", n)
	}
}

// testClientAssertionRace replays one assertion from many replicas at once:
// exactly one is accepted.
func testClientAssertionRace(t *testing.T, h *H) {
	f := newOAuth2Fixture(t, h, "alice")
	ctx := context.Background()
	exp := h.Clock.Now().Add(time.Minute)
	won := oauth2Race(t, oauth2Racers, []error{store.ErrConflict}, func(int) error {
		return store.WithTx(ctx, h.S, func(tx store.Tx) error {
			return tx.ClientAssertions().Use(ctx, f.client.ID, "raced", exp)
		})
	})
	if won != 1 {
		t.Fatalf("%d racers accepted the same assertion, want 1", won)
	}
}
