package httpserver

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestTracingNamesSpansByRouteNeverPath(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{Name: "web", Resources: []Resource{{Name: ResourceHuman}}, Binds: tcpBind()}},
		Mounts: map[string]MountFunc{ResourceHuman: func(mux *http.ServeMux, _ Resource) {
			mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, _ *http.Request) {})
			mux.HandleFunc("/plain/{id}", func(w http.ResponseWriter, _ *http.Request) {})
		}},
		Tracing: &Tracing{Provider: provider},
	})
	base := baseURL(t, srv, "web")
	get(t, base+"/users/secret-id-1")
	get(t, base+"/plain/secret-id-2")
	get(t, base+"/nowhere/secret-id-3")

	want := map[string]string{"GET /users/{id}": "/users/{id}", "GET /plain/{id}": "/plain/{id}", "GET": ""}
	// A span ends after its response went out: wait for the third.
	got := spans.GetSpans()
	for deadline := time.Now().Add(10 * time.Second); len(got) < 3 && time.Now().Before(deadline); got = spans.GetSpans() {
		time.Sleep(10 * time.Millisecond)
	}
	if len(got) != 3 {
		t.Fatalf("got %d spans, want 3", len(got))
	}
	for _, s := range got {
		if strings.Contains(s.Name, "secret-id") {
			t.Errorf("span named after the raw path: %q", s.Name)
		}
		route, ok := want[s.Name]
		if !ok {
			t.Errorf("unexpected span %q", s.Name)
			continue
		}
		for _, kv := range s.Attributes {
			if kv.Key == "http.route" && kv.Value.AsString() != route {
				t.Errorf("%s: http.route = %q, want %q", s.Name, kv.Value.AsString(), route)
			}
		}
	}
}

func TestNoTracingMeansNoMiddleware(t *testing.T) {
	srv, err := New(Options{Listeners: []Listener{{Name: "web", Binds: tcpBind()}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.listeners[0].handler.(*listenerHandler); !ok {
		t.Errorf("without tracing the listener is wrapped in %T", srv.listeners[0].handler)
	}
}

// BenchmarkTracing measures what a server span adds to a request that does
// nothing, with tracing off, sampled out, and sampled.
func BenchmarkTracing(b *testing.B) {
	for _, c := range []struct {
		name    string
		tracing *Tracing
	}{
		{"off", nil},
		{"rate0", &Tracing{Provider: sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))}},
		{"rate1", &Tracing{Provider: sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))}},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv, err := New(Options{
				Listeners: []Listener{{Name: "web", Resources: []Resource{{Name: ResourceHuman}}, Binds: tcpBind()}},
				Mounts: map[string]MountFunc{ResourceHuman: func(mux *http.ServeMux, _ Resource) {
					mux.HandleFunc("POST /oauth2/introspect", func(http.ResponseWriter, *http.Request) {})
				}},
				Logger:  slog.New(slog.DiscardHandler),
				Tracing: c.tracing,
			})
			if err != nil {
				b.Fatal(err)
			}
			h := srv.listeners[0].handler
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/oauth2/introspect", nil)
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
