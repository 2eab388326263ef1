package httpserver

import (
	"errors"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// requestMetrics count and time requests. Labels use the route pattern, never
// the raw path, so that IDs in paths cannot explode the series count.
type requestMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	// series caches the children of both vectors per label set, so that a
	// request costs a map lookup instead of hashing four labels twice
	// under the vectors' locks. Copied on write: label sets are few
	// (routes, methods, statuses) and nearly all seen in the first
	// minutes.
	mu     sync.Mutex
	series atomic.Pointer[map[seriesKey]series]
}

type seriesKey struct {
	listener, route, method string
	status                  int
}

type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// requestBuckets extend Prometheus' defaults (5ms to 10s) down to 100µs:
// a cached token introspection answers in well under a millisecond, and
// the defaults would put every such request in the first bucket. Sixteen
// buckets per route keep the series count bounded.
var requestBuckets = append([]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025}, prometheus.DefBuckets...)

func newRequestMetrics(reg prometheus.Registerer) (*requestMetrics, error) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_server_requests_total",
		Help: "HTTP requests served, by listener, route pattern, method and status code.",
	}, []string{"listener", "route", "method", "status"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_server_request_duration_seconds",
		Help:    "Time to serve HTTP requests, by listener and route pattern.",
		Buckets: requestBuckets,
	}, []string{"listener", "route", "method"})

	var err error
	if requests, err = register(reg, requests); err != nil {
		return nil, err
	}
	if duration, err = register(reg, duration); err != nil {
		return nil, err
	}
	return &requestMetrics{requests: requests, duration: duration}, nil
}

// register adds c to reg, reusing an identical collector registered by an
// earlier Server on the same registry (tests, or a restart in-process).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

func (m *requestMetrics) observe(listener, route, method string, status int, d time.Duration) {
	k := seriesKey{listener, route, metricMethod(method), status}
	s, ok := series{}, false
	if cur := m.series.Load(); cur != nil {
		s, ok = (*cur)[k]
	}
	if !ok {
		s = m.add(k)
	}
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
}

// add resolves and caches the children of one label set.
func (m *requestMetrics) add(k seriesKey) series {
	s := series{
		requests: m.requests.WithLabelValues(k.listener, k.route, k.method, strconv.Itoa(k.status)),
		duration: m.duration.WithLabelValues(k.listener, k.route, k.method),
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	next := map[seriesKey]series{}
	if cur := m.series.Load(); cur != nil {
		maps.Copy(next, *cur)
	}
	next[k] = s
	m.series.Store(&next)
	return s
}

// metricMethod keeps the method label bounded: clients may send any token.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
