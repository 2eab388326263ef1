package web

import (
	"context"
	"net/url"
	"strings"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/templates"
)

// The upstream providers (upstream_oauth2) as the login and registration
// pages offer them. The database is the list's source: config sync
// mirrors the configuration into it, in the configured order.

// enabledProviders lists the providers users may sign in with, in their
// configured order: those the service loaded at start (the registry), so
// that every button leads to a provider the flow can use.
func (h *Handler) enabledProviders(context.Context) ([]*domain.UpstreamProvider, error) {
	list := h.Upstream.List()
	out := make([]*domain.UpstreamProvider, 0, len(list))
	for _, p := range list {
		out = append(out, p.Row)
	}
	return out, nil
}

// providerStart is where a login at provider p begins, carrying the
// post-authentication action (so the flow continues where the user was
// going) and the login hint the page was given.
func (h *Handler) providerStart(p *domain.UpstreamProvider, next *session.PostAuthAction, loginHint string) string {
	q := next.Query()
	if loginHint != "" {
		q.Set("login_hint", loginHint)
	}
	return h.URLs.RelativeWithQuery(routes.UpstreamAuthorize(p.ID.String()), q)
}

// providerButtons are the buttons of the enabled providers.
func (h *Handler) providerButtons(providers []*domain.UpstreamProvider, next *session.PostAuthAction, loginHint string) []templates.ProviderButton {
	buttons := make([]templates.ProviderButton, 0, len(providers))
	for _, p := range providers {
		buttons = append(buttons, templates.ProviderButton{
			Name:  providerName(p),
			Brand: templates.ProviderBrand(p.BrandName),
			Href:  h.providerStart(p, next, loginHint),
		})
	}
	return buttons
}

// providerName is how the pages call a provider: its human_name, else its
// brand's name, else its issuer without the scheme (upstream shows the
// issuer too), else its ID.
func providerName(p *domain.UpstreamProvider) string {
	if n := strings.TrimSpace(p.HumanName); n != "" {
		return n
	}
	if n := templates.BrandDisplayName(p.BrandName); n != "" {
		return n
	}
	if u, err := url.Parse(p.Issuer); err == nil && u.Host != "" {
		return u.Host + strings.TrimSuffix(u.EscapedPath(), "/")
	}
	return p.ID.String()
}
