package httpserver

import (
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// exactRoutes remembers, per method and path, the resource and handler of
// requests whose matched pattern was that very method and path (no
// wildcard, no host, no other method), so that the next such request skips
// the ServeMux searches of dispatch: one per resource tried, and the
// resource's own. Synapse's introspection requests are the case that
// matters. Only patterns ever matched are kept, so the map stays as small
// as the route table.
type exactRoutes struct {
	mu sync.Mutex // held by writers, which copy the map
	m  atomic.Pointer[map[exactKey]exactRoute]
}

type exactKey struct{ method, path string }

type exactRoute struct {
	pattern string
	handler http.Handler
	cors    bool // the resource answers with Access-Control-Allow-Origin
}

// lookup returns the remembered route for r, if any. Requests whose path
// was escaped (the mux matches escaped segments) and CORS preflights
// (answered by the CORS layer) always take the long way.
func (x *exactRoutes) lookup(r *http.Request) (exactRoute, bool) {
	if x == nil {
		return exactRoute{}, false
	}
	m := x.m.Load()
	if m == nil || r.URL.RawPath != "" || r.Method == http.MethodOptions {
		return exactRoute{}, false
	}
	e, ok := (*m)[exactKey{r.Method, r.URL.Path}]
	return e, ok
}

// remember keeps the route the mux chose for r when its pattern is exactly
// r's method and path.
func (x *exactRoutes) remember(r *http.Request, pattern string, handler http.Handler, cors bool) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method != r.Method || path != r.URL.Path || r.URL.RawPath != "" || r.Method == http.MethodOptions {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	next := map[exactKey]exactRoute{}
	if cur := x.m.Load(); cur != nil {
		if _, done := (*cur)[exactKey{method, path}]; done {
			return
		}
		maps.Copy(next, *cur)
	}
	next[exactKey{method, path}] = exactRoute{pattern: pattern, handler: handler, cors: cors}
	x.m.Store(&next)
}

// serve runs a remembered route as the resource's mux and middleware
// would have: the route is named, and the CORS header set.
func (e exactRoute) serve(w http.ResponseWriter, r *http.Request, info *requestInfo) {
	info.route = e.pattern
	r.Pattern = e.pattern
	if e.cors {
		w.Header()[headerAllowOrigin] = valuesAllowAnyOrigin
	}
	e.handler.ServeHTTP(w, r)
}
