package httpserver

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// requestMetrics count and time requests. Labels use the route pattern, never
// the raw path, so that IDs in paths cannot explode the series count.
type requestMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
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
	method = metricMethod(method)
	m.requests.WithLabelValues(listener, route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(listener, route, method).Observe(d.Seconds())
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
