package app

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"mas/internal/jobs"
	"mas/internal/passwords"
)

// metricsRegistry is what the prometheus resource serves: the Go runtime
// and process, the database pool (go_sql_*, db_name "mas"), the job
// queue's depth and the password hashing pool; the HTTP server, the
// worker and the introspection cache add their own.
func (a *App) metricsRegistry() *prometheus.Registry {
	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(a.db.DB(), "mas"),
		jobs.NewQueueDepth(a.db.DB()),
	)
	registry.MustRegister(passwordPoolMetrics(a.Passwords)...)
	return registry
}

// passwordPoolMetrics read the hashing pool's occupancy at scrape time
// (nothing when password authentication is off).
func passwordPoolMetrics(m *passwords.Manager) []prometheus.Collector {
	if m == nil {
		return nil
	}
	gauge := func(name, help string, v func(passwords.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return v(m.Stats()) })
	}
	return []prometheus.Collector{
		gauge("mas_password_hash_pool_capacity", "Password hashes that may run at once.",
			func(s passwords.Stats) float64 { return float64(s.Capacity) }),
		gauge("mas_password_hash_pool_running", "Password hashes running now.",
			func(s passwords.Stats) float64 { return float64(s.Running) }),
		gauge("mas_password_hash_pool_waiting", "Password hashes waiting for a slot.",
			func(s passwords.Stats) float64 { return float64(s.Waiting) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mas_password_hashes_total", Help: "Password hashes computed."},
			func() float64 { return float64(m.Stats().Completed) }),
	}
}
