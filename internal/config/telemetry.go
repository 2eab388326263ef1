package config

// TelemetryConfig is the `telemetry` section.
type TelemetryConfig struct {
	Tracing TracingConfig `yaml:"tracing,omitempty"`
	Metrics MetricsConfig `yaml:"metrics,omitempty"`
	Sentry  SentryConfig  `yaml:"sentry,omitempty"`
}

// DefaultOTLPEndpoint is where OTLP exporters send by default.
const DefaultOTLPEndpoint = "https://localhost:4318"

// TracingConfig configures trace export.
type TracingConfig struct {
	Exporter    TracingExporter `yaml:"exporter,omitempty"`
	Endpoint    string          `yaml:"endpoint,omitempty"`
	Propagators []Propagator    `yaml:"propagators,omitempty"`
	// SampleRate is between 0 and 1; nil means 1.
	SampleRate *float64 `yaml:"sample_rate,omitempty"`
}

// TracingExporter names a trace exporter.
type TracingExporter string

const (
	TracingNone   TracingExporter = "none"
	TracingStdout TracingExporter = "stdout"
	TracingOTLP   TracingExporter = "otlp"
)

func (TracingExporter) enumValues() []string { return []string{"none", "stdout", "otlp"} }

// Propagator is a trace context propagation format.
type Propagator string

func (Propagator) enumValues() []string { return []string{"tracecontext", "baggage", "jaeger"} }

// MetricsConfig configures metrics export.
type MetricsConfig struct {
	Exporter MetricsExporter `yaml:"exporter,omitempty"`
	Endpoint string          `yaml:"endpoint,omitempty"`
}

// MetricsExporter names a metrics exporter; prometheus needs a listener
// with the prometheus resource.
type MetricsExporter string

const (
	MetricsNone       MetricsExporter = "none"
	MetricsStdout     MetricsExporter = "stdout"
	MetricsOTLP       MetricsExporter = "otlp"
	MetricsPrometheus MetricsExporter = "prometheus"
)

func (MetricsExporter) enumValues() []string { return []string{"none", "stdout", "otlp", "prometheus"} }

// SentryConfig configures error reporting to Sentry.
type SentryConfig struct {
	DSN string `yaml:"dsn,omitempty"`
	// Environment defaults to "production".
	Environment string `yaml:"environment,omitempty"`
	// SampleRate defaults to 1 and TracesSampleRate to 0.
	SampleRate       *float64 `yaml:"sample_rate,omitempty"`
	TracesSampleRate *float64 `yaml:"traces_sample_rate,omitempty"`
}

func (t *TelemetryConfig) setDefaults() {
	t.Tracing.setDefaults()
	t.Metrics.setDefaults()
}

func (t *TracingConfig) setDefaults() {
	*t = TracingConfig{Exporter: TracingNone, Endpoint: DefaultOTLPEndpoint}
}

func (m *MetricsConfig) setDefaults() {
	*m = MetricsConfig{Exporter: MetricsNone, Endpoint: DefaultOTLPEndpoint}
}

// Rate returns the trace sample rate.
func (t *TracingConfig) Rate() float64 { return rateOr(t.SampleRate, 1) }

// EnvironmentName returns the Sentry environment.
func (s *SentryConfig) EnvironmentName() string {
	if s.Environment == "" {
		return "production"
	}
	return s.Environment
}

// EventRate returns the Sentry event sample rate.
func (s *SentryConfig) EventRate() float64 { return rateOr(s.SampleRate, 1) }

// TracesRate returns the Sentry transaction sample rate.
func (s *SentryConfig) TracesRate() float64 { return rateOr(s.TracesSampleRate, 0) }

func rateOr(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}

func (t *TelemetryConfig) validate(v *validator) {
	v.absoluteURL("telemetry.tracing.endpoint", t.Tracing.Endpoint)
	v.absoluteURL("telemetry.metrics.endpoint", t.Metrics.Endpoint)
	v.absoluteURL("telemetry.sentry.dsn", t.Sentry.DSN)
	for _, r := range []struct {
		path string
		rate *float64
	}{
		{"telemetry.tracing.sample_rate", t.Tracing.SampleRate},
		{"telemetry.sentry.sample_rate", t.Sentry.SampleRate},
		{"telemetry.sentry.traces_sample_rate", t.Sentry.TracesSampleRate},
	} {
		if r.rate != nil && !(*r.rate >= 0 && *r.rate <= 1) {
			v.add(r.path, "must be between 0 and 1 (found %v)", *r.rate)
		}
	}
}

// Keys of upstream's removed Jaeger and Zipkin exporters, which
// configurations written for older releases still carry.
var oldTracingKeys = []string{"agent_host", "agent_port", "collector_endpoint", "username", "password", "protocol"}

// readLenient maps the removed exporters onto OTLP where that can work:
// Jaeger and Zipkin collectors accept OTLP, so `exporter: jaeger|zipkin`
// becomes otlp and `collector_endpoint` becomes `endpoint` unless one is
// set. The Jaeger agent (UDP) and its credentials have no OTLP
// counterpart and are reported as ignored.
func (t *TracingConfig) readLenient(d *decoder, n *node, path string) *node {
	var consumed []string
	if ex, ok := n.children["exporter"]; ok && ex.kind == kindScalar {
		if name, _ := ex.value.(string); name == "jaeger" || name == "zipkin" {
			t.Exporter = TracingOTLP
			d.notice(ex, joinPath(path, "exporter"),
				"the %s exporter was removed from upstream; exporting OTLP instead, which %s collectors accept", name, name)
			consumed = append(consumed, "exporter")
		}
	}
	for _, k := range oldTracingKeys {
		child, ok := n.children[k]
		if !ok {
			continue
		}
		consumed = append(consumed, k)
		p := joinPath(path, k)
		if k == "collector_endpoint" {
			if _, explicit := n.children["endpoint"]; !explicit {
				if s, ok := child.value.(string); ok && child.kind == kindScalar {
					t.Endpoint = s
					d.notice(child, p, "a key of upstream's removed Jaeger/Zipkin exporters; used as the OTLP endpoint")
					continue
				}
			}
		}
		d.warn(child, p, "a key of upstream's removed Jaeger/Zipkin exporters, with no OTLP counterpart")
	}
	return n.without(consumed...)
}
