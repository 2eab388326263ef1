package sqlstore

import (
	"context"
	"fmt"

	"mas/internal/domain"
	"mas/internal/store"
)

func (k registrationTokenRepo) ListPage(ctx context.Context, f store.RegistrationTokenFilter, p store.Page) ([]*domain.RegistrationToken, error) {
	return listPage(ctx, k.r, scanRegistrationToken, registrationTokenColumns, "user_registration_tokens",
		"user_registration_token_id", k.conds(f), p)
}

func (k registrationTokenRepo) CountFiltered(ctx context.Context, f store.RegistrationTokenFilter) (int, error) {
	return countWhere(ctx, k.r, "user_registration_tokens", k.conds(f))
}

// registrationTokenValid is the condition Use checks, with the time in
// the placeholder.
const registrationTokenValid = `(revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $%d)
	AND (usage_limit IS NULL OR times_used < usage_limit))`

// conds turns a filter into conditions, judging expiry at the store's now.
func (k registrationTokenRepo) conds(f store.RegistrationTokenFilter) conds {
	var c conds
	now := k.r.t(k.r.now())
	c.either(f.Used, "times_used > 0", "times_used = 0")
	c.either(f.Revoked, "revoked_at IS NOT NULL", "revoked_at IS NULL")
	if f.Expired != nil {
		c.add(eitherCond(*f.Expired, "expires_at IS NOT NULL AND expires_at <= $%d", "(expires_at IS NULL OR expires_at > $%d)"), now)
	}
	if f.Valid != nil {
		c.add(eitherCond(*f.Valid, registrationTokenValid, "NOT "+registrationTokenValid), now)
	}
	return c
}

func (k registrationTokenRepo) UpdateLimits(ctx context.Context, t *domain.RegistrationToken) error {
	n, err := k.r.exec(ctx, `UPDATE user_registration_tokens SET expires_at = $2, usage_limit = $3
		WHERE user_registration_token_id = $1`, idv(t.ID), k.r.tp(t.ExpiresAt), usageLimitValue(t.UsageLimit))
	if err != nil {
		return fmt.Errorf("update registration token %s: %w", t.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("update registration token %s: %w", t.ID, store.ErrNotFound)
	}
	return nil
}

// Revoke sets revoked_at only where it is unset, so that two admins
// revoking at once cannot both succeed.
func (k registrationTokenRepo) Revoke(ctx context.Context, t *domain.RegistrationToken) error {
	now := k.r.now()
	if err := k.setRevoked(ctx, t.ID, `revoked_at = $2 WHERE user_registration_token_id = $1 AND revoked_at IS NULL`, k.r.t(now)); err != nil {
		return err
	}
	t.RevokedAt = &now
	return nil
}

func (k registrationTokenRepo) Unrevoke(ctx context.Context, t *domain.RegistrationToken) error {
	if err := k.setRevoked(ctx, t.ID, `revoked_at = NULL WHERE user_registration_token_id = $1 AND revoked_at IS NOT NULL`); err != nil {
		return err
	}
	t.RevokedAt = nil
	return nil
}

// setRevoked runs the conditional update; no row changed is ErrNotFound
// when the token does not exist and ErrConflict when it was already in
// the wanted state.
func (k registrationTokenRepo) setRevoked(ctx context.Context, tokenID domain.ID, set string, args ...any) error {
	n, err := k.r.exec(ctx, `UPDATE user_registration_tokens SET `+set, append([]any{idv(tokenID)}, args...)...)
	if err != nil {
		return fmt.Errorf("change revocation of registration token %s: %w", tokenID, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := k.Lookup(ctx, tokenID); err != nil {
		return fmt.Errorf("change revocation of registration token %s: %w", tokenID, err)
	}
	return fmt.Errorf("change revocation of registration token %s: %w", tokenID, store.ErrConflict)
}
