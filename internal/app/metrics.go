package app

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"mas/internal/jobs"
)

// metricsRegistry is what the prometheus resource serves: the Go runtime
// and process, the database pool (go_sql_*, db_name "mas") and the job
// queue's depth; the HTTP server and the worker add their own.
func (a *App) metricsRegistry() *prometheus.Registry {
	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(a.db.DB(), "mas"),
		jobs.NewQueueDepth(a.db.DB()),
	)
	return registry
}
