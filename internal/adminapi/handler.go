// Package adminapi serves the Admin REST API (/api/admin/v1) on the
// adminapi listener resource: upstream's JSON:API-like envelopes, cursor
// pagination and error bodies, behind Bearer tokens holding urn:mas:admin.
package adminapi

import (
	"io"
	"net/http"

	"mas/internal/clock"
	"mas/internal/homeserver"
	"mas/internal/pages"
	"mas/internal/passwords"
	"mas/internal/policy"
	"mas/internal/routes"
	"mas/internal/store"
)

// Handler serves the Admin API.
type Handler struct {
	Store store.Store
	Clock clock.Clock
	// Rand draws generated secrets (registration tokens).
	Rand io.Reader
	// Policy is the running policy; POST /policy-data swaps its dynamic data.
	Policy *policy.Engine
	// URLs and Pages serve the OpenAPI document and its documentation
	// page (spec.go, doc.go).
	URLs  *routes.URLBuilder
	Pages *pages.Renderer
	// Homeserver checks new usernames.
	Homeserver homeserver.Connection
	// Passwords is nil when password authentication is off.
	Passwords *passwords.Manager
	// Site is what GET /site-config answers.
	Site SiteConfig
	// Version is what GET /version answers.
	Version string
}

// Mount registers the Admin API's endpoints. Every other path below the
// prefix answers upstream's JSON 404 rather than an HTML page.
func (h *Handler) Mount(mux *http.ServeMux) {
	for _, e := range h.endpoints() {
		mux.Handle(e.Method+" "+e.Path, h.authorized(e.Handle))
	}
	h.mountDocs(mux)
	mux.HandleFunc(routes.AdminAPIPrefix, func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "Not found")
	})
}
