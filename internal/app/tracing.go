package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/contrib/propagators/jaeger"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"mas/internal/config"
	"mas/internal/httpserver"
)

// tracing is the trace pipeline telemetry.tracing asks for; nil when the
// exporter is none, and then nothing is wrapped or instrumented.
type tracing struct {
	provider   *sdktrace.TracerProvider
	propagator propagation.TextMapPropagator
}

// serviceName names this service in exported traces, as upstream does.
const serviceName = "matrix-authentication-service"

func newTracing(ctx context.Context, cfg config.TracingConfig) (*tracing, error) {
	var exporter sdktrace.SpanExporter
	var err error
	switch cfg.Exporter {
	case "", config.TracingNone:
		return nil, nil
	case config.TracingStdout:
		exporter, err = stdouttrace.New(stdouttrace.WithWriter(os.Stdout))
	case config.TracingOTLP:
		exporter, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(otlpTracesURL(cfg.Endpoint)))
	default:
		return nil, fmt.Errorf("telemetry.tracing.exporter: unknown exporter %q", cfg.Exporter)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry.tracing: %w", err)
	}
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", serviceName))),
		// A caller's sampling decision is followed, so that a trace is
		// whole or absent; new traces are sampled at sample_rate.
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.Rate()))),
	)
	return &tracing{provider: provider, propagator: propagators(cfg.Propagators)}, nil
}

// otlpTracesURL appends OTLP/HTTP's traces path to an endpoint given as a
// bare collector address (the default https://localhost:4318); an
// endpoint with a path is used as written.
func otlpTracesURL(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Path != "" && u.Path != "/") {
		return endpoint
	}
	u.Path = "/v1/traces"
	return u.String()
}

// propagators builds the configured formats; none configured means the
// OpenTelemetry default, W3C trace context and baggage.
func propagators(names []config.Propagator) propagation.TextMapPropagator {
	if len(names) == 0 {
		return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	var out []propagation.TextMapPropagator
	for _, n := range names {
		switch n {
		case "tracecontext":
			out = append(out, propagation.TraceContext{})
		case "baggage":
			out = append(out, propagation.Baggage{})
		case "jaeger":
			out = append(out, jaeger.Jaeger{})
		}
	}
	return propagation.NewCompositeTextMapPropagator(out...)
}

// server is what the HTTP server needs to trace requests (nil when off).
func (t *tracing) server() *httpserver.Tracing {
	if t == nil {
		return nil
	}
	return &httpserver.Tracing{Provider: t.provider, Propagator: t.propagator}
}

// httpClient is the client for outgoing homeserver calls: a span per call,
// with the trace context propagated. nil (the default client) when off.
func (t *tracing) httpClient() *http.Client {
	if t == nil {
		return nil
	}
	return &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport,
		otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.propagator))}
}

// FlushTraces exports the spans ended so far (tests, and before exit).
func (a *App) FlushTraces(ctx context.Context) error {
	if a.tracing == nil {
		return nil
	}
	return a.tracing.provider.ForceFlush(ctx)
}

// shutdown flushes and stops the exporter.
func (t *tracing) shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}
