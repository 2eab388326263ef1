package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type clientAssertionRepo struct{ r repos }

func (r repos) ClientAssertions() store.ClientAssertionRepository { return clientAssertionRepo{r} }

// maxJTILength bounds what a client can make the database store per
// assertion; real identifiers are UUIDs or random strings of a few dozen
// characters.
const maxJTILength = 512

// Use inserts the (client, jti) pair. When the pair exists, the row is only
// taken over if the earlier assertion has expired: the WHERE clause of the
// upsert makes the replay check and the write a single statement, so the
// primary key settles races between replicas.
func (a clientAssertionRepo) Use(ctx context.Context, clientID domain.ID, jti string, expiresAt time.Time) error {
	if jti == "" {
		return errors.New("use client assertion: empty jti")
	}
	if len(jti) > maxJTILength {
		return fmt.Errorf("use client assertion: jti longer than %d bytes", maxJTILength)
	}
	now := a.r.now()
	n, err := a.r.exec(ctx, `INSERT INTO oauth2_client_assertions (oauth2_client_id, jti, expires_at, created_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (oauth2_client_id, jti) DO UPDATE SET
			expires_at = excluded.expires_at,
			created_at = excluded.created_at
		WHERE oauth2_client_assertions.expires_at < $4`,
		idv(clientID), jti, a.r.t(expiresAt), a.r.t(now))
	if err != nil {
		return fmt.Errorf("use client assertion of %s: %w", clientID, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: client assertion of %s already used", store.ErrConflict, clientID)
	}
	return nil
}

func (a clientAssertionRepo) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	n, err := a.r.exec(ctx, `DELETE FROM oauth2_client_assertions WHERE expires_at < $1`, a.r.t(before))
	if err != nil {
		return 0, fmt.Errorf("delete expired client assertions: %w", err)
	}
	return int(n), nil
}
