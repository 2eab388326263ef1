package app

import (
	"context"

	"mas/internal/domain"
	"mas/internal/store"
)

// SetPassword gives the user a new password, hashed with the newest
// scheme, as `manage set-password` does. Unless ignoreComplexity, a
// password below passwords.minimum_complexity is refused with upstream's
// "That password is too weak.".
func (a *App) SetPassword(ctx context.Context, username, password string, ignoreComplexity bool) (*domain.User, error) {
	pw := a.Passwords
	if pw == nil {
		return nil, ErrPasswordsDisabled
	}
	if !ignoreComplexity && !pw.ComplexEnough(password, []string{username}) {
		return nil, ErrWeakPassword
	}
	// Unknown users fail before the (deliberately slow) hash.
	if _, err := findUser(ctx, a.Store, username); err != nil {
		return nil, err
	}
	version, hash, err := pw.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	var user *domain.User
	err = store.WithTx(ctx, a.Store, func(tx store.Tx) error {
		if user, err = findUser(ctx, tx, username); err != nil {
			return err
		}
		_, err = tx.Passwords().Add(ctx, user.ID, hash, version, nil)
		return err
	})
	return user, err
}
