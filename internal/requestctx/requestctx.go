// Package requestctx carries the per-request facts that the HTTP layer works
// out once (request ID, client address, user agent, logger) to every handler
// and store call below it. It depends on the standard library only, so any
// package may use it without pulling in the HTTP server.
//
// Getters never fail: a value that was not set reads as its zero value, and
// Logger falls back to slog.Default, so code paths run outside a request
// (jobs, CLI, tests) need no special casing.
package requestctx

import (
	"context"
	"log/slog"
	"net/netip"
)

type key int

const (
	requestIDKey key = iota
	clientIPKey
	userAgentKey
	loggerKey
)

// WithRequestID returns a context carrying the request ID.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request ID, or "" outside a request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// WithClientIP returns a context carrying the client address, as worked out
// from the peer, the PROXY protocol header and trusted X-Forwarded-For hops.
func WithClientIP(ctx context.Context, ip netip.Addr) context.Context {
	return context.WithValue(ctx, clientIPKey, ip)
}

// ClientIP returns the client address. It is the zero (invalid) Addr when
// unknown, for example on a unix socket without forwarding headers, so
// callers must check IsValid before recording it.
func ClientIP(ctx context.Context) netip.Addr {
	ip, _ := ctx.Value(clientIPKey).(netip.Addr)
	return ip
}

// WithUserAgent returns a context carrying the User-Agent header value.
func WithUserAgent(ctx context.Context, ua string) context.Context {
	return context.WithValue(ctx, userAgentKey, ua)
}

// UserAgent returns the User-Agent header value, or "".
func UserAgent(ctx context.Context) string {
	ua, _ := ctx.Value(userAgentKey).(string)
	return ua
}

// WithLogger returns a context carrying a logger already annotated with the
// request's attributes (request_id at least).
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey, l)
}

// Logger returns the request-scoped logger, or slog.Default when none is set.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}
