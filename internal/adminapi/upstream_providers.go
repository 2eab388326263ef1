package adminapi

import (
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
)

// upstreamProviderAttributes is upstream's UpstreamOAuthProvider.
type upstreamProviderAttributes struct {
	Issuer                    *string    `json:"issuer"`
	HumanName                 *string    `json:"human_name"`
	BrandName                 *string    `json:"brand_name"`
	CreatedAt                 time.Time  `json:"created_at"`
	DisabledAt                *time.Time `json:"disabled_at"`
	RegistrationTokenRequired bool       `json:"registration_token_required"`
}

// upstreamProviderResource builds the resource; the registration token
// requirement lives in the provider's settings document, which config
// sync writes.
func upstreamProviderResource(p *domain.UpstreamProvider) resource {
	a := upstreamProviderAttributes{
		Issuer: providerText(p.Issuer), HumanName: providerText(p.HumanName), BrandName: providerText(p.BrandName),
		CreatedAt: p.CreatedAt, DisabledAt: p.DisabledAt,
	}
	if s, err := p.DecodeSettings(); err == nil {
		a.RegistrationTokenRequired = s.RegistrationTokenRequired
	}
	return resource{
		Type: "upstream-oauth-provider", ID: p.ID.String(), Attributes: a,
		Links: selfLinks{Self: routes.AdminResource(routes.AdminUpstreamProviders, p.ID.String())},
	}
}

// providerText is nil for an empty column (stored as NULL).
func providerText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// upstreamProviderEndpoints lists the operations on upstream OAuth providers.
func (h *Handler) upstreamProviderEndpoints() []endpoint {
	const tag, typ = "upstream-oauth-provider", "upstream-oauth-provider"
	attrs := upstreamProviderAttributes{}
	return []endpoint{
		{Method: "GET", Path: routes.AdminUpstreamProviders, OperationID: "listUpstreamOAuthProviders", Tag: tag,
			Summary: "List upstream identity providers", Filters: upstreamProviderFilters, Paginated: true,
			ResourceType: typ, Attributes: attrs, Status: http.StatusOK,
			Errors: []int{http.StatusBadRequest}, Handle: h.listUpstreamProviders},
		{Method: "GET", Path: routes.AdminUpstreamProviderPattern, OperationID: "getUpstreamOAuthProvider", Tag: tag,
			Summary: "Get an upstream identity provider", ResourceType: typ, Attributes: attrs, Status: http.StatusOK,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.getUpstreamProvider},
	}
}

// upstreamProviderFilters are the filters GET /upstream-oauth-providers implements.
var upstreamProviderFilters = []string{"enabled"}

func (h *Handler) listUpstreamProviders(w http.ResponseWriter, r *http.Request) {
	serveList(w, r, lister[store.UpstreamProviderFilter, *domain.UpstreamProvider]{
		base: routes.AdminUpstreamProviders, filters: upstreamProviderFilters,
		parse: func(fr *filterReader) store.UpstreamProviderFilter {
			return store.UpstreamProviderFilter{Enabled: fr.Bool("enabled")}
		},
		count: h.Store.UpstreamProviders().CountFiltered,
		fetch: h.Store.UpstreamProviders().ListPage,
		id:    func(p *domain.UpstreamProvider) domain.ID { return p.ID },
		toRes: upstreamProviderResource,
	})
}

func (h *Handler) getUpstreamProvider(w http.ResponseWriter, r *http.Request) {
	serveOne(w, r, h.Store.UpstreamProviders().Lookup, upstreamProviderNotFound, upstreamProviderResource)
}
