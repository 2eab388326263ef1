package app

import (
	"context"

	"mas/internal/domain"
	"mas/internal/store"
)

// SetCanRequestAdmin allows or forbids the user to request admin
// privileges (the urn:synapse:admin:* scope), as `manage promote-admin`
// and `manage demote-admin` do. It takes effect at the user's next
// authorization.
func (a *App) SetCanRequestAdmin(ctx context.Context, username string, admin bool) (*domain.User, error) {
	var user *domain.User
	err := store.WithTx(ctx, a.Store, func(tx store.Tx) error {
		var err error
		if user, err = findUser(ctx, tx, username); err != nil {
			return err
		}
		user.CanRequestAdmin = admin
		return tx.Users().Update(ctx, user)
	})
	return user, err
}

// ListAdminUsers returns the users allowed to request admin, oldest first.
func (a *App) ListAdminUsers(ctx context.Context) ([]*domain.User, error) {
	return a.Store.Users().ListAdmins(ctx)
}
