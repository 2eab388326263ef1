package sqlstore

import (
	"context"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// The housekeeping methods of the repositories (rules in
// store/housekeeping.go). Every batch picks its rows with an indexed,
// limited subquery (indexes in migration 0009) and deletes or updates
// them in the same statement.

// batch runs one limited DELETE or UPDATE and says how many rows it hit.
func (r repos) batch(ctx context.Context, what, query string, args ...any) (int, error) {
	n, err := r.exec(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return int(n), nil
}

// sessionTable is a table of sessions with finished_at and last_active_*
// columns: the three kinds share their finished and IP clean-ups. The
// names are constants, so every query is still fixed text.
type sessionTable struct{ what, table, id string }

var (
	compatSessionTable  = sessionTable{"compat sessions", "compat_sessions", "compat_session_id"}
	oauth2SessionTable  = sessionTable{"oauth2 sessions", "oauth2_sessions", "oauth2_session_id"}
	browserSessionTable = sessionTable{"browser sessions", "user_sessions", "user_session_id"}
)

func (r repos) deleteFinished(ctx context.Context, t sessionTable, before time.Time, limit int) (int, error) {
	return r.batch(ctx, "delete finished "+t.what, `DELETE FROM `+t.table+` WHERE `+t.id+` IN (
		SELECT `+t.id+` FROM `+t.table+` WHERE finished_at < $1 ORDER BY finished_at LIMIT $2)`,
		r.t(before), limit)
}

func (r repos) forgetIPs(ctx context.Context, t sessionTable, before time.Time, limit int) (int, error) {
	return r.batch(ctx, "forget IPs of inactive "+t.what, `UPDATE `+t.table+` SET last_active_ip = NULL
		WHERE `+t.id+` IN (SELECT `+t.id+` FROM `+t.table+`
			WHERE last_active_ip IS NOT NULL AND last_active_at < $1 LIMIT $2)`,
		r.t(before), limit)
}

// Compat sessions. Their tokens go with them (ON DELETE CASCADE); SSO
// logins keep existing without them.

func (c compatSessionRepo) DeleteFinishedBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return c.r.deleteFinished(ctx, compatSessionTable, before, limit)
}

func (c compatSessionRepo) ForgetIPsInactiveBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return c.r.forgetIPs(ctx, compatSessionTable, before, limit)
}

func (c compatSessionRepo) ListInactive(ctx context.Context, before time.Time, limit int) ([]*domain.CompatSession, error) {
	return queryAll(ctx, c.r, scanCompatSession, `SELECT `+compatSessionColumns+` FROM compat_sessions
		WHERE finished_at IS NULL AND COALESCE(last_active_at, created_at) < $1
		ORDER BY COALESCE(last_active_at, created_at) LIMIT $2`, c.r.t(before), limit)
}

// OAuth 2.0 sessions. Their tokens go with them; grants keep existing
// without them.

func (o sessionRepo) DeleteFinishedBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return o.r.deleteFinished(ctx, oauth2SessionTable, before, limit)
}

func (o sessionRepo) ForgetIPsInactiveBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return o.r.forgetIPs(ctx, oauth2SessionTable, before, limit)
}

// ListInactive leaves out client-credentials sessions (no user) and the
// sessions of clients from the configuration, as upstream's expiry does.
func (o sessionRepo) ListInactive(ctx context.Context, before time.Time, limit int) ([]*domain.Session, error) {
	return queryAll(ctx, o.r, scanSession, `SELECT `+sessionColumns+` FROM oauth2_sessions s
		WHERE s.finished_at IS NULL AND COALESCE(s.last_active_at, s.created_at) < $1 AND s.user_id IS NOT NULL
			AND EXISTS (SELECT 1 FROM oauth2_clients c WHERE c.oauth2_client_id = s.oauth2_client_id AND NOT c.is_static)
		ORDER BY COALESCE(s.last_active_at, s.created_at) LIMIT $2`, o.r.t(before), limit)
}

// Browser sessions. A finished one that an OAuth 2.0 or compat session
// started from stays while that session exists (as upstream), keeping the
// record of how the user logged in to it; it is skipped, and the position
// lets the next batch start past it instead of reading it again (a row
// comparison, which both backends turn into a range of the index).

func (b browserSessionRepo) DeleteFinishedBefore(ctx context.Context, before time.Time, after store.CleanupPosition, limit int) (int, store.CleanupPosition, error) {
	rows, err := b.r.q.QueryContext(ctx, `DELETE FROM user_sessions WHERE user_session_id IN (
			SELECT s.user_session_id FROM user_sessions s
			WHERE s.finished_at < $1 AND (s.finished_at, s.user_session_id) > ($2, $3)
				AND NOT EXISTS (SELECT 1 FROM oauth2_sessions o WHERE o.user_session_id = s.user_session_id)
				AND NOT EXISTS (SELECT 1 FROM compat_sessions c WHERE c.user_session_id = s.user_session_id)
			ORDER BY s.finished_at, s.user_session_id LIMIT $4)
		RETURNING finished_at, user_session_id`,
		b.r.t(before), b.r.t(after.At), idv(after.ID), limit)
	if err != nil {
		return 0, after, fmt.Errorf("delete finished browser sessions: %w", b.r.mapErr(err))
	}
	defer rows.Close()
	n, last := 0, after
	for rows.Next() {
		var p store.CleanupPosition
		if err := rows.Scan(ts(&p.At), id(&p.ID)); err != nil {
			return 0, after, fmt.Errorf("delete finished browser sessions: %w", err)
		}
		n++
		if p.At.After(last.At) || (p.At.Equal(last.At) && p.ID.Compare(last.ID) > 0) {
			last = p
		}
	}
	if err := rows.Err(); err != nil {
		return 0, after, fmt.Errorf("delete finished browser sessions: %w", b.r.mapErr(err))
	}
	return n, last, nil
}

func (b browserSessionRepo) ForgetIPsInactiveBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return b.r.forgetIPs(ctx, browserSessionTable, before, limit)
}

func (b browserSessionRepo) ListInactive(ctx context.Context, before time.Time, limit int) ([]*domain.BrowserSession, error) {
	return queryAll(ctx, b.r, scanBrowserSession, `SELECT `+browserSessionColumns+` FROM user_sessions
		WHERE finished_at IS NULL AND COALESCE(last_active_at, created_at) < $1
		ORDER BY COALESCE(last_active_at, created_at) LIMIT $2`, b.r.t(before), limit)
}

// Registration and recovery flows. A registration takes its email
// verifications with it; a recovery session its tickets; an email
// verification its codes.

func (g registrationRepo) DeleteCreatedBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return g.r.batch(ctx, "delete old registrations", `DELETE FROM user_registrations WHERE user_registration_id IN (
		SELECT user_registration_id FROM user_registrations WHERE created_at < $1 ORDER BY created_at LIMIT $2)`,
		g.r.t(before), limit)
}

func (e emailAuthenticationRepo) DeleteCreatedBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return e.r.batch(ctx, "delete old email authentications", `DELETE FROM user_email_authentications
		WHERE user_email_authentication_id IN (SELECT user_email_authentication_id FROM user_email_authentications
			WHERE created_at < $1 ORDER BY created_at LIMIT $2)`,
		e.r.t(before), limit)
}

func (c recoveryRepo) DeleteSessionsCreatedBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return c.r.batch(ctx, "delete old recovery sessions", `DELETE FROM user_recovery_sessions WHERE user_recovery_session_id IN (
		SELECT user_recovery_session_id FROM user_recovery_sessions WHERE created_at < $1 ORDER BY created_at LIMIT $2)`,
		c.r.t(before), limit)
}

// Upstream logins and links that never came to anything: attempts that
// never became a browser session, links never associated with a user.

func (u upstreamSessionRepo) DeleteOrphansCreatedBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return u.r.batch(ctx, "delete orphaned upstream sessions", `DELETE FROM upstream_oauth_authorization_sessions
		WHERE upstream_oauth_authorization_session_id IN (SELECT upstream_oauth_authorization_session_id
			FROM upstream_oauth_authorization_sessions WHERE user_session_id IS NULL AND created_at < $1 LIMIT $2)`,
		u.r.t(before), limit)
}

func (u upstreamSessionRepo) DeletePendingCreatedBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return u.r.batch(ctx, "delete unused upstream sessions", `DELETE FROM upstream_oauth_authorization_sessions
		WHERE upstream_oauth_authorization_session_id IN (SELECT upstream_oauth_authorization_session_id
			FROM upstream_oauth_authorization_sessions WHERE completed_at IS NULL AND created_at < $1 LIMIT $2)`,
		u.r.t(before), limit)
}

func (u upstreamLinkRepo) DeleteOrphansCreatedBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return u.r.batch(ctx, "delete orphaned upstream links", `DELETE FROM upstream_oauth_links WHERE upstream_oauth_link_id IN (
		SELECT upstream_oauth_link_id FROM upstream_oauth_links WHERE user_id IS NULL AND created_at < $1 LIMIT $2)`,
		u.r.t(before), limit)
}
