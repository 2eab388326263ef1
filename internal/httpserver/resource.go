package httpserver

import "net/http"

// resourceRoute is one resource mounted on a listener. Each resource has its
// own ServeMux so that resource-wide behaviour (CORS for the APIs) wraps
// exactly that resource's routes.
type resourceRoute struct {
	name    string
	mux     *http.ServeMux
	handler http.Handler
	cors    bool // handler adds CORS to mux (see exactRoutes)
}

// resourceMiddleware adds what a whole resource needs around its mux: CORS
// for the APIs. The security headers (frame protection among them) wrap
// every listener as a whole, see securityWriter.
func resourceMiddleware(name string, mux *http.ServeMux) http.Handler {
	if p, ok := corsFor(name); ok {
		return withCORS(p, mux, mux)
	}
	return mux
}
