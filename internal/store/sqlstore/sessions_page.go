package sqlstore

import (
	"context"

	"mas/internal/domain"
	"mas/internal/store"
)

func (b browserSessionRepo) ListPage(ctx context.Context, f store.BrowserSessionFilter, p store.Page) ([]*domain.BrowserSession, error) {
	return listPage(ctx, b.r, scanBrowserSession, browserSessionColumns, "user_sessions", "user_session_id", browserSessionConds(b.r, f), p)
}

func (b browserSessionRepo) CountFiltered(ctx context.Context, f store.BrowserSessionFilter) (int, error) {
	return countWhere(ctx, b.r, "user_sessions", browserSessionConds(b.r, f))
}

func browserSessionConds(r repos, f store.BrowserSessionFilter) conds {
	var c conds
	c.id("user_id", f.UserID)
	sessionConds(r, &c, f.Status, f.SessionTimes)
	return c
}

// compatEntryColumns adds the redirect URI of the SSO login the session
// came from (the table is aliased s).
const compatEntryColumns = compatSessionColumns + `, (SELECT l.redirect_uri FROM compat_sso_logins l
	WHERE l.compat_session_id = s.compat_session_id ORDER BY l.compat_sso_login_id LIMIT 1)`

func scanCompatEntry(row interface{ Scan(...any) error }) (*store.CompatSessionEntry, error) {
	s := &domain.CompatSession{}
	e := &store.CompatSessionEntry{CompatSession: s}
	err := row.Scan(id(&s.ID), id(&s.UserID), strn(&s.DeviceID), idn(&s.BrowserSessionID), boolean(&s.IsSynapseAdmin),
		ts(&s.CreatedAt), tsn(&s.FinishedAt), strn(&s.UserAgent), tsn(&s.LastActiveAt), strn(&s.LastActiveIP),
		strn(&s.HumanName), strn(&e.RedirectURI))
	return e, err
}

func (c compatSessionRepo) LookupEntry(ctx context.Context, sessionID domain.ID) (*store.CompatSessionEntry, error) {
	return queryOne(ctx, c.r, scanCompatEntry, `SELECT `+compatEntryColumns+` FROM compat_sessions s
		WHERE compat_session_id = $1`, idv(sessionID))
}

func (c compatSessionRepo) ListPage(ctx context.Context, f store.CompatSessionFilter, p store.Page) ([]*store.CompatSessionEntry, error) {
	return listPage(ctx, c.r, scanCompatEntry, compatEntryColumns, "compat_sessions s", "compat_session_id", compatSessionConds(c.r, f), p)
}

func (c compatSessionRepo) CountFiltered(ctx context.Context, f store.CompatSessionFilter) (int, error) {
	return countWhere(ctx, c.r, "compat_sessions", compatSessionConds(c.r, f))
}

func compatSessionConds(r repos, f store.CompatSessionFilter) conds {
	var c conds
	c.id("user_id", f.UserID)
	c.id("user_session_id", f.BrowserSessionID)
	sessionConds(r, &c, f.Status, f.SessionTimes)
	return c
}

func (s sessionRepo) ListPage(ctx context.Context, f store.OAuth2SessionFilter, p store.Page) ([]*domain.Session, error) {
	return listPage(ctx, s.r, scanSession, sessionColumns, "oauth2_sessions", "oauth2_session_id", oauth2SessionConds(s.r, f), p)
}

func (s sessionRepo) CountFiltered(ctx context.Context, f store.OAuth2SessionFilter) (int, error) {
	return countWhere(ctx, s.r, "oauth2_sessions", oauth2SessionConds(s.r, f))
}

func oauth2SessionConds(r repos, f store.OAuth2SessionFilter) conds {
	var c conds
	c.id("user_id", f.UserID)
	if len(f.ClientIDs) > 0 {
		c.raw("oauth2_client_id IN (" + c.ids(f.ClientIDs) + ")")
	}
	if f.StaticClient != nil {
		c.add("oauth2_client_id IN (SELECT oauth2_client_id FROM oauth2_clients WHERE is_static = $%d)", *f.StaticClient)
	}
	c.id("user_session_id", f.BrowserSessionID)
	c.scopeHasAll(r, f.Scope)
	sessionConds(r, &c, f.Status, f.SessionTimes)
	return c
}

// sessionConds adds the status and time bounds every session kind shares
// (the columns have the same names in the three tables).
func sessionConds(r repos, c *conds, status string, t store.SessionTimes) {
	switch status {
	case store.SessionStatusActive:
		c.raw("finished_at IS NULL")
	case store.SessionStatusFinished:
		c.raw("finished_at IS NOT NULL")
	}
	if t.CreatedBefore != nil {
		c.add("created_at < $%d", r.t(*t.CreatedBefore))
	}
	if t.CreatedAfter != nil {
		c.add("created_at > $%d", r.t(*t.CreatedAfter))
	}
	if t.LastActiveBefore != nil {
		c.add("last_active_at < $%d", r.t(*t.LastActiveBefore))
	}
	if t.LastActiveAfter != nil {
		c.add("last_active_at > $%d", r.t(*t.LastActiveAfter))
	}
}
