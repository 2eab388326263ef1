package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	registerConcurrency(
		test{"RegistrationTokenSingleUse", func(t *testing.T, h *H) {
			testRegistrationTokenRace(t, h, 1, 12)
		}},
		test{"RegistrationTokenLimitedUses", func(t *testing.T, h *H) {
			testRegistrationTokenRace(t, h, 3, 12)
		}},
		test{"RegistrationTokenSingleUseInTransactions", testRegistrationTokenRaceInTx},
	)
}

// testRegistrationTokenRace has racers that all read the token before any
// of them uses it, so every in-memory check passes and only the database
// can keep the count: exactly limit of them may win.
func testRegistrationTokenRace(t *testing.T, h *H, limit, racers int) {
	ctx := context.Background()
	tok := &domain.RegistrationToken{Token: fmt.Sprintf("limit-%d", limit), UsageLimit: ptr(limit)}
	must(t, h.S.RegistrationTokens().Add(ctx, tok))
	copies := make([]*domain.RegistrationToken, racers)
	for i := range copies {
		copies[i] = mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().FindByToken(ctx, tok.Token))
	}
	errs := raceRegistration(racers, func(i int) error { return h.S.RegistrationTokens().Use(ctx, copies[i]) })
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, store.ErrConflict):
		default:
			t.Errorf("racer failed with %v, want nil or ErrConflict", err)
		}
	}
	if won != limit {
		t.Fatalf("%d racers used a token with %d uses", won, limit)
	}
	got := mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().Lookup(ctx, tok.ID))
	if got.TimesUsed != limit {
		t.Fatalf("times used = %d, want %d", got.TimesUsed, limit)
	}
}

// testRegistrationTokenRaceInTx is the registration flow's shape: read and
// use in one transaction. Losers see either a used-up token (invalid
// transition) or lose the write (conflict), depending on timing.
func testRegistrationTokenRaceInTx(t *testing.T, h *H) {
	ctx := context.Background()
	const racers = 8
	must(t, h.S.RegistrationTokens().Add(ctx, &domain.RegistrationToken{Token: "once", UsageLimit: ptr(1)}))
	errs := raceRegistration(racers, func(int) error {
		return store.WithTx(ctx, h.S, func(tx store.Tx) error {
			tok, err := tx.RegistrationTokens().FindByToken(ctx, "once")
			if err != nil {
				return err
			}
			return tx.RegistrationTokens().Use(ctx, tok)
		})
	})
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, store.ErrConflict), errors.Is(err, domain.ErrInvalidTransition):
		default:
			t.Errorf("racer failed with %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d racers used a single-use token", won)
	}
	got := mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().FindByToken(ctx, "once"))
	if got.TimesUsed != 1 {
		t.Fatalf("times used = %d, want 1", got.TimesUsed)
	}
}

// raceRegistration runs fn from n goroutines released together and
// returns their errors.
func raceRegistration(n int, fn func(i int) error) []error {
	start := make(chan struct{})
	type result struct {
		i   int
		err error
	}
	results := make(chan result, n)
	for i := range n {
		go func() {
			<-start
			results <- result{i, fn(i)}
		}()
	}
	close(start)
	errs := make([]error, n)
	for range n {
		r := <-results
		errs[r.i] = r.err
	}
	return errs
}
