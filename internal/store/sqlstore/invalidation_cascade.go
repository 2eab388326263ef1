package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"mas/internal/domain"
	"mas/internal/store"
)

// clientSessionsEnded records the invalidations of the live sessions that
// deleting a client takes with it (ON DELETE CASCADE). On PostgreSQL the
// client row is locked first, so that no session can be added between the
// read and the delete (adding one needs a key-share lock on the client);
// SQLite transactions run one at a time.
func (r repos) clientSessionsEnded(ctx context.Context, clientID domain.ID) error {
	if r.s.opts.Dialect == Postgres {
		var one int
		err := r.q.QueryRowContext(ctx, `SELECT 1 FROM oauth2_clients WHERE oauth2_client_id = $1 FOR UPDATE`, idv(clientID)).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // the delete reports it
		}
		if err != nil {
			return r.mapErr(err)
		}
	}
	sessions, err := scanIDs(ctx, r, `SELECT oauth2_session_id FROM oauth2_sessions
		WHERE oauth2_client_id = $1 AND finished_at IS NULL`, idv(clientID))
	if err != nil {
		return err
	}
	if err := r.invalidate(ctx, store.InvalidateOAuthSession, sessions...); err != nil {
		return err
	}
	personal, err := scanIDs(ctx, r, `SELECT personal_session_id FROM personal_sessions
		WHERE owner_oauth2_client_id = $1 AND revoked_at IS NULL`, idv(clientID))
	if err != nil {
		return err
	}
	return r.invalidate(ctx, store.InvalidatePersonalSession, personal...)
}

// finishAllForUser finishes every live session of a user in one table of
// sessions, and invalidates each of them.
func (r repos) finishAllForUser(ctx context.Context, t sessionTable, kind store.InvalidationKind, userID domain.ID) (int, error) {
	var ended []domain.ID
	err := r.atomically(ctx, func(r repos) error {
		var err error
		ended, err = scanIDs(ctx, r, `UPDATE `+t.table+` SET finished_at = $2 WHERE user_id = $1 AND finished_at IS NULL
			RETURNING `+t.id, idv(userID), r.t(r.now()))
		if err != nil {
			return err
		}
		return r.invalidate(ctx, kind, ended...)
	})
	return len(ended), err
}
