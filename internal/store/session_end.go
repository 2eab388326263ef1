package store

import (
	"context"
	"errors"

	"mas/internal/domain"
)

// Ending a session that may hold a device is one rule wherever it happens
// (token revocation, a replayed refresh token, the legacy logout, the
// account pages): the session is finished and, in the same transaction, a
// device sync is scheduled, which deletes the device on the homeserver.
// Synapse would otherwise keep honouring the session's cached tokens for up
// to two minutes.

// EndOAuthSession finishes s in tx and schedules the device sync of its
// user (a client-credentials session has none). The error satisfies
// AlreadyEnded if s had ended before.
func EndOAuthSession(ctx context.Context, tx Tx, s *domain.Session) error {
	if err := tx.Sessions().Finish(ctx, s); err != nil {
		return err
	}
	if s.UserID == nil {
		return nil
	}
	return tx.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: *s.UserID})
}

// EndCompatSession finishes s in tx and schedules the device sync of its
// user. The error satisfies AlreadyEnded if s had ended before.
func EndCompatSession(ctx context.Context, tx Tx, s *domain.CompatSession) error {
	if err := tx.CompatSessions().Finish(ctx, s); err != nil {
		return err
	}
	return tx.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: s.UserID})
}

// EndPersonalSession revokes s in tx and, when its scope names a device,
// schedules the device sync of the user it acts as. The error satisfies
// AlreadyEnded if s had ended before.
func EndPersonalSession(ctx context.Context, tx Tx, s *domain.PersonalSession) error {
	if err := tx.PersonalSessions().Revoke(ctx, s); err != nil {
		return err
	}
	if len(domain.DevicesInScope(s.Scope)) == 0 {
		return nil
	}
	return tx.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: s.ActorUserID})
}

// AlreadyEnded reports an error of the End functions that only says the
// session had ended already: as seen (a transition refused by the domain)
// or concurrently (a conditional write that matched nothing).
func AlreadyEnded(err error) bool {
	return errors.Is(err, ErrConflict) || errors.Is(err, domain.ErrInvalidTransition)
}
