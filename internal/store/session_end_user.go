package store

import (
	"context"
	"fmt"

	"mas/internal/domain"
)

// EndedSessions counts the sessions EndEverySession finished.
type EndedSessions struct {
	Browser, OAuth2, Compat int
}

// EndEverySession signs the user out everywhere, in tx: every browser,
// OAuth 2.0 and compat session is finished and, as for a single session
// (see EndOAuthSession), a device sync is scheduled in the same
// transaction. Personal sessions, which administrators hand out, are left
// alone.
func EndEverySession(ctx context.Context, tx Tx, userID domain.ID) (EndedSessions, error) {
	var n EndedSessions
	var err error
	if n.Browser, err = tx.BrowserSessions().FinishAllForUser(ctx, userID); err != nil {
		return n, fmt.Errorf("ending browser sessions: %w", err)
	}
	if n.OAuth2, err = tx.Sessions().FinishAllForUser(ctx, userID); err != nil {
		return n, fmt.Errorf("ending OAuth 2.0 sessions: %w", err)
	}
	if n.Compat, err = tx.CompatSessions().FinishAllForUser(ctx, userID); err != nil {
		return n, fmt.Errorf("ending compat sessions: %w", err)
	}
	// Synced even when nothing was active: the sync also removes devices
	// that an earlier, failed sync left behind.
	if err := tx.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: userID}); err != nil {
		return n, fmt.Errorf("scheduling the device sync: %w", err)
	}
	return n, nil
}
