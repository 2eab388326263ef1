package sqlstore

import (
	"context"

	"mas/internal/domain"
)

func (u userRepo) ListAfter(ctx context.Context, after domain.ID, limit int) ([]*domain.User, error) {
	return queryAll(ctx, u.r, scanUser,
		`SELECT `+userColumns+` FROM users WHERE user_id > $1 ORDER BY user_id LIMIT $2`, idv(after), limit)
}
