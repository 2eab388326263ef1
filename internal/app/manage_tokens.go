package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// IssueRegistrationToken stores a user registration token: token (random
// if empty), usable usageLimit times (nil: unlimited), expiring after
// expiresIn (nil: never).
func (a *App) IssueRegistrationToken(ctx context.Context, token string, usageLimit *int, expiresIn *time.Duration) (*domain.RegistrationToken, error) {
	t := &domain.RegistrationToken{Token: token, UsageLimit: usageLimit}
	if expiresIn != nil {
		at := a.Clock.Now().Add(*expiresIn)
		t.ExpiresAt = &at
	}
	if err := store.AddRegistrationToken(ctx, a.Store.RegistrationTokens(), a.Rand, t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("registration token %q already exists", t.Token)
		}
		return nil, err
	}
	return t, nil
}

// provisionPage is how many users ProvisionAllUsers reads at a time.
const provisionPage = 1000

// ProvisionAllUsers schedules the provisioning of every user on the
// homeserver, in one transaction as upstream does, and returns how many
// jobs it scheduled.
func (a *App) ProvisionAllUsers(ctx context.Context) (int, error) {
	n := 0
	err := store.WithTx(ctx, a.Store, func(tx store.Tx) error {
		n = 0
		var after domain.ID
		for {
			users, err := tx.Users().ListPage(ctx, store.UserFilter{}, store.Page{After: after, Limit: provisionPage})
			if err != nil {
				return err
			}
			for _, u := range users {
				if err := tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: u.ID}); err != nil {
					return err
				}
				n++
			}
			if len(users) < provisionPage {
				return nil
			}
			after = users[len(users)-1].ID
		}
	})
	return n, err
}
