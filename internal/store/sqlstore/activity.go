package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"mas/internal/store"
)

// RecordActivities writes a batch of sightings in one transaction through
// the repositories' RecordActivity, so that each kind keeps its own rules
// (never moving an OAuth 2.0 session's sighting backwards, for one).
func (s *Store) RecordActivities(ctx context.Context, batch []store.Activity) error {
	if len(batch) == 0 {
		return nil
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, a := range batch {
		var err error
		switch a.Kind {
		case store.ActivityOAuthSession:
			err = tx.Sessions().RecordActivity(ctx, a.SessionID, a.At, a.IP)
		case store.ActivityCompatSession:
			err = tx.CompatSessions().RecordActivity(ctx, a.SessionID, a.At, a.IP)
		case store.ActivityBrowserSession:
			err = tx.BrowserSessions().RecordActivity(ctx, a.SessionID, a.At, a.IP)
		default:
			err = fmt.Errorf("unknown activity kind %q", a.Kind)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("record activity of %s %s: %w", a.Kind, a.SessionID, err)
		}
	}
	return tx.Commit()
}
