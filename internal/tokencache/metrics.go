package tokencache

import "github.com/prometheus/client_golang/prometheus"

// StatsSource is anything with cache counters (every Cache[V]).
type StatsSource interface{ Stats() Stats }

// RegisterMetrics exports a cache's counters to Prometheus as
// mas_introspection_cache_* so the hit rate shows on the prometheus
// resource. The counters are read at scrape time: the hot path only
// increments atomics.
func RegisterMetrics(reg prometheus.Registerer, c StatsSource) error {
	counter := func(name, help string, read func(Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mas_introspection_cache_" + name, Help: help},
			func() float64 { return float64(read(c.Stats())) })
	}
	for _, col := range []prometheus.Collector{
		counter("hits_total", "Introspections answered from memory.", func(s Stats) uint64 { return s.Hits }),
		counter("misses_total", "Introspections that asked the database.", func(s Stats) uint64 { return s.Misses }),
		counter("invalidations_total", "Invalidations received from the store's feed.", func(s Stats) uint64 { return s.Invalidations }),
		counter("evictions_total", "Entries dropped to stay within the size bound.", func(s Stats) uint64 { return s.Evictions }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mas_introspection_cache_entries", Help: "Tokens cached."},
			func() float64 { return float64(c.Stats().Entries) }),
	} {
		if err := reg.Register(col); err != nil {
			return err
		}
	}
	return nil
}
