package sqlstore

import (
	"context"

	"mas/internal/domain"
	"mas/internal/store"
)

func (u userRepo) ListPage(ctx context.Context, f store.UserFilter, p store.Page) ([]*domain.User, error) {
	return listPage(ctx, u.r, scanUser, userColumns, "users", "user_id", userConds(f), p)
}

func (u userRepo) CountFiltered(ctx context.Context, f store.UserFilter) (int, error) {
	return countWhere(ctx, u.r, "users", userConds(f))
}

// userConds turns a filter into conditions.
func userConds(f store.UserFilter) conds {
	var c conds
	if f.Admin != nil {
		c.add("can_request_admin = $%d", *f.Admin)
	}
	if f.LegacyGuest != nil {
		c.add("is_guest = $%d", *f.LegacyGuest)
	}
	switch f.Status {
	case store.UserStatusActive:
		c.raw("locked_at IS NULL AND deactivated_at IS NULL")
	case store.UserStatusLocked:
		c.raw("(locked_at IS NOT NULL OR deactivated_at IS NOT NULL)")
	case store.UserStatusDeactivated:
		c.raw("deactivated_at IS NOT NULL")
	}
	if f.Search != "" {
		c.add(`LOWER(username) LIKE $%d ESCAPE '\'`, contains(f.Search))
	}
	if len(f.ActiveOAuth2Clients) > 0 {
		c.raw(activeSessionOf("oauth2_sessions", true) + " AND s.oauth2_client_id IN (" + c.ids(f.ActiveOAuth2Clients) + "))")
	}
	if f.HasActiveOAuth2Session != nil {
		c.raw(activeSessionOf("oauth2_sessions", *f.HasActiveOAuth2Session) + ")")
	}
	if f.HasActiveCompatSession != nil {
		c.raw(activeSessionOf("compat_sessions", *f.HasActiveCompatSession) + ")")
	}
	return c
}

// activeSessionOf opens "[NOT] EXISTS (an unfinished session in table of
// the user": the caller may add conditions on s, then closes it.
func activeSessionOf(table string, exists bool) string {
	not := "NOT "
	if exists {
		not = ""
	}
	return not + "EXISTS (SELECT 1 FROM " + table + " s WHERE s.user_id = users.user_id AND s.finished_at IS NULL"
}
