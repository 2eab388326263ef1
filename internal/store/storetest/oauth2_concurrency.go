package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	registerConcurrency(
		test{"OAuth2SameCodeExchangeRace", testOAuth2CodeExchangeRace},
		test{"OAuth2SameRefreshTokenRace", testOAuth2RefreshRace},
		test{"OAuth2RefreshRotationRace", testOAuth2RefreshRotationRace},
	)
}

const oauth2Racers = 8

// oauth2Race starts n goroutines together and returns how many returned
// nil. Each error must satisfy one of losing, anything else fails the test.
func oauth2Race(t *testing.T, n int, losing []error, fn func(i int) error) int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
		won   int
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fn(i)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				won++
				return
			}
			for _, l := range losing {
				if errors.Is(err, l) {
					return
				}
			}
			t.Errorf("racer %d: unexpected error: %v", i, err)
		}()
	}
	close(start)
	wg.Wait()
	return won
}

// testOAuth2CodeExchangeRace replays one code from many requests, each of
// which read the grant before any of them wrote: exactly one exchange
// commits, the others lose on the conditional write and roll back the
// session they had created.
func testOAuth2CodeExchangeRace(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	g := oauth2PendingGrant(f, "contested-code")
	must(t, h.S.AuthorizationGrants().Add(ctx, g))
	must(t, h.S.AuthorizationGrants().Fulfill(ctx, g, f.browser.ID))

	copies := make([]*domain.AuthorizationGrant, oauth2Racers)
	for i := range copies {
		copies[i] = mustGet[*domain.AuthorizationGrant](t)(h.S.AuthorizationGrants().FindByCode(ctx, "contested-code"))
	}
	sessions := make([]domain.ID, oauth2Racers)
	won := oauth2Race(t, oauth2Racers, []error{store.ErrConflict}, func(i int) error {
		return store.WithTx(ctx, h.S, func(tx store.Tx) error {
			s := &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, BrowserSessionID: &f.browser.ID, Scope: copies[i].Scope}
			if err := tx.Sessions().Add(ctx, s); err != nil {
				return err
			}
			sessions[i] = s.ID
			return tx.AuthorizationGrants().Exchange(ctx, copies[i], s.ID)
		})
	})
	if won != 1 {
		t.Fatalf("%d exchanges of one code succeeded, want 1", won)
	}
	got := mustGet[*domain.AuthorizationGrant](t)(h.S.AuthorizationGrants().Lookup(ctx, g.ID))
	if got.Stage() != domain.StageExchanged || got.SessionID == nil {
		t.Fatalf("grant after the race = %+v", got)
	}
	active := mustGet[[]*domain.Session](t)(h.S.Sessions().ListActiveForUser(ctx, f.user.ID))
	if len(active) != 1 || active[0].ID != *got.SessionID {
		t.Fatalf("sessions after the race = %v, want only %v", active, *got.SessionID)
	}
}

// testOAuth2RefreshRace consumes one refresh token from many requests that
// all read it first.
func testOAuth2RefreshRace(t *testing.T, h *H) {
	ctx := context.Background()
	s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
	rt := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, s.ID, nil, "mar_contested"))
	copies := make([]*domain.RefreshToken, oauth2Racers)
	for i := range copies {
		copies[i] = mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().FindByToken(ctx, "mar_contested"))
	}
	won := oauth2Race(t, oauth2Racers, []error{store.ErrConflict}, func(i int) error {
		return store.WithTx(ctx, h.S, func(tx store.Tx) error {
			next, err := tx.RefreshTokens().Add(ctx, s.ID, nil, fmt.Sprintf("mar_next_%d", i))
			if err != nil {
				return err
			}
			return tx.RefreshTokens().Consume(ctx, copies[i], next.ID)
		})
	})
	if won != 1 {
		t.Fatalf("%d consumptions of one refresh token succeeded, want 1", won)
	}
	got := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Lookup(ctx, rt.ID))
	if got.ConsumedAt == nil || got.NextRefreshTokenID == nil {
		t.Fatalf("token after the race = %+v", got)
	}
	// Only the winner's successor was committed.
	for i := range oauth2Racers {
		next, err := h.S.RefreshTokens().FindByToken(ctx, fmt.Sprintf("mar_next_%d", i))
		switch {
		case err == nil && next.ID != *got.NextRefreshTokenID:
			t.Fatalf("a losing successor %v was committed", next.ID)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			t.Fatal(err)
		}
	}
}

// testOAuth2RefreshRotationRace runs the token endpoint's whole rotation,
// reading the token inside each transaction: a racer that reads after the
// winner committed sees a consumed token (ErrInvalidTransition), one that
// read before loses the write (ErrConflict); either way only one pair is
// issued.
func testOAuth2RefreshRotationRace(t *testing.T, h *H) {
	ctx := context.Background()
	s := addOAuth2Session(t, h, newOAuth2Fixture(t, h, "alice"))
	at := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, s.ID, "mat_old", nil))
	rt := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, s.ID, &at.ID, "mar_old"))
	won := oauth2Race(t, oauth2Racers, []error{store.ErrConflict, domain.ErrInvalidTransition}, func(i int) error {
		return store.WithTx(ctx, h.S, func(tx store.Tx) error {
			old, err := tx.RefreshTokens().FindByToken(ctx, "mar_old")
			if err != nil {
				return err
			}
			newAT, err := tx.AccessTokens().Add(ctx, s.ID, fmt.Sprintf("mat_new_%d", i), nil)
			if err != nil {
				return err
			}
			newRT, err := tx.RefreshTokens().Add(ctx, s.ID, &newAT.ID, fmt.Sprintf("mar_new_%d", i))
			if err != nil {
				return err
			}
			if err := tx.RefreshTokens().Consume(ctx, old, newRT.ID); err != nil {
				return err
			}
			oldAT, err := tx.AccessTokens().Lookup(ctx, *old.AccessTokenID)
			if err != nil {
				return err
			}
			return tx.AccessTokens().Revoke(ctx, oldAT)
		})
	})
	if won != 1 {
		t.Fatalf("%d rotations of one refresh token succeeded, want 1", won)
	}
	got := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Lookup(ctx, rt.ID))
	if got.NextRefreshTokenID == nil {
		t.Fatalf("token after the race = %+v", got)
	}
	issued := 0
	for i := range oauth2Racers {
		if _, err := h.S.AccessTokens().FindByToken(ctx, fmt.Sprintf("mat_new_%d", i)); err == nil {
			issued++
		}
	}
	if issued != 1 {
		t.Fatalf("%d new access tokens committed, want 1", issued)
	}
	if old := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Lookup(ctx, at.ID)); old.RevokedAt == nil {
		t.Fatal("the rotated-out access token is still live")
	}
}
