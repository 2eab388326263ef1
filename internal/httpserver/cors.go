package httpserver

import (
	"net/http"
	"strconv"
	"strings"
)

// corsPolicy is the cross-origin policy of an API resource. The APIs are
// meant to be called from any web client (Matrix clients run in browsers on
// other origins) and carry credentials in headers, never cookies, so every
// origin is allowed.
type corsPolicy struct {
	allowHeaders string
	maxAge       int // seconds; 0 leaves it to the browser
}

// corsHeaders are allowed everywhere: the usual content negotiation headers,
// Authorization for bearer tokens, and trace propagation headers.
var corsHeaders = []string{
	"Authorization", "Accept", "Accept-Language", "Content-Language", "Content-Type",
	"traceparent", "tracestate", "baggage",
}

// headerAllowOrigin is on every answer of the APIs, with a value shared by
// all of them (see setIfAbsent).
const headerAllowOrigin = "Access-Control-Allow-Origin"

var valuesAllowAnyOrigin = []string{"*"}

func corsFor(resource string) (corsPolicy, bool) {
	base := strings.Join(corsHeaders, ", ")
	withXRW := base + ", X-Requested-With"
	switch resource {
	case ResourceDiscovery:
		return corsPolicy{allowHeaders: base, maxAge: 3600}, true
	case ResourceOAuth, ResourceCompat:
		return corsPolicy{allowHeaders: withXRW, maxAge: 3600}, true
	case ResourceGraphQL:
		return corsPolicy{allowHeaders: base}, true
	case ResourceAdminAPI:
		return corsPolicy{allowHeaders: withXRW}, true
	}
	return corsPolicy{}, false
}

// withCORS answers preflight requests for paths that mux serves under the
// requested method, and marks every other response as readable by any
// origin.
func withCORS(p corsPolicy, mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h[headerAllowOrigin] = valuesAllowAnyOrigin

		method := r.Header.Get("Access-Control-Request-Method")
		if r.Method != http.MethodOptions || method == "" || r.Header.Get("Origin") == "" {
			next.ServeHTTP(w, r)
			return
		}
		probe := r.Clone(r.Context())
		probe.Method = method
		_, pattern := mux.Handler(probe)
		if pattern == "" {
			// Not one of ours: let routing answer 404 or 405.
			h.Del(headerAllowOrigin)
			next.ServeHTTP(w, r)
			return
		}
		infoFrom(r.Context()).route = "(preflight) " + pattern
		h.Set("Access-Control-Allow-Methods", "*")
		h.Set("Access-Control-Allow-Headers", p.allowHeaders)
		if p.maxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(p.maxAge))
		}
		h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
		w.WriteHeader(http.StatusOK)
	})
}
