package app

import (
	"context"
	"fmt"

	"mas/internal/oauth"
)

// SyncConfig makes the database match the configured static clients. With
// prune, static clients no longer configured are deleted; dryRun reports
// without writing. (Upstream providers join this sync once upstream login
// exists.)
func (a *App) SyncConfig(ctx context.Context, prune, dryRun bool) (oauth.SyncReport, error) {
	clients := make([]oauth.StaticClient, 0, len(a.Config.Clients))
	for i, c := range a.Config.Clients {
		secret, err := c.SecretValue()
		if err != nil {
			return oauth.SyncReport{}, fmt.Errorf("clients[%d]: %w", i, err)
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
				return oauth.SyncReport{}, fmt.Errorf("clients[%d].jwks: %w", i, err)
			}
			sc.JWKS = string(b)
		}
		clients = append(clients, sc)
	}
	report, err := oauth.SyncStaticClients(ctx, a.Store, a.Encrypter, clients, prune, dryRun, a.Logger)
	if err != nil {
		return report, fmt.Errorf("syncing clients: %w", err)
	}
	if len(report.Stale) > 0 {
		a.Logger.Warn("static clients are no longer configured; run `mas-cli config sync --prune` to delete them", "clients", report.Stale)
	}
	return report, nil
}
