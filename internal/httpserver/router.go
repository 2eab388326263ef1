package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"runtime/debug"
	"strings"
	"time"

	"mas/internal/requestctx"
	"mas/internal/templates"
)

// Route labels for requests that matched no registered pattern.
const (
	routeNotFound         = "(not found)"
	routeRedirect         = "(redirect)"
	routeMethodNotAllowed = "(method not allowed)"
	routeUnmatched        = "(unmatched)"
)

// shared is what every listener's handler needs from the server.
type shared struct {
	logger     *slog.Logger
	trusted    []netip.Prefix
	ids        *requestIDs
	metrics    *requestMetrics
	tpl        *templates.Templates
	pageCommon func(*http.Request) templates.Common
	security   *securityPolicy
	requestLog RequestLog
}

// listenerHandler is the root handler of one listener: request context,
// observation, prefix, then dispatch to a resource or the 404 page.
type listenerHandler struct {
	*shared
	name      string
	prefix    string
	resources []resourceRoute
	// exact short-cuts routing for exact patterns; nil when a resource's
	// handler does more than its mux and CORS (tracing).
	exact *exactRoutes
}

// requestInfo travels in the context so that inner layers can report the
// matched route and outer layers still know the path as received.
type requestInfo struct {
	route string
	path  string
	// pageSources are origins the handler added to its page's
	// Content-Security-Policy (requestctx.AllowPageSources).
	pageSources *requestctx.PageSources
}

type requestInfoKey struct{}

// requestState is what ServeHTTP allocates per request.
type requestState struct {
	info requestInfo
	sec  securityWriter
	rec  responseRecorder
}

func infoFrom(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

func (h *listenerHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := h.ids.forRequest(r)
	ip := clientIP(r, connInfoFrom(r.Context()).overUnixSocket(), h.trusted)
	logger := requestLogger(h.logger, id)
	// One allocation for what every request needs of its own.
	st := &requestState{info: requestInfo{path: r.URL.Path}}
	info := &st.info

	ctx := r.Context()
	ctx = requestctx.WithRequestID(ctx, id)
	ctx = requestctx.WithClientIP(ctx, ip)
	ctx = requestctx.WithUserAgent(ctx, r.UserAgent())
	ctx = requestctx.WithLogger(ctx, logger)
	ctx, info.pageSources = requestctx.WithPageSources(ctx)
	ctx = context.WithValue(ctx, requestInfoKey{}, info)
	r = r.WithContext(ctx)

	w.Header().Set(requestIDHeader, id)
	// The security headers sit under the recorder so that every answer,
	// the 404 and 500 pages included, passes through them.
	st.sec = securityWriter{ResponseWriter: w, policy: h.security, info: info}
	st.rec = responseRecorder{ResponseWriter: &st.sec}
	rec := &st.rec

	defer func() {
		abort := false
		if p := recover(); p != nil {
			abort = h.recovered(rec, r, p)
		}
		h.finish(rec, r, info, id, ip, time.Since(start))
		if abort {
			// Headers are gone: the only honest signal left is to cut the
			// connection, which net/http does quietly for this value.
			panic(http.ErrAbortHandler)
		}
	}()
	h.route(rec, r)
}

// recovered handles a handler panic and reports whether the connection must
// be aborted because a response was already under way.
func (h *listenerHandler) recovered(w *responseRecorder, r *http.Request, p any) bool {
	if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
		return true
	}
	requestctx.Logger(r.Context()).Error("handler panicked",
		"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	if w.wroteHeader {
		return true
	}
	// Whatever the handler staged (cookies, content type) belongs to the
	// response it failed to produce.
	for k := range w.Header() {
		if k != requestIDHeader {
			w.Header().Del(k)
		}
	}
	h.internalError(w, r)
	return false
}

func (h *listenerHandler) finish(w *responseRecorder, r *http.Request, info *requestInfo, id string, ip netip.Addr, d time.Duration) {
	route := info.route
	if route == "" {
		route = routeNotFound
	}
	h.metrics.observe(h.name, route, r.Method, w.statusCode(), d)
	h.logRequest(r.Context(), w, r, info, route, id, ip, d)
}

// route applies the listener prefix and hands the request to a resource.
func (h *listenerHandler) route(w http.ResponseWriter, r *http.Request) {
	if h.prefix == "" {
		h.dispatch(w, r)
		return
	}
	switch p := r.URL.Path; {
	case p == h.prefix:
		infoFrom(r.Context()).route = routeRedirect
		target := h.prefix + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		// Temporary and method-preserving, like ServeMux's own redirects:
		// a prefix can change with the configuration.
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	case strings.HasPrefix(p, h.prefix+"/"):
		h.dispatch(w, stripPrefix(r, h.prefix))
	default:
		h.notFound(w, r)
	}
}

// stripPrefix returns a shallow copy of r whose URL path lacks prefix, the
// way http.StripPrefix does, keeping the escaped form in step.
func stripPrefix(r *http.Request, prefix string) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	r2.URL = new(url.URL)
	*r2.URL = *r.URL
	r2.URL.Path = strings.TrimPrefix(r.URL.Path, prefix)
	if r.URL.RawPath != "" {
		if raw, ok := strings.CutPrefix(r.URL.RawPath, prefix); ok {
			r2.URL.RawPath = raw
		} else {
			r2.URL.RawPath = ""
		}
	}
	return r2
}

// dispatch finds the resource whose mux has a pattern for the request. When
// none matches, a resource that knows the path under another method gets to
// answer (405 with Allow); otherwise the HTML 404 page is served.
func (h *listenerHandler) dispatch(w http.ResponseWriter, r *http.Request) {
	info := infoFrom(r.Context())
	if e, ok := h.exact.lookup(r); ok {
		e.serve(w, r, info)
		return
	}
	for _, res := range h.resources {
		if handler, pattern := res.mux.Handler(r); pattern != "" {
			info.route = pattern
			// The mux's own redirects (to add a trailing slash or clean the
			// path) report a path derived from the request as their
			// pattern; keep such paths out of metric labels.
			if reflect.TypeOf(handler) == redirectHandlerType {
				info.route = routeRedirect
			} else if h.exact != nil {
				h.exact.remember(r, pattern, handler, res.cors)
			}
			res.handler.ServeHTTP(w, r)
			return
		}
	}
	for _, res := range h.resources {
		buf := newBufferedResponse()
		res.handler.ServeHTTP(buf, r)
		status := buf.statusCode()
		if status == http.StatusNotFound {
			continue
		}
		if info.route == "" { // a resource middleware may have named it
			switch {
			case status == http.StatusMethodNotAllowed:
				info.route = routeMethodNotAllowed
			case status >= 300 && status < 400:
				info.route = routeRedirect
			default:
				info.route = routeUnmatched
			}
		}
		buf.sendTo(w)
		return
	}
	h.notFound(w, r)
}

// redirectHandlerType is the type of the handler ServeMux returns when it
// redirects instead of routing.
var redirectHandlerType = reflect.TypeOf(http.RedirectHandler("/", http.StatusTemporaryRedirect))
