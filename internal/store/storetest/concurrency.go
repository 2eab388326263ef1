package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store"
)

// concurrencyTests are kept apart from Run because they exercise locking,
// which some backends (SQLite) serialise rather than run in parallel.
var concurrencyTests []test

func registerConcurrency(tests ...test) { concurrencyTests = append(concurrencyTests, tests...) }

// RunConcurrency runs tests with many concurrent writers.
func RunConcurrency(t *testing.T, open Opener) {
	for _, tc := range concurrencyTests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktest.New(Start)
			tc.run(t, &H{S: open(t, clk), Clock: clk})
		})
	}
}

func init() {
	registerConcurrency(
		test{"ParallelUserCreation", func(t *testing.T, h *H) {
			// Many writers at once, each in its own transaction, must all
			// succeed (no SQLITE_BUSY) and all be visible afterwards.
			const writers = 16
			const perWriter = 10
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range perWriter {
						err := store.WithTx(ctx, h.S, func(tx store.Tx) error {
							u, err := tx.Users().Add(ctx, fmt.Sprintf("user-%d-%d", w, i))
							if err != nil {
								return err
							}
							_, err = tx.UserEmails().Add(ctx, u.ID, fmt.Sprintf("u%d-%d@example.com", w, i))
							return err
						})
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("writer failed: %v", err)
			}
			if n := mustGet[int](t)(h.S.Users().Count(ctx)); n != writers*perWriter {
				t.Fatalf("count = %d, want %d", n, writers*perWriter)
			}
		}},
		test{"SameUsernameRace", func(t *testing.T, h *H) {
			// Exactly one of many writers racing for one username wins.
			ctx := context.Background()
			const racers = 8
			var wg sync.WaitGroup
			var mu sync.Mutex
			won, lost := 0, 0
			for range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := h.S.Users().Add(ctx, "contested")
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						won++
					case errors.Is(err, store.ErrConflict):
						lost++
					default:
						t.Errorf("unexpected error: %v", err)
					}
				}()
			}
			wg.Wait()
			if won != 1 || lost != racers-1 {
				t.Fatalf("won=%d lost=%d", won, lost)
			}
		}},
		test{"RollbackLeavesNothing", func(t *testing.T, h *H) {
			ctx := context.Background()
			tx, err := h.S.Begin(ctx)
			must(t, err)
			u := mustGet[*domain.User](t)(tx.Users().Add(ctx, "ghost"))
			must(t, tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: u.ID}))
			must(t, tx.Rollback())
			_, err = h.S.Users().FindByUsername(ctx, "ghost")
			wantErr(t, err, store.ErrNotFound)
		}},
	)
}
