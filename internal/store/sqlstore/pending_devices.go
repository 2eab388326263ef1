package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type pendingDeviceRepo struct{ r repos }

func (r repos) PendingDevices() store.PendingDeviceRepository { return pendingDeviceRepo{r} }

// Add is one upsert whose WHERE clause only ever moves the expiry later,
// so that two logins marking the same device cannot shorten each other's
// protection whatever order their writes land in.
func (p pendingDeviceRepo) Add(ctx context.Context, userID domain.ID, deviceID string, expiresAt time.Time) error {
	if deviceID == "" {
		return errors.New("add pending device: empty device ID")
	}
	now := p.r.now()
	_, err := p.r.exec(ctx, `INSERT INTO user_pending_devices (user_id, device_id, expires_at, created_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, device_id) DO UPDATE SET
			expires_at = excluded.expires_at,
			created_at = excluded.created_at
		WHERE user_pending_devices.expires_at < excluded.expires_at`,
		idv(userID), deviceID, p.r.t(expiresAt), p.r.t(now))
	if err != nil {
		return fmt.Errorf("add pending device %s of %s: %w", deviceID, userID, err)
	}
	return nil
}

func (p pendingDeviceRepo) Remove(ctx context.Context, userID domain.ID, deviceID string) error {
	_, err := p.r.exec(ctx, `DELETE FROM user_pending_devices WHERE user_id = $1 AND device_id = $2`,
		idv(userID), deviceID)
	if err != nil {
		return fmt.Errorf("remove pending device %s of %s: %w", deviceID, userID, err)
	}
	return nil
}

func (p pendingDeviceRepo) ListActive(ctx context.Context, userID domain.ID, now time.Time) ([]string, error) {
	rows, err := p.r.q.QueryContext(ctx, `SELECT device_id FROM user_pending_devices
		WHERE user_id = $1 AND expires_at >= $2`, idv(userID), p.r.t(now))
	if err != nil {
		return nil, fmt.Errorf("list pending devices of %s: %w", userID, p.r.mapErr(err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("list pending devices of %s: %w", userID, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pending devices of %s: %w", userID, err)
	}
	// Sorted here rather than by the database, whose text ordering
	// depends on the PostgreSQL collation.
	slices.Sort(out)
	return out, nil
}

func (p pendingDeviceRepo) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	n, err := p.r.exec(ctx, `DELETE FROM user_pending_devices WHERE expires_at < $1`, p.r.t(before))
	if err != nil {
		return 0, fmt.Errorf("delete expired pending devices: %w", err)
	}
	return int(n), nil
}

// The lease calls are single upserts or updates of the user's one lease
// row, conditional on the row's state: atomic on both backends, so two
// takers can never both see the lease free.

func (p pendingDeviceRepo) AcquireLoginLease(ctx context.Context, userID domain.ID, now, expiresAt time.Time) (bool, error) {
	// Shares whose expiry passed belong to logins that died: counting
	// starts again from this one.
	n, err := p.r.exec(ctx, `INSERT INTO user_device_leases (user_id, logins, logins_expire_at) VALUES ($1, 1, $2)
		ON CONFLICT (user_id) DO UPDATE SET
			logins = CASE WHEN user_device_leases.logins_expire_at IS NULL OR user_device_leases.logins_expire_at < $3
				THEN 1 ELSE user_device_leases.logins + 1 END,
			logins_expire_at = $2
		WHERE user_device_leases.sync_expires_at IS NULL OR user_device_leases.sync_expires_at < $3`,
		idv(userID), p.r.t(expiresAt), p.r.t(now))
	if err != nil {
		return false, fmt.Errorf("acquire login device lease of %s: %w", userID, err)
	}
	return n == 1, nil
}

func (p pendingDeviceRepo) ReleaseLoginLease(ctx context.Context, userID domain.ID) error {
	_, err := p.r.exec(ctx, `UPDATE user_device_leases SET logins = logins - 1 WHERE user_id = $1 AND logins > 0`, idv(userID))
	if err != nil {
		return fmt.Errorf("release login device lease of %s: %w", userID, err)
	}
	return nil
}

func (p pendingDeviceRepo) AcquireSyncLease(ctx context.Context, userID domain.ID, holder string, now, expiresAt time.Time) (bool, error) {
	if holder == "" {
		return false, errors.New("acquire sync device lease: empty holder")
	}
	n, err := p.r.exec(ctx, `INSERT INTO user_device_leases (user_id, sync_holder, sync_expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET sync_holder = excluded.sync_holder, sync_expires_at = excluded.sync_expires_at
		WHERE (user_device_leases.sync_expires_at IS NULL OR user_device_leases.sync_expires_at < $4)
			AND (user_device_leases.logins = 0 OR user_device_leases.logins_expire_at < $4)`,
		idv(userID), holder, p.r.t(expiresAt), p.r.t(now))
	if err != nil {
		return false, fmt.Errorf("acquire sync device lease of %s: %w", userID, err)
	}
	return n == 1, nil
}

func (p pendingDeviceRepo) ReleaseSyncLease(ctx context.Context, userID domain.ID, holder string) error {
	_, err := p.r.exec(ctx, `UPDATE user_device_leases SET sync_holder = NULL, sync_expires_at = NULL
		WHERE user_id = $1 AND sync_holder = $2`, idv(userID), holder)
	if err != nil {
		return fmt.Errorf("release sync device lease of %s: %w", userID, err)
	}
	return nil
}
