package app

import (
	"context"
	"errors"
	"fmt"

	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/upstream/registry"
)

// upstreamRegistry builds the providers users may log in with from the
// database, after the configuration sync wrote them.
func (a *App) upstreamRegistry(ctx context.Context) (*registry.Registry, error) {
	reg, err := registry.Load(ctx, registry.Options{
		Store:     a.Store,
		Encrypter: a.Encrypter,
		Keys:      a.Keys,
		Clock:     a.Clock,
		Logger:    a.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("upstream providers:\n%w", err)
	}
	return reg, nil
}

// CheckUpstreamTemplates compiles the claims_imports and
// additional_authorization_parameters templates of every configured
// provider, as the server does at start, so that `config check` reports a
// template that would stop the server. Each error names the provider and
// the key.
func CheckUpstreamTemplates(cfg *config.Config) error {
	var errs []error
	for i := range cfg.UpstreamOAuth2.Providers {
		p := &cfg.UpstreamOAuth2.Providers[i]
		id, err := domain.ParseID(p.ID)
		if err != nil {
			continue // Validate reports it
		}
		s := providerSettings(p)
		if _, _, err := registry.Compile(id, &s); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
