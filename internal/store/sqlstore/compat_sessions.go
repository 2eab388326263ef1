package sqlstore

import (
	"context"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// persistOrRevert applies a domain transition to *v, then writes it. When
// the write fails (typically ErrConflict from a stale copy) *v is put back,
// so the caller is never left holding a state the database does not have.
func persistOrRevert[T any](v *T, apply func() error, write func() error) error {
	before := *v
	if err := apply(); err != nil {
		return err
	}
	if err := write(); err != nil {
		*v = before
		return err
	}
	return nil
}

type compatSessionRepo struct{ r repos }

func (r repos) CompatSessions() store.CompatSessionRepository { return compatSessionRepo{r} }

const compatSessionColumns = `compat_session_id, user_id, device_id, user_session_id, is_synapse_admin, created_at,
	finished_at, user_agent, last_active_at, last_active_ip, human_name`

func scanCompatSession(row interface{ Scan(...any) error }) (*domain.CompatSession, error) {
	s := &domain.CompatSession{}
	err := row.Scan(id(&s.ID), id(&s.UserID), strn(&s.DeviceID), idn(&s.BrowserSessionID), boolean(&s.IsSynapseAdmin),
		ts(&s.CreatedAt), tsn(&s.FinishedAt), strn(&s.UserAgent), tsn(&s.LastActiveAt), strn(&s.LastActiveIP),
		strn(&s.HumanName))
	return s, err
}

func (c compatSessionRepo) Add(ctx context.Context, s *domain.CompatSession) error {
	now := c.r.now()
	sessionID := c.r.newID(now)
	// An empty device ID is stored as NULL: deviceless imported sessions
	// then never match a device lookup.
	_, err := c.r.exec(ctx, `INSERT INTO compat_sessions (compat_session_id, user_id, device_id, user_session_id,
		is_synapse_admin, created_at, finished_at, user_agent, last_active_at, last_active_ip, human_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		idv(sessionID), idv(s.UserID), strp(s.DeviceID), idp(s.BrowserSessionID), s.IsSynapseAdmin, c.r.t(now),
		c.r.tp(s.FinishedAt), strp(s.UserAgent), c.r.tp(s.LastActiveAt), strp(s.LastActiveIP), strp(s.HumanName))
	if err != nil {
		return fmt.Errorf("add compat session: %w", err)
	}
	s.ID, s.CreatedAt = sessionID, now
	return nil
}

func (c compatSessionRepo) Lookup(ctx context.Context, sessionID domain.ID) (*domain.CompatSession, error) {
	return queryOne(ctx, c.r, scanCompatSession, `SELECT `+compatSessionColumns+` FROM compat_sessions
		WHERE compat_session_id = $1`, idv(sessionID))
}

func (c compatSessionRepo) Finish(ctx context.Context, s *domain.CompatSession) error {
	return persistOrRevert(s, func() error { return s.Finish(c.r.now()) }, func() error {
		return c.r.atomically(ctx, func(r repos) error {
			if err := r.transition(ctx, "compat session", `UPDATE compat_sessions SET finished_at = $2
				WHERE compat_session_id = $1 AND finished_at IS NULL`, idv(s.ID), r.tp(s.FinishedAt)); err != nil {
				return err
			}
			return r.invalidate(ctx, store.InvalidateCompatSession, s.ID)
		})
	})
}

func (c compatSessionRepo) FinishAllForUser(ctx context.Context, userID domain.ID) (int, error) {
	return c.r.finishAllForUser(ctx, compatSessionTable, store.InvalidateCompatSession, userID)
}

func (c compatSessionRepo) ListActiveForDevice(ctx context.Context, userID domain.ID, deviceID string) ([]*domain.CompatSession, error) {
	if deviceID == "" {
		// Deviceless sessions hold no device, so none can be replaced.
		return nil, nil
	}
	return queryAll(ctx, c.r, scanCompatSession, `SELECT `+compatSessionColumns+` FROM compat_sessions
		WHERE user_id = $1 AND device_id = $2 AND finished_at IS NULL ORDER BY compat_session_id`, idv(userID), deviceID)
}

func (c compatSessionRepo) ListActiveForUser(ctx context.Context, userID domain.ID) ([]*domain.CompatSession, error) {
	return queryAll(ctx, c.r, scanCompatSession, `SELECT `+compatSessionColumns+` FROM compat_sessions
		WHERE user_id = $1 AND finished_at IS NULL ORDER BY compat_session_id`, idv(userID))
}

func (c compatSessionRepo) CountActiveForUser(ctx context.Context, userID domain.ID) (int, error) {
	var n int
	err := c.r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM compat_sessions WHERE user_id = $1 AND finished_at IS NULL`,
		idv(userID)).Scan(&n)
	return n, c.r.mapErr(err)
}

// RecordActivity, like its browser-session counterpart, ignores sessions
// that no longer exist: activity is flushed in batches after the requests
// that produced it, by which time a session may have been cleaned up.
func (c compatSessionRepo) RecordActivity(ctx context.Context, sessionID domain.ID, at time.Time, ip string) error {
	_, err := c.r.exec(ctx, `UPDATE compat_sessions SET last_active_at = $2, last_active_ip = $3 WHERE compat_session_id = $1`,
		idv(sessionID), c.r.t(at), strp(ip))
	return err
}
