package sqlstore

import (
	"context"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type browserSessionRepo struct{ r repos }

func (r repos) BrowserSessions() store.BrowserSessionRepository { return browserSessionRepo{r} }

const browserSessionColumns = `user_session_id, user_id, created_at, finished_at, user_agent, last_active_at, last_active_ip`

func scanBrowserSession(row interface{ Scan(...any) error }) (*domain.BrowserSession, error) {
	s := &domain.BrowserSession{}
	err := row.Scan(id(&s.ID), id(&s.UserID), ts(&s.CreatedAt), tsn(&s.FinishedAt), strn(&s.UserAgent),
		tsn(&s.LastActiveAt), strn(&s.LastActiveIP))
	return s, err
}

func (b browserSessionRepo) Add(ctx context.Context, userID domain.ID, userAgent string) (*domain.BrowserSession, error) {
	now := b.r.now()
	s := &domain.BrowserSession{ID: b.r.newID(now), UserID: userID, CreatedAt: now, UserAgent: userAgent}
	_, err := b.r.exec(ctx, `INSERT INTO user_sessions (user_session_id, user_id, created_at, user_agent) VALUES ($1, $2, $3, $4)`,
		idv(s.ID), idv(userID), b.r.t(now), strp(userAgent))
	if err != nil {
		return nil, fmt.Errorf("add browser session: %w", err)
	}
	return s, nil
}

func (b browserSessionRepo) Lookup(ctx context.Context, sessionID domain.ID) (*domain.BrowserSession, error) {
	return queryOne(ctx, b.r, scanBrowserSession, `SELECT `+browserSessionColumns+` FROM user_sessions WHERE user_session_id = $1`, idv(sessionID))
}

// browserSessionWithUser selects a session and its user; the token
// request's form adds the time of the session's newest authentication,
// which MAX reads off the index on (user_session_id, created_at).
const browserSessionWithUserFrom = `
	FROM user_sessions s JOIN users u ON u.user_id = s.user_id
	WHERE s.user_session_id = $1`

var (
	browserSessionWithUserQuery = `SELECT ` + qualify("s", browserSessionColumns) + `, ` + qualify("u", userColumns) +
		browserSessionWithUserFrom
	browserSessionForTokenQuery = `SELECT ` + browserSessionForTokenColumns + browserSessionWithUserFrom
	// browserSessionForTokenColumns are the session s, its user u and the
	// newest authentication's time.
	browserSessionForTokenColumns = qualify("s", browserSessionColumns) + `, ` + qualify("u", userColumns) + `,
	(SELECT MAX(a.created_at) FROM user_session_authentications a WHERE a.user_session_id = s.user_session_id)`
)

func (b browserSessionRepo) LookupWithUser(ctx context.Context, sessionID domain.ID) (*domain.BrowserSession, *domain.User, error) {
	return b.lookupWithUser(ctx, browserSessionWithUserQuery, sessionID)
}

func (b browserSessionRepo) LookupForToken(ctx context.Context, sessionID domain.ID) (*domain.BrowserSession, *domain.User, *time.Time, error) {
	var authTime *time.Time
	s, u, err := b.lookupWithUser(ctx, browserSessionForTokenQuery, sessionID, tsn(&authTime))
	if err != nil {
		return nil, nil, nil, err
	}
	return s, u, authTime, nil
}

// lookupWithUser runs one of the queries above; extra scans the columns
// that follow the session's and the user's.
func (b browserSessionRepo) lookupWithUser(ctx context.Context, query string, sessionID domain.ID, extra ...any) (*domain.BrowserSession, *domain.User, error) {
	var c targets
	s, _ := scanBrowserSession(&c)
	u, _ := scanUser(&c)
	if err := b.r.q.QueryRowContext(ctx, query, idv(sessionID)).Scan(append(c.dst, extra...)...); err != nil {
		return nil, nil, b.r.mapErr(err)
	}
	return s, u, nil
}

func (b browserSessionRepo) Finish(ctx context.Context, s *domain.BrowserSession) error {
	if err := s.Finish(b.r.now()); err != nil {
		return err
	}
	return b.r.transition(ctx, "browser session", `UPDATE user_sessions SET finished_at = $2
		WHERE user_session_id = $1 AND finished_at IS NULL`, idv(s.ID), b.r.tp(s.FinishedAt))
}

func (b browserSessionRepo) FinishAllForUser(ctx context.Context, userID domain.ID) (int, error) {
	n, err := b.r.exec(ctx, `UPDATE user_sessions SET finished_at = $2 WHERE user_id = $1 AND finished_at IS NULL`,
		idv(userID), b.r.t(b.r.now()))
	return int(n), err
}

func (b browserSessionRepo) ListActiveForUser(ctx context.Context, userID domain.ID) ([]*domain.BrowserSession, error) {
	return queryAll(ctx, b.r, scanBrowserSession, `SELECT `+browserSessionColumns+` FROM user_sessions
		WHERE user_id = $1 AND finished_at IS NULL ORDER BY user_session_id`, idv(userID))
}

func (b browserSessionRepo) RecordActivity(ctx context.Context, sessionID domain.ID, at time.Time, ip string) error {
	_, err := b.r.exec(ctx, `UPDATE user_sessions SET last_active_at = $2, last_active_ip = $3 WHERE user_session_id = $1`,
		idv(sessionID), b.r.t(at), strp(ip))
	return err
}
