package storetest

import (
	"context"
	"sync"
	"testing"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("UserHold",
		test{"UnknownUserAndOutsideTransaction", func(t *testing.T, h *H) {
			ctx := context.Background()
			err := store.WithTx(ctx, h.S, func(tx store.Tx) error { return tx.Users().Hold(ctx, absentID()) })
			wantErr(t, err, store.ErrNotFound)
			u := mustGet[*domain.User](t)(h.S.Users().Add(ctx, "alice"))
			if err := h.S.Users().Hold(ctx, u.ID); err == nil {
				t.Fatal("Hold outside a transaction succeeded; it would hold nothing")
			}
		}},
	)
	registerConcurrency(test{"UserHoldOneSessionPerDevice", testUserHoldOneSessionPerDevice})
}

// testUserHoldOneSessionPerDevice runs the compat login's check-then-write
// (end whoever holds the device, then start a session on it) from many
// transactions at once. Under READ COMMITTED each would read the device's
// holders before the others commit and leave several sessions alive;
// Hold makes each see the one before it.
func testUserHoldOneSessionPerDevice(t *testing.T, h *H) {
	ctx := context.Background()
	u := mustGet[*domain.User](t)(h.S.Users().Add(ctx, "alice"))
	const racers = 30
	var wg sync.WaitGroup
	errs := make(chan error, racers)
	for range racers {
		wg.Go(func() {
			errs <- store.WithTx(ctx, h.S, func(tx store.Tx) error {
				if err := tx.Users().Hold(ctx, u.ID); err != nil {
					return err
				}
				holders, err := tx.CompatSessions().ListActiveForDevice(ctx, u.ID, "DEVICE")
				if err != nil {
					return err
				}
				for _, s := range holders {
					if err := tx.CompatSessions().Finish(ctx, s); err != nil {
						return err
					}
				}
				return tx.CompatSessions().Add(ctx, &domain.CompatSession{UserID: u.ID, DeviceID: "DEVICE"})
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a login failed: %v", err)
		}
	}
	live := mustGet[[]*domain.CompatSession](t)(h.S.CompatSessions().ListActiveForDevice(ctx, u.ID, "DEVICE"))
	if len(live) != 1 {
		t.Fatalf("%d live sessions on the device, want 1", len(live))
	}
}
