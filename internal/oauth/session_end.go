package oauth

import (
	"context"
	"errors"

	"mas/internal/domain"
	"mas/internal/store"
)

// endSession finishes an OAuth 2.0 session, in tx, and schedules the device
// sync that makes the homeserver forget its device at once: Synapse would
// otherwise honour the session's cached tokens for up to two minutes. A
// session that is gone or already finished (concurrently, say) is fine.
func endSession(ctx context.Context, tx store.Tx, id domain.ID) error {
	s, err := tx.Sessions().Lookup(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !s.Active() {
		return nil
	}
	if err := tx.Sessions().Finish(ctx, s); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, domain.ErrInvalidTransition) {
			return nil
		}
		return err
	}
	if s.UserID != nil {
		return tx.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: *s.UserID})
	}
	return nil
}
