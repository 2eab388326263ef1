package sqlstore

import (
	"context"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type sessionRepo struct{ r repos }

func (r repos) Sessions() store.SessionRepository { return sessionRepo{r} }

const sessionColumns = `oauth2_session_id, oauth2_client_id, user_id, user_session_id, scope_list,
	created_at, finished_at, user_agent, last_active_at, last_active_ip, human_name`

func scanSession(row interface{ Scan(...any) error }) (*domain.Session, error) {
	s := &domain.Session{}
	err := row.Scan(id(&s.ID), id(&s.ClientID), idn(&s.UserID), idn(&s.BrowserSessionID), scope(&s.Scope),
		ts(&s.CreatedAt), tsn(&s.FinishedAt), strn(&s.UserAgent), tsn(&s.LastActiveAt), strn(&s.LastActiveIP), strn(&s.HumanName))
	return s, err
}

const insertSessionQuery = `INSERT INTO oauth2_sessions (` + sessionColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

func (o sessionRepo) Add(ctx context.Context, s *domain.Session) error {
	_, err := o.r.exec(ctx, insertSessionQuery, o.newSession(s)...)
	if err != nil {
		return fmt.Errorf("add oauth2 session: %w", err)
	}
	return nil
}

// newSession assigns s its ID and CreatedAt, and returns the values of
// insertSessionQuery.
func (o sessionRepo) newSession(s *domain.Session) []any {
	now := o.r.now()
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	s.CreatedAt = s.CreatedAt.UTC().Truncate(time.Microsecond)
	if s.ID == domain.ZeroID {
		s.ID = o.r.newID(now)
	}
	return []any{idv(s.ID), idv(s.ClientID), idp(s.UserID), idp(s.BrowserSessionID), scopeValue(s.Scope),
		o.r.t(s.CreatedAt), o.r.tp(s.FinishedAt), strp(s.UserAgent), o.r.tp(s.LastActiveAt), strp(s.LastActiveIP), strp(s.HumanName)}
}

func (o sessionRepo) Lookup(ctx context.Context, sessionID domain.ID) (*domain.Session, error) {
	return queryOne(ctx, o.r, scanSession, `SELECT `+sessionColumns+` FROM oauth2_sessions WHERE oauth2_session_id = $1`, idv(sessionID))
}

func (o sessionRepo) Finish(ctx context.Context, s *domain.Session) error {
	next := *s
	if err := next.Finish(o.r.now()); err != nil {
		return err
	}
	err := o.r.atomically(ctx, func(r repos) error {
		if err := r.transition(ctx, "oauth2 session", `UPDATE oauth2_sessions SET finished_at = $2
			WHERE oauth2_session_id = $1 AND finished_at IS NULL`, idv(s.ID), r.tp(next.FinishedAt)); err != nil {
			return err
		}
		return r.invalidate(ctx, store.InvalidateOAuthSession, s.ID)
	})
	if err != nil {
		return err
	}
	*s = next
	return nil
}

func (o sessionRepo) FinishAllForUser(ctx context.Context, userID domain.ID) (int, error) {
	n, err := o.r.finishAllForUser(ctx, oauth2SessionTable, store.InvalidateOAuthSession, userID)
	if err != nil {
		return 0, fmt.Errorf("finish oauth2 sessions of user %s: %w", userID, err)
	}
	return n, nil
}

func (o sessionRepo) ListActiveForUser(ctx context.Context, userID domain.ID) ([]*domain.Session, error) {
	return queryAll(ctx, o.r, scanSession, `SELECT `+sessionColumns+` FROM oauth2_sessions
		WHERE user_id = $1 AND finished_at IS NULL ORDER BY oauth2_session_id`, idv(userID))
}

func (o sessionRepo) CountActiveForUser(ctx context.Context, userID domain.ID) (int, error) {
	var n int
	err := o.r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM oauth2_sessions WHERE user_id = $1 AND finished_at IS NULL`,
		idv(userID)).Scan(&n)
	return n, o.r.mapErr(err)
}

// RecordActivity never moves last_active_at backwards: activity is
// flushed in batches, possibly by several replicas, so an older sighting
// can arrive after a newer one. The IP follows the newest sighting that
// carried one.
func (o sessionRepo) RecordActivity(ctx context.Context, sessionID domain.ID, at time.Time, ip string) error {
	n, err := o.r.exec(ctx, `UPDATE oauth2_sessions SET
			last_active_at = CASE WHEN last_active_at IS NULL OR last_active_at < $2 THEN $2 ELSE last_active_at END,
			last_active_ip = CASE WHEN last_active_at IS NULL OR last_active_at <= $2 THEN COALESCE($3, last_active_ip) ELSE last_active_ip END
		WHERE oauth2_session_id = $1`, idv(sessionID), o.r.t(at), strp(ip))
	if err != nil {
		return fmt.Errorf("record activity of oauth2 session %s: %w", sessionID, err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
