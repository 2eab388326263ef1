package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type upstreamProviderRepo struct{ r repos }

func (r repos) UpstreamProviders() store.UpstreamProviderRepository { return upstreamProviderRepo{r} }

const upstreamProviderColumns = `upstream_oauth_provider_id, issuer, human_name, brand_name, scope, client_id,
	encrypted_client_secret, token_endpoint_auth_method, settings, created_at, disabled_at, ui_order`

func scanUpstreamProvider(row interface{ Scan(...any) error }) (*domain.UpstreamProvider, error) {
	p := &domain.UpstreamProvider{}
	err := row.Scan(id(&p.ID), strn(&p.Issuer), strn(&p.HumanName), strn(&p.BrandName), &p.Scope, &p.ClientID,
		strn(&p.EncryptedClientSecret), &p.TokenEndpointAuthMethod, strn(&p.Settings), ts(&p.CreatedAt),
		tsn(&p.DisabledAt), &p.UIOrder)
	return p, err
}

// Upsert keeps the creation time of an existing row: the provider is the
// same one, only its configuration changed.
func (u upstreamProviderRepo) Upsert(ctx context.Context, p *domain.UpstreamProvider) error {
	if p.ID == domain.ZeroID {
		return errors.New("upsert upstream provider: the provider has no ID")
	}
	now := u.r.now()
	var created time.Time
	err := u.r.q.QueryRowContext(ctx, `INSERT INTO upstream_oauth_providers (`+upstreamProviderColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11)
		ON CONFLICT (upstream_oauth_provider_id) DO UPDATE SET
			issuer = excluded.issuer,
			human_name = excluded.human_name,
			brand_name = excluded.brand_name,
			scope = excluded.scope,
			client_id = excluded.client_id,
			encrypted_client_secret = excluded.encrypted_client_secret,
			token_endpoint_auth_method = excluded.token_endpoint_auth_method,
			settings = excluded.settings,
			disabled_at = NULL,
			ui_order = excluded.ui_order
		RETURNING created_at`,
		idv(p.ID), strp(p.Issuer), strp(p.HumanName), strp(p.BrandName), p.Scope, p.ClientID,
		strp(p.EncryptedClientSecret), p.TokenEndpointAuthMethod, strp(p.Settings), u.r.t(now), p.UIOrder,
	).Scan(ts(&created))
	if err != nil {
		return fmt.Errorf("upsert upstream provider %s: %w", p.ID, u.r.mapErr(err))
	}
	p.CreatedAt = created
	p.DisabledAt = nil
	return nil
}

func (u upstreamProviderRepo) Lookup(ctx context.Context, providerID domain.ID) (*domain.UpstreamProvider, error) {
	return queryOne(ctx, u.r, scanUpstreamProvider, `SELECT `+upstreamProviderColumns+`
		FROM upstream_oauth_providers WHERE upstream_oauth_provider_id = $1`, idv(providerID))
}

func (u upstreamProviderRepo) List(ctx context.Context) ([]*domain.UpstreamProvider, error) {
	return queryAll(ctx, u.r, scanUpstreamProvider, `SELECT `+upstreamProviderColumns+`
		FROM upstream_oauth_providers ORDER BY ui_order, upstream_oauth_provider_id`)
}

// Disable keeps the first disabling time when called again, so that the
// time a provider left the configuration is not moved by every restart.
func (u upstreamProviderRepo) Disable(ctx context.Context, providerID domain.ID) error {
	n, err := u.r.exec(ctx, `UPDATE upstream_oauth_providers SET disabled_at = COALESCE(disabled_at, $2)
		WHERE upstream_oauth_provider_id = $1`, idv(providerID), u.r.t(u.r.now()))
	if err != nil {
		return fmt.Errorf("disable upstream provider %s: %w", providerID, err)
	}
	if n == 0 {
		return fmt.Errorf("disable upstream provider %s: %w", providerID, store.ErrNotFound)
	}
	return nil
}

// Delete removes the provider together with its links and login attempts
// (and the browser-session authentications made through them), by cascade.
func (u upstreamProviderRepo) Delete(ctx context.Context, providerID domain.ID) error {
	n, err := u.r.exec(ctx, `DELETE FROM upstream_oauth_providers WHERE upstream_oauth_provider_id = $1`, idv(providerID))
	if err != nil {
		return fmt.Errorf("delete upstream provider %s: %w", providerID, err)
	}
	if n == 0 {
		return fmt.Errorf("delete upstream provider %s: %w", providerID, store.ErrNotFound)
	}
	return nil
}
