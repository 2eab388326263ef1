package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"mas/internal/domain"
	"mas/internal/store"
)

// ErrEmailInUse: the address belongs to another user (addresses are unique
// case-insensitively), so it cannot be given to this one.
var ErrEmailInUse = errors.New("Email address is already in use by another user")

// AddedEmail is what AddUserEmail did.
type AddedEmail struct {
	User  *domain.User
	Email *domain.UserEmail
	// Existed is true when the user already had the address.
	Existed bool
}

// AddUserEmail makes email a confirmed address of the user, as `manage
// add-email` and `manage verify-email` do, and provisions the user so that
// the homeserver learns it. An address the user already has is kept (and
// provisioned again); one another user has is refused without changes.
func (a *App) AddUserEmail(ctx context.Context, username, email string) (*AddedEmail, error) {
	email = strings.TrimSpace(email)
	if !domain.IsMailableAddress(email) {
		return nil, fmt.Errorf("invalid email address %q", email)
	}
	var res AddedEmail
	err := store.WithTx(ctx, a.Store, func(tx store.Tx) error {
		res = AddedEmail{}
		user, err := findUser(ctx, tx, username)
		if err != nil {
			return err
		}
		res.User = user
		existing, err := tx.UserEmails().FindByEmail(ctx, email)
		switch {
		case err == nil && existing.UserID != user.ID:
			return fmt.Errorf("%w: %s", ErrEmailInUse, email)
		case err == nil:
			res.Email, res.Existed = existing, true
		case errors.Is(err, store.ErrNotFound):
			if res.Email, err = tx.UserEmails().Add(ctx, user.ID, email); errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%w: %s", ErrEmailInUse, email)
			} else if err != nil {
				return err
			}
		default:
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: user.ID})
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}
