package tokencache

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestMetrics(t *testing.T) {
	e := newEnv(t, Options{MaxEntries: 1})
	reg := prometheus.NewRegistry()
	if err := RegisterMetrics(reg, e.c); err != nil {
		t.Fatal(err)
	}
	e.put("mat_a", time.Time{})
	e.wantHit("mat_a")
	e.wantMiss("mat_b")
	e.put("mat_b", time.Time{}) // evicts mat_a
	e.feed.publish("user", e.id())
	for name, want := range map[string]float64{
		"mas_introspection_cache_hits_total":          1,
		"mas_introspection_cache_misses_total":        1,
		"mas_introspection_cache_evictions_total":     1,
		"mas_introspection_cache_invalidations_total": 1,
		"mas_introspection_cache_entries":             1,
	} {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, mf := range mfs {
			if mf.GetName() == name {
				found = true
				m := mf.GetMetric()[0]
				got := m.GetCounter().GetValue() + m.GetGauge().GetValue()
				if got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
		}
		if !found {
			t.Errorf("%s not exported", name)
		}
	}
}
