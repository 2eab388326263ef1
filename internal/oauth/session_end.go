package oauth

import (
	"context"
	"errors"

	"mas/internal/domain"
	"mas/internal/store"
)

// endSession finishes an OAuth 2.0 session, in tx, with the device sync
// that makes the homeserver forget its device at once (store.EndOAuthSession).
// A session that is gone or already finished (concurrently, say) is fine.
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
	if err := store.EndOAuthSession(ctx, tx, s); err != nil && !store.AlreadyEnded(err) {
		return err
	}
	return nil
}
