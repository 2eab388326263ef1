package httpserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"mas/internal/routes"
)

// RequestLog chooses which requests get an "http request" line at info
// level. Lines it leaves out are logged at debug level instead, so
// MAS_LOG_LEVEL=debug (or RUST_LOG=debug) shows every request whatever
// the mode. A request is checked for being logged before any attribute is
// built, so a left-out line costs nothing.
type RequestLog int

const (
	// RequestLogDefault logs every request except successful, fast
	// requests to /health and the introspection endpoint: Synapse and load
	// balancers send those by the thousand and one line each cost 6-9% of
	// introspection CPU.
	RequestLogDefault RequestLog = iota
	// RequestLogAll logs every request.
	RequestLogAll
	// RequestLogErrors logs only server errors (5xx) and slow requests.
	RequestLogErrors
)

// ParseRequestLog reads MAS_LOG_REQUESTS: "" or "default", "all", "errors".
func ParseRequestLog(s string) (RequestLog, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "default":
		return RequestLogDefault, nil
	case "all":
		return RequestLogAll, nil
	case "errors":
		return RequestLogErrors, nil
	}
	return 0, fmt.Errorf("request log mode %q: expected default, all or errors", s)
}

// slowRequest is the duration past which a request is always logged.
const slowRequest = 500 * time.Millisecond

// quietPaths are the high-volume paths RequestLogDefault leaves out.
var quietPaths = []string{routes.Health, routes.OAuth2Introspection}

// requestLevel is the level of a request's log line.
func (m RequestLog) requestLevel(route string, status int, d time.Duration) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case m == RequestLogAll, d >= slowRequest:
		return slog.LevelInfo
	case m == RequestLogErrors:
		return slog.LevelDebug
	case status < 400 && isQuietRoute(route):
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// isQuietRoute matches a mux pattern ("POST /oauth2/introspect") without
// allocating.
func isQuietRoute(route string) bool {
	if i := strings.IndexByte(route, ' '); i >= 0 {
		route = route[i+1:]
	}
	for _, p := range quietPaths {
		if route == p {
			return true
		}
	}
	return false
}

// logRequest writes the request's line when its level is enabled. Only the
// path is logged: queries, cookies and Authorization may hold credentials.
func (h *listenerHandler) logRequest(ctx context.Context, w *responseRecorder, r *http.Request, info *requestInfo, route, id string, ip netip.Addr, d time.Duration) {
	status := w.statusCode()
	level := h.requestLog.requestLevel(route, status, d)
	if !h.logger.Enabled(ctx, level) {
		return
	}
	client := ""
	if ip.IsValid() {
		client = ip.String()
	}
	h.logger.LogAttrs(ctx, level, "http request",
		slog.String("request_id", id),
		slog.String("listener", h.name),
		slog.String("method", r.Method),
		slog.String("path", info.path),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int64("bytes", w.bytes),
		slog.Duration("duration", d),
		slog.String("client_ip", client),
		slog.String("user_agent", r.UserAgent()),
	)
}

// requestLogger returns a logger that adds request_id to every record. It
// replaces logger.With, which formats the attribute into a cloned handler
// on every request, logged or not; this one costs two small allocations
// and does its work only when a line is written.
func requestLogger(base *slog.Logger, id string) *slog.Logger {
	return slog.New(&requestIDHandler{base: base.Handler(), id: id})
}

type requestIDHandler struct {
	base slog.Handler
	id   string
}

func (h *requestIDHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.base.Enabled(ctx, l)
}

// Handle puts request_id first, where logger.With would have put it.
func (h *requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(slog.String("request_id", h.id))
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(a)
		return true
	})
	return h.base.Handle(ctx, out)
}

func (h *requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &requestIDHandler{base: h.base.WithAttrs(attrs), id: h.id}
}

// WithGroup fixes request_id outside the group, as With would have.
func (h *requestIDHandler) WithGroup(name string) slog.Handler {
	return h.base.WithAttrs([]slog.Attr{slog.String("request_id", h.id)}).WithGroup(name)
}
