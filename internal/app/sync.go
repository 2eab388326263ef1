package app

import (
	"context"
	"fmt"

	"mas/internal/oauth"
)

// SyncReport is what SyncConfig did (or, in a dry run, would do).
type SyncReport struct {
	Clients   oauth.SyncReport
	Providers ProviderSyncReport
}

// SyncConfig makes the database match the configured static clients and
// upstream providers. With prune, static clients and providers no longer
// configured are deleted (without it, clients are kept and providers
// disabled); dryRun reports without writing.
func (a *App) SyncConfig(ctx context.Context, prune, dryRun bool) (SyncReport, error) {
	var report SyncReport
	clients := make([]oauth.StaticClient, 0, len(a.Config.Clients))
	for i, c := range a.Config.Clients {
		secret, err := c.SecretValue()
		if err != nil {
			return report, fmt.Errorf("clients[%d]: %w", i, err)
		}
		sc := oauth.StaticClient{
			ID:           c.ClientID,
			AuthMethod:   string(c.ClientAuthMethod),
			Name:         c.ClientName,
			ClientURI:    c.ClientURI,
			Secret:       secret,
			JWKSURI:      c.JWKSURI,
			RedirectURIs: c.RedirectURIs,
		}
		if c.JWKS != nil {
			b, err := c.JWKS.JSON()
			if err != nil {
				return report, fmt.Errorf("clients[%d].jwks: %w", i, err)
			}
			sc.JWKS = string(b)
		}
		clients = append(clients, sc)
	}
	var err error
	report.Clients, err = oauth.SyncStaticClients(ctx, a.Store, a.Encrypter, clients, prune, dryRun, a.Logger)
	if err != nil {
		return report, fmt.Errorf("syncing clients: %w", err)
	}
	if len(report.Clients.Stale) > 0 {
		a.Logger.Warn("static clients are no longer configured; run `mas-cli config sync --prune` to delete them", "clients", report.Clients.Stale)
	}
	report.Providers, err = SyncUpstreamProviders(ctx, a.Store, a.Encrypter, a.Config.UpstreamOAuth2.Providers, prune, dryRun, a.Logger)
	if err != nil {
		return report, fmt.Errorf("syncing upstream providers: %w", err)
	}
	return report, nil
}
