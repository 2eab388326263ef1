package httpserver

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Tracing gives every request a server span. Leaving Options.Tracing nil
// adds no middleware at all, so a service without tracing pays nothing.
type Tracing struct {
	Provider trace.TracerProvider
	// Propagator reads the caller's trace context from the request headers.
	Propagator propagation.TextMapPropagator
}

// traced wraps a listener's handler in a server span. The span starts
// before routing (it must cover the whole request and honour the incoming
// context) and is renamed to the route pattern once a resource matched;
// requests that match none keep the bare method as their name, never the
// raw path, whose IDs would make every span name unique.
func traced(t *Tracing, h *listenerHandler) http.Handler {
	if t == nil || t.Provider == nil {
		return h
	}
	for i := range h.resources {
		h.resources[i].handler = nameSpan(h.resources[i].handler)
	}
	h.exact = nil // the short cut would skip nameSpan
	prop := t.Propagator
	if prop == nil {
		prop = propagation.TraceContext{}
	}
	return otelhttp.NewMiddleware("http.server",
		otelhttp.WithTracerProvider(t.Provider),
		otelhttp.WithPropagators(prop),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return metricMethod(r.Method) }),
	)(h)
}

// nameSpan names the request's span after the route dispatch matched.
func nameSpan(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if route := infoFrom(r.Context()).route; route != "" {
			name, path := spanRoute(metricMethod(r.Method), route)
			span := trace.SpanFromContext(r.Context())
			span.SetName(name)
			span.SetAttributes(attribute.String("http.route", path))
		}
		next.ServeHTTP(w, r)
	})
}

// spanRoute turns a ServeMux pattern ("GET /oauth2/token", "/health") into
// a span name ("GET /oauth2/token") and the http.route attribute.
func spanRoute(method, pattern string) (name, route string) {
	route = pattern
	if m, rest, ok := strings.Cut(pattern, " "); ok {
		method, route = m, strings.TrimLeft(rest, " ")
	}
	// A host in the pattern ("example.org/x") is not part of the route.
	if i := strings.IndexByte(route, '/'); i > 0 {
		route = route[i:]
	}
	return method + " " + route, route
}
