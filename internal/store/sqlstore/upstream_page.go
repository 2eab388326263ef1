package sqlstore

import (
	"context"

	"mas/internal/domain"
	"mas/internal/store"
)

func (u upstreamLinkRepo) ListPage(ctx context.Context, f store.UpstreamLinkFilter, p store.Page) ([]*domain.UpstreamLink, error) {
	return listPage(ctx, u.r, scanUpstreamLink, upstreamLinkColumns, "upstream_oauth_links", "upstream_oauth_link_id", upstreamLinkConds(f), p)
}

func (u upstreamLinkRepo) CountFiltered(ctx context.Context, f store.UpstreamLinkFilter) (int, error) {
	return countWhere(ctx, u.r, "upstream_oauth_links", upstreamLinkConds(f))
}

func upstreamLinkConds(f store.UpstreamLinkFilter) conds {
	var c conds
	c.id("user_id", f.UserID)
	c.id("upstream_oauth_provider_id", f.ProviderID)
	if f.Subject != "" {
		c.add("subject = $%d", f.Subject)
	}
	if f.HumanAccountName != "" {
		c.add(`LOWER(human_account_name) LIKE $%d ESCAPE '\'`, contains(f.HumanAccountName))
	}
	return c
}

func (u upstreamProviderRepo) ListPage(ctx context.Context, f store.UpstreamProviderFilter, p store.Page) ([]*domain.UpstreamProvider, error) {
	return listPage(ctx, u.r, scanUpstreamProvider, upstreamProviderColumns, "upstream_oauth_providers", "upstream_oauth_provider_id", upstreamProviderConds(f), p)
}

func (u upstreamProviderRepo) CountFiltered(ctx context.Context, f store.UpstreamProviderFilter) (int, error) {
	return countWhere(ctx, u.r, "upstream_oauth_providers", upstreamProviderConds(f))
}

func upstreamProviderConds(f store.UpstreamProviderFilter) conds {
	var c conds
	c.either(f.Enabled, "disabled_at IS NULL", "disabled_at IS NOT NULL")
	return c
}
