package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"mas/internal/domain"
	"mas/internal/store"
)

type registrationTokenRepo struct{ r repos }

func (r repos) RegistrationTokens() store.RegistrationTokenRepository {
	return registrationTokenRepo{r}
}

const registrationTokenColumns = `user_registration_token_id, token, usage_limit, times_used, created_at,
	last_used_at, expires_at, revoked_at`

func scanRegistrationToken(row interface{ Scan(...any) error }) (*domain.RegistrationToken, error) {
	t := &domain.RegistrationToken{}
	var limit sql.NullInt64
	err := row.Scan(id(&t.ID), &t.Token, &limit, &t.TimesUsed, ts(&t.CreatedAt), tsn(&t.LastUsedAt),
		tsn(&t.ExpiresAt), tsn(&t.RevokedAt))
	if limit.Valid {
		n := int(limit.Int64)
		t.UsageLimit = &n
	}
	return t, err
}

// usageLimitValue binds an optional limit; nil (unlimited) becomes NULL.
func usageLimitValue(limit *int) any {
	if limit == nil {
		return nil
	}
	return *limit
}

func (k registrationTokenRepo) Add(ctx context.Context, t *domain.RegistrationToken) error {
	now := k.r.now()
	tokenID := k.r.newID(now)
	_, err := k.r.exec(ctx, `INSERT INTO user_registration_tokens (`+registrationTokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		idv(tokenID), t.Token, usageLimitValue(t.UsageLimit), t.TimesUsed, k.r.t(now), k.r.tp(t.LastUsedAt),
		k.r.tp(t.ExpiresAt), k.r.tp(t.RevokedAt))
	if err != nil {
		return fmt.Errorf("add registration token: %w", err)
	}
	t.ID, t.CreatedAt = tokenID, now
	return nil
}

func (k registrationTokenRepo) Lookup(ctx context.Context, tokenID domain.ID) (*domain.RegistrationToken, error) {
	return queryOne(ctx, k.r, scanRegistrationToken, `SELECT `+registrationTokenColumns+`
		FROM user_registration_tokens WHERE user_registration_token_id = $1`, idv(tokenID))
}

func (k registrationTokenRepo) FindByToken(ctx context.Context, token string) (*domain.RegistrationToken, error) {
	return queryOne(ctx, k.r, scanRegistrationToken, `SELECT `+registrationTokenColumns+`
		FROM user_registration_tokens WHERE token = $1`, token)
}

// Use re-checks validity in the UPDATE itself rather than trusting t: the
// counter is incremented by the database, so concurrent users of a token
// with one use left serialise on the row and only the first one matches.
// On success t.TimesUsed is the stored count, which may be higher than the
// caller's copy knew; on failure t is unchanged.
func (k registrationTokenRepo) Use(ctx context.Context, t *domain.RegistrationToken) error {
	now := k.r.now()
	next := *t
	if err := next.Use(now); err != nil {
		return err
	}
	err := k.r.q.QueryRowContext(ctx, `UPDATE user_registration_tokens
		SET times_used = times_used + 1, last_used_at = $2
		WHERE user_registration_token_id = $1
			AND revoked_at IS NULL
			AND (expires_at IS NULL OR expires_at > $2)
			AND (usage_limit IS NULL OR times_used < usage_limit)
		RETURNING times_used`, idv(t.ID), k.r.t(now)).Scan(&next.TimesUsed)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: registration token %s is no longer valid", store.ErrConflict, t.ID)
	}
	if err != nil {
		return fmt.Errorf("use registration token %s: %w", t.ID, k.r.mapErr(err))
	}
	*t = next
	return nil
}

func (k registrationTokenRepo) Update(ctx context.Context, t *domain.RegistrationToken) error {
	n, err := k.r.exec(ctx, `UPDATE user_registration_tokens SET expires_at = $2, usage_limit = $3, revoked_at = $4
		WHERE user_registration_token_id = $1`,
		idv(t.ID), k.r.tp(t.ExpiresAt), usageLimitValue(t.UsageLimit), k.r.tp(t.RevokedAt))
	if err != nil {
		return fmt.Errorf("update registration token %s: %w", t.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("update registration token %s: %w", t.ID, store.ErrNotFound)
	}
	return nil
}
