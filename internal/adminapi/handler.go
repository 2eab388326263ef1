// Package adminapi serves the Admin REST API (/api/admin/v1) on the
// adminapi listener resource: upstream's JSON:API-like envelopes, cursor
// pagination and error bodies, behind Bearer tokens holding urn:mas:admin.
package adminapi

import (
	"net/http"

	"mas/internal/clock"
	"mas/internal/routes"
	"mas/internal/store"
)

// Handler serves the Admin API.
type Handler struct {
	Store store.Store
	Clock clock.Clock
}

// Mount registers the Admin API's endpoints. Every other path below the
// prefix answers upstream's JSON 404 rather than an HTML page.
func (h *Handler) Mount(mux *http.ServeMux) {
	for _, e := range h.endpoints() {
		mux.Handle(e.Method+" "+e.Path, h.authorized(e.Handle))
	}
	mux.HandleFunc(routes.AdminAPIPrefix, func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "Not found")
	})
}
