package adminapi

import (
	"net/http"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
)

// oauth2ClientAttributes is upstream's OAuth2Client.
type oauth2ClientAttributes struct {
	ClientID     string   `json:"client_id"`
	ClientName   *string  `json:"client_name"`
	ClientURI    *string  `json:"client_uri"`
	LogoURI      *string  `json:"logo_uri"`
	RedirectURIs []string `json:"redirect_uris"`
	GrantTypes   []string `json:"grant_types"`
	IsStatic     bool     `json:"is_static"`
}

func oauth2ClientResource(c *domain.Client) resource {
	redirects := c.RedirectURIs
	if redirects == nil {
		redirects = []string{}
	}
	grants := []string{}
	for _, g := range []struct {
		on   bool
		name string
	}{
		{c.GrantAuthorizationCode, "authorization_code"},
		{c.GrantRefreshToken, "refresh_token"},
		{c.GrantClientCredentials, "client_credentials"},
		{c.GrantDeviceCode, "urn:ietf:params:oauth:grant-type:device_code"},
	} {
		if g.on {
			grants = append(grants, g.name)
		}
	}
	return resource{
		Type: "oauth2-client",
		ID:   c.ID.String(),
		Attributes: oauth2ClientAttributes{
			ClientID: c.ID.String(), ClientName: emptyAsNull(c.ClientName), ClientURI: emptyAsNull(c.ClientURI),
			LogoURI: emptyAsNull(c.LogoURI), RedirectURIs: redirects, GrantTypes: grants, IsStatic: c.IsStatic,
		},
		Links: selfLinks{Self: routes.AdminResource(routes.AdminOAuth2Clients, c.ID.String())},
	}
}

// emptyAsNull is nil for an empty string: upstream's null.
func emptyAsNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// oauth2ClientEndpoints lists the operations on OAuth 2.0 clients.
func (h *Handler) oauth2ClientEndpoints() []endpoint {
	return []endpoint{
		{Method: "GET", Path: routes.AdminOAuth2Clients, OperationID: "listOAuth2Clients", Tag: "oauth2-client",
			Summary: "List OAuth 2.0 clients", Filters: oauth2ClientFilters, Paginated: true,
			ResourceType: "oauth2-client", Attributes: oauth2ClientAttributes{}, Status: http.StatusOK,
			Errors: []int{http.StatusBadRequest}, Handle: h.listOAuth2Clients},
		{Method: "GET", Path: routes.AdminOAuth2ClientPattern, OperationID: "getOAuth2Client", Tag: "oauth2-client",
			Summary: "Get an OAuth 2.0 client", ResourceType: "oauth2-client", Attributes: oauth2ClientAttributes{},
			Status: http.StatusOK, Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.getOAuth2Client},
	}
}

// oauth2ClientFilters are the filters GET /oauth2-clients implements.
var oauth2ClientFilters = []string{"client-kind", "client-name", "client-uri", "grant-type", "has-active-sessions"}

func (h *Handler) listOAuth2Clients(w http.ResponseWriter, r *http.Request) {
	serveList(w, r, lister[store.ClientFilter, *domain.Client]{
		base: routes.AdminOAuth2Clients, filters: oauth2ClientFilters,
		parse: func(fr *filterReader) store.ClientFilter {
			return store.ClientFilter{
				Kind:       fr.Enum("client-kind", store.ClientKindDynamic, store.ClientKindStatic),
				ClientName: fr.String("client-name"), ClientURI: fr.String("client-uri"),
				GrantType: fr.String("grant-type"), HasActiveSessions: fr.Bool("has-active-sessions"),
			}
		},
		count: h.Store.Clients().CountFiltered,
		fetch: h.Store.Clients().ListPage,
		id:    func(c *domain.Client) domain.ID { return c.ID },
		toRes: oauth2ClientResource,
	})
}

func (h *Handler) getOAuth2Client(w http.ResponseWriter, r *http.Request) {
	serveOne(w, r, h.Store.Clients().Lookup, func(id domain.ID) string { return notFoundTitle("OAuth 2.0 client", id) }, oauth2ClientResource)
}
