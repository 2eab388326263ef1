package app

import (
	"context"
	"errors"
	"fmt"

	"mas/internal/domain"
	"mas/internal/store"
)

// Errors of `manage register-user -m`, worded like upstream's.
var (
	ErrUpstreamProviderNotFound = errors.New("Upstream provider not found")
	ErrUpstreamProviderDisabled = errors.New("Upstream provider is disabled")
	ErrUpstreamSubjectLinked    = errors.New("Upstream account is already linked")
)

// checkUpstreamLinks refuses links to providers the database does not
// have (not configured, or never synced) or has disabled, with a message
// that says what to do instead of a foreign-key error.
func checkUpstreamLinks(ctx context.Context, repos store.Repos, links []UpstreamLink) error {
	for _, l := range links {
		p, err := repos.UpstreamProviders().Lookup(ctx, l.ProviderID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("%w: %s (add it to upstream_oauth2.providers and run `mas-cli config sync`)",
				ErrUpstreamProviderNotFound, l.ProviderID)
		case err != nil:
			return err
		case !p.Enabled():
			return fmt.Errorf("%w: %s (it is no longer configured, or configured with `enabled: false`)",
				ErrUpstreamProviderDisabled, ProviderRef{ID: p.ID.String(), Name: p.HumanName})
		}
		if _, err := repos.UpstreamLinks().FindBySubject(ctx, l.ProviderID, l.Subject); err == nil {
			return fmt.Errorf("%w: %s:%s", ErrUpstreamSubjectLinked, l.ProviderID, l.Subject)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// addUpstreamLinks links the new user, in the transaction that creates it.
func addUpstreamLinks(ctx context.Context, tx store.Tx, userID domain.ID, links []UpstreamLink) error {
	if err := checkUpstreamLinks(ctx, tx, links); err != nil {
		return err
	}
	for _, l := range links {
		uid := userID
		if _, err := tx.UpstreamLinks().Add(ctx, l.ProviderID, l.Subject, &uid, ""); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%w: %s:%s", ErrUpstreamSubjectLinked, l.ProviderID, l.Subject)
			}
			return fmt.Errorf("linking %s:%s: %w", l.ProviderID, l.Subject, err)
		}
	}
	return nil
}
