package httpserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"mas/internal/requestctx"
	"mas/internal/routes"
)

// healthTimeout stops a hung database from hanging the health check too;
// orchestrators would rather see a quick 503.
const healthTimeout = 10 * time.Second

// BuiltinResources are the resources this package serves itself.
func BuiltinResources() []string {
	return []string{ResourceHealth, ResourcePrometheus, ResourceConnectionInfo}
}

// builtinMounts returns the handlers this package provides itself (those
// of BuiltinResources).
func builtinMounts(health func(context.Context) error, gatherer prometheus.Gatherer, logger *slog.Logger) map[string]MountFunc {
	return map[string]MountFunc{
		ResourceHealth: func(mux *http.ServeMux, _ Resource) {
			mux.Handle("GET "+routes.Health, healthHandler(health))
		},
		ResourcePrometheus: func(mux *http.ServeMux, _ Resource) {
			mux.Handle("GET "+routes.Metrics, promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{
				ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelError),
				ErrorHandling: promhttp.ContinueOnError,
			}))
		},
		ResourceConnectionInfo: func(mux *http.ServeMux, _ Resource) {
			mux.HandleFunc("GET "+routes.ConnectionInfo, serveConnectionInfo)
		},
	}
}

func healthHandler(check func(context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if check != nil {
			ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
			defer cancel()
			if err := check(ctx); err != nil {
				// The cause goes to the log only: /health may be public.
				requestctx.Logger(r.Context()).Warn("health check failed", "error", err)
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, "unhealthy")
				return
			}
		}
		_, _ = io.WriteString(w, "ok")
	})
}
