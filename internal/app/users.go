package app

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"mas/internal/domain"
	"mas/internal/store"
)

// RegisterUserRequest is what `mas-cli manage register-user` asks for.
type RegisterUserRequest struct {
	Username    string
	Password    string // empty: no password
	Emails      []string
	DisplayName string
	Admin       bool
	// UpstreamLinks are (provider ULID, subject) pairs.
	UpstreamLinks []UpstreamLink
	// IgnorePasswordComplexity skips the zxcvbn check.
	IgnorePasswordComplexity bool
}

// UpstreamLink links the new user to an account at an upstream provider.
type UpstreamLink struct {
	ProviderID domain.ID
	Subject    string
}

// Errors with upstream's wording, so scripts that match them keep working.
var (
	ErrEmptyUsername       = errors.New("Username cannot be empty")
	ErrUserExists          = errors.New("User already exists")
	ErrUsernameUnavailable = errors.New("Username not available on homeserver")
	ErrWeakPassword        = errors.New("That password is too weak.")
	ErrPasswordsDisabled   = errors.New("password authentication is disabled (passwords.enabled: false)")
)

// validLocalpart is the Matrix localpart grammar (lower case).
var validLocalpart = regexp.MustCompile(`^[a-z0-9._=/+-]+$`)

// RegisterUser creates a user the way an operator does from the command
// line: policies are not applied, but the localpart must be valid and free
// both here and on the homeserver. The user, its password, emails, links
// and the provisioning job are written in one transaction.
func (a *App) RegisterUser(ctx context.Context, req RegisterUserRequest) (*domain.User, error) {
	username := strings.TrimSpace(req.Username)
	if username == "" {
		return nil, ErrEmptyUsername
	}
	if !validLocalpart.MatchString(username) {
		return nil, fmt.Errorf("invalid username %q: only a-z, 0-9 and . _ = / + - are allowed", username)
	}
	if _, err := a.Store.Users().FindByUsername(ctx, username); err == nil {
		return nil, ErrUserExists
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	// Checked again in the transaction; failing early spares the homeserver call.
	if err := checkUpstreamLinks(ctx, a.Store, req.UpstreamLinks); err != nil {
		return nil, err
	}
	available, err := a.Homeserver.IsLocalpartAvailable(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("checking the username on the homeserver: %w", err)
	}
	if !available {
		return nil, ErrUsernameUnavailable
	}

	var version int
	var hash string
	if req.Password != "" {
		pw := a.Passwords
		if pw == nil {
			return nil, ErrPasswordsDisabled
		}
		if !req.IgnorePasswordComplexity && !pw.ComplexEnough(req.Password, []string{username}) {
			return nil, ErrWeakPassword
		}
		if version, hash, err = pw.Hash(ctx, req.Password); err != nil {
			return nil, err
		}
	}

	var user *domain.User
	err = store.WithTx(ctx, a.Store, func(tx store.Tx) error {
		var err error
		if user, err = tx.Users().Add(ctx, username); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return ErrUserExists
			}
			return err
		}
		if req.Admin {
			user.CanRequestAdmin = true
			if err := tx.Users().Update(ctx, user); err != nil {
				return err
			}
		}
		if hash != "" {
			if _, err := tx.Passwords().Add(ctx, user.ID, hash, version, nil); err != nil {
				return err
			}
		}
		for _, email := range req.Emails {
			if _, err := tx.UserEmails().Add(ctx, user.ID, email); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return fmt.Errorf("email %s is already in use", email)
				}
				return err
			}
		}
		if err := addUpstreamLinks(ctx, tx, user.ID, req.UpstreamLinks); err != nil {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: user.ID, SetDisplayName: req.DisplayName})
	})
	if err != nil {
		return nil, err
	}
	return user, nil
}

// ErrUserNotFound is upstream's wording for an unknown username.
var ErrUserNotFound = errors.New("User not found")

// findUser looks a user up by username with upstream's error, in a
// transaction or not.
func findUser(ctx context.Context, r store.Repos, username string) (*domain.User, error) {
	u, err := r.Users().FindByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrUserNotFound, username)
	}
	return u, err
}

// LockUser locks a user, so that it can no longer log in nor use its
// tokens, and pushes the lock to the homeserver. With deactivate it also
// schedules the deactivation (ending every session, and deactivating the
// user on the homeserver without erasing it), as `manage lock-user
// --deactivate` does upstream.
func (a *App) LockUser(ctx context.Context, username string, deactivate bool) (*domain.User, error) {
	var user *domain.User
	err := store.WithTx(ctx, a.Store, func(tx store.Tx) error {
		var err error
		if user, err = findUser(ctx, tx, username); err != nil {
			return err
		}
		user.Lock(a.Clock.Now())
		if err := tx.Users().Update(ctx, user); err != nil {
			return err
		}
		if deactivate {
			return tx.Jobs().Enqueue(ctx, domain.DeactivateUserJob{UserID: user.ID})
		}
		return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: user.ID})
	})
	return user, err
}

// UnlockUser removes the lock and pushes that to the homeserver. With
// reactivate it also schedules the reactivation, which undoes a
// deactivation on the homeserver first and only then here (the user stays
// refused until then), and provisions the user again.
func (a *App) UnlockUser(ctx context.Context, username string, reactivate bool) (*domain.User, error) {
	var user *domain.User
	err := store.WithTx(ctx, a.Store, func(tx store.Tx) error {
		var err error
		if user, err = findUser(ctx, tx, username); err != nil {
			return err
		}
		user.Unlock()
		if err := tx.Users().Update(ctx, user); err != nil {
			return err
		}
		if reactivate {
			return tx.Jobs().Enqueue(ctx, domain.ReactivateUserJob{UserID: user.ID})
		}
		return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: user.ID})
	})
	return user, err
}
