package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"mas/internal/domain"
	"mas/internal/store"
)

func (u userRepo) ListPage(ctx context.Context, f store.UserFilter, p store.Page) ([]*domain.User, error) {
	where, args := userFilterWhere(f)
	if p.After != domain.ZeroID {
		args = append(args, idv(p.After))
		where = append(where, fmt.Sprintf("user_id > $%d", len(args)))
	}
	if p.Before != domain.ZeroID {
		args = append(args, idv(p.Before))
		where = append(where, fmt.Sprintf("user_id < $%d", len(args)))
	}
	order := "user_id"
	if p.Backward {
		order = "user_id DESC"
	}
	args = append(args, p.Limit)
	q := fmt.Sprintf(`SELECT `+userColumns+` FROM users%s ORDER BY %s LIMIT $%d`, whereClause(where), order, len(args))
	return queryAll(ctx, u.r, scanUser, q, args...)
}

func (u userRepo) CountFiltered(ctx context.Context, f store.UserFilter) (int, error) {
	where, args := userFilterWhere(f)
	var n int
	err := u.r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`+whereClause(where), args...).Scan(&n)
	return n, u.r.mapErr(err)
}

// userFilterWhere turns a filter into conditions with numbered arguments.
func userFilterWhere(f store.UserFilter) (where []string, args []any) {
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Admin != nil {
		add("can_request_admin = $%d", *f.Admin)
	}
	if f.LegacyGuest != nil {
		add("is_guest = $%d", *f.LegacyGuest)
	}
	switch f.Status {
	case store.UserStatusActive:
		where = append(where, "locked_at IS NULL AND deactivated_at IS NULL")
	case store.UserStatusLocked:
		where = append(where, "(locked_at IS NOT NULL OR deactivated_at IS NOT NULL)")
	case store.UserStatusDeactivated:
		where = append(where, "deactivated_at IS NOT NULL")
	}
	if f.Search != "" {
		add(`LOWER(username) LIKE $%d ESCAPE '\'`, "%"+likeEscaper.Replace(strings.ToLower(f.Search))+"%")
	}
	return where, args
}

// likeEscaper makes a search string match literally inside LIKE.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func whereClause(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(where, " AND ")
}
