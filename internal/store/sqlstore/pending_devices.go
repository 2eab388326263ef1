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
