package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"mas/internal/config"
	"mas/internal/testenv"
)

// metricFamilies are the families the prometheus resource must serve once
// the service has answered a request and finished a job. Append the
// families a new collector adds.
var metricFamilies = []string{
	"http_server_requests_total",
	"http_server_request_duration_seconds",
	// The database pool (collectors.NewDBStatsCollector).
	"go_sql_max_open_connections",
	"go_sql_open_connections",
	"go_sql_in_use_connections",
	"go_sql_wait_count_total",
	// The job queue.
	"jobs_queue_depth",
	"jobs_finished_total",
	// The password hashing pool.
	"mas_password_hash_pool_capacity",
	"mas_password_hash_pool_running",
	"mas_password_hash_pool_waiting",
	"mas_password_hashes_total",
	// The introspection cache.
	"mas_introspection_cache_hits_total",
	"mas_introspection_cache_misses_total",
	"mas_introspection_cache_invalidations_total",
	"mas_introspection_cache_evictions_total",
	"mas_introspection_cache_entries",
}

func TestPrometheusServesPoolAndJobMetrics(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		env := testenv.New(t, testenv.Options{Postgres: postgres, Configure: func(c *config.Config) {
			l := &c.HTTP.Listeners[0]
			l.Resources = append(l.Resources, config.Resource{Name: config.ResourcePrometheus})
		}})
		// Registration enqueues the provisioning job; its run is counted.
		env.RegisterUser("metrics-user", "correct horse battery")
		env.WaitProvisioned("metrics-user")

		// Nothing above went through HTTP, and a scrape is counted once it
		// is answered: the request families appear from the second scrape
		// on, however soon the job finished.
		var body string
		env.Eventually("the job outcome and a counted request in the metrics", func() bool {
			body = scrape(t, env.URL("/metrics"))
			return strings.Contains(body, `jobs_finished_total{kind="`) && strings.Contains(body, `outcome="completed"`) &&
				strings.Contains(body, "\n# TYPE http_server_requests_total ")
		})
		for _, family := range metricFamilies {
			if !strings.Contains(body, "\n# TYPE "+family+" ") {
				t.Errorf("the prometheus resource has no %s family", family)
			}
		}
		for _, state := range []string{"available", "scheduled", "retryable", "running"} {
			if !strings.Contains(body, `jobs_queue_depth{state="`+state+`"}`) {
				t.Errorf("jobs_queue_depth has no %s state", state)
			}
		}
		if !strings.Contains(body, `go_sql_open_connections{db_name="mas"}`) {
			t.Error("the pool metrics are not labelled db_name=mas")
		}
		// Sub-millisecond requests get buckets of their own.
		if !strings.Contains(body, `le="0.0001"`) {
			t.Error("the request latency histogram has no sub-millisecond buckets")
		}
	})
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return "\n" + string(b)
}

// otlpReceiver is an OTLP/HTTP trace collector on 127.0.0.1.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		var msg coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(body, &msg)
		}
		if req.URL.Path != "/v1/traces" || err != nil {
			t.Errorf("OTLP receiver: %s %s: %v", req.Method, req.URL.Path, err)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range msg.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				r.spans = append(r.spans, ss.Spans...)
			}
		}
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Write(out) //nolint:errcheck // test receiver
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *otlpReceiver) received() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

func tracedEnv(t *testing.T, postgres bool, endpoint string, rate float64) *testenv.Env {
	return testenv.New(t, testenv.Options{Postgres: postgres, Configure: func(c *config.Config) {
		c.Telemetry.Tracing = config.TracingConfig{Exporter: config.TracingOTLP, Endpoint: endpoint,
			Propagators: []config.Propagator{"tracecontext"}, SampleRate: &rate}
	}})
}

func TestTracingExportsServerSpanByRouteWithCallerParent(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		receiver := newOTLPReceiver(t)
		env := tracedEnv(t, postgres, receiver.URL, 1)
		const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
		req, _ := http.NewRequest(http.MethodGet, env.URL("/.well-known/openid-configuration"), nil)
		req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()

		wantTrace, _ := hex.DecodeString(traceID)
		wantParent, _ := hex.DecodeString(parentID)
		var found *tracepb.Span
		// The span ends just after the response went out, so flush until
		// it arrives.
		env.Eventually("a span of the caller's trace", func() bool {
			if err := env.App.FlushTraces(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, s := range receiver.received() {
				if bytes.Equal(s.TraceId, wantTrace) {
					found = s
				}
			}
			return found != nil
		})
		if found.Name != "GET /.well-known/openid-configuration" {
			t.Errorf("span name = %q, want the route pattern", found.Name)
		}
		if !bytes.Equal(found.ParentSpanId, wantParent) {
			t.Errorf("parent span = %x, want the caller's %s", found.ParentSpanId, parentID)
		}
		if found.Kind != tracepb.Span_SPAN_KIND_SERVER {
			t.Errorf("span kind = %v, want server", found.Kind)
		}
		attrs := map[string]string{}
		for _, kv := range found.Attributes {
			attrs[kv.Key] = kv.Value.GetStringValue()
		}
		if attrs["http.route"] != "/.well-known/openid-configuration" {
			t.Errorf("http.route = %q", attrs["http.route"])
		}

		// Provisioning calls the homeserver: a client span.
		env.RegisterUser("traced-user", "correct horse battery")
		env.WaitProvisioned("traced-user")
		env.Eventually("a homeserver call's span", func() bool {
			if err := env.App.FlushTraces(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, s := range receiver.received() {
				if s.Kind == tracepb.Span_SPAN_KIND_CLIENT {
					return true
				}
			}
			return false
		})
	})
}

func TestTracingSampleRateZeroSendsNothing(t *testing.T) {
	receiver := newOTLPReceiver(t)
	env := tracedEnv(t, false, receiver.URL, 0)
	for range 5 {
		resp, err := http.Get(env.URL("/.well-known/openid-configuration"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := env.App.FlushTraces(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := receiver.received(); len(got) != 0 {
		t.Errorf("sample_rate 0 exported %d spans", len(got))
	}
}
