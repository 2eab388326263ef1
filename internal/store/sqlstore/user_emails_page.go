package sqlstore

import (
	"context"

	"mas/internal/domain"
	"mas/internal/store"
)

func (e userEmailRepo) ListPage(ctx context.Context, f store.UserEmailFilter, p store.Page) ([]*domain.UserEmail, error) {
	return listPage(ctx, e.r, scanUserEmail, userEmailColumns, "user_emails", "user_email_id", userEmailConds(f), p)
}

func (e userEmailRepo) CountFiltered(ctx context.Context, f store.UserEmailFilter) (int, error) {
	return countWhere(ctx, e.r, "user_emails", userEmailConds(f))
}

func userEmailConds(f store.UserEmailFilter) conds {
	var c conds
	c.id("user_id", f.UserID)
	if f.Email != "" {
		c.add("lower(email) = lower($%d)", f.Email)
	}
	return c
}
