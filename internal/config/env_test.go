package config

import (
	"strings"
	"testing"
)

// The MAS_ variables are the base and the files are merged over them, as
// upstream's figment does: a value only in the environment is used, a
// file's value wins over the variable's.
func TestEnvironmentIsTheBase(t *testing.T) {
	l, err := LoadSourcesWith(LoadOptions{Environ: []string{
		"MAS_DATABASE_URI=postgresql://mas@db.example/mas",
		"MAS_MATRIX_HOMESERVER=env.example",
		"MAS_BRANDING_IMPRINT=0123456789",
		"MAS_PASSWORDS_ENABLED=false",
		"MAS_HTTP_LISTENERS=[{name: web, resources: [{name: health}], binds: [{port: 8080}]}]",
		"MAS_CONFIG=/ignored.yaml", "MAS_LOG_LEVEL=debug", "MAS_JOBS_TIMEOUT=5m", "HOME=/root",
	}}, Source{Name: "config.yaml", Data: []byte(minimal)}, Source{Name: "site.yaml", Data: []byte("matrix:\n  homeserver: file.example\nhttp:\n  public_base: https://a.example/\n")})
	if err != nil {
		t.Fatal(err)
	}
	if l.Database.URI != "postgresql://mas@db.example/mas" {
		t.Errorf("database.uri = %q, want the variable's", l.Database.URI)
	}
	if l.Matrix.Homeserver != "file.example" {
		t.Errorf("matrix.homeserver = %q, want the file's", l.Matrix.Homeserver)
	}
	if l.Branding.Imprint != "0123456789" {
		t.Errorf("branding.imprint = %q: a string setting keeps the variable's text", l.Branding.Imprint)
	}
	if l.Passwords.Enabled {
		t.Error("passwords.enabled=false from the environment was not applied")
	}
	if len(l.HTTP.Listeners) != 1 || l.HTTP.Listeners[0].Name != "web" {
		t.Errorf("listeners from a flow list = %+v", l.HTTP.Listeners)
	}
	if len(l.Warnings) != 0 {
		t.Errorf("the CLI's own variables were read as keys: %v", l.Warnings)
	}
}

func TestEnvironmentProblemsNameTheVariable(t *testing.T) {
	_, err := LoadSourcesWith(LoadOptions{Environ: []string{"MAS_CLIENTS=[{client_id: x"}})
	ps := problemsOf(t, err)
	if len(ps) != 1 || ps[0].File != "environment variable MAS_CLIENTS" || !strings.Contains(ps[0].Message, "does not parse") {
		t.Errorf("unparsable value: %v", err)
	}

	_, err = LoadSourcesWith(LoadOptions{Environ: []string{"MAS_HTTP_LISTENERS=5", "MAS_MATRIX__SECRET=x"}})
	ps = problemsOf(t, err)
	if len(ps) != 1 || !strings.Contains(ps[0].String(), "environment variable MAS_MATRIX__SECRET: empty key segment") {
		t.Errorf("empty segment: %v", err)
	}

	_, err = LoadSourcesWith(LoadOptions{Environ: []string{"MAS_HTTP_LISTENERS=5"}})
	if !strings.Contains(err.Error(), "environment variable MAS_HTTP_LISTENERS: http.listeners: expected a sequence, found an integer (5)") {
		t.Errorf("wrong type: %v", err)
	}

	l, err := LoadSourcesWith(LoadOptions{Environ: []string{"MAS_MATRIX_SECRETT=x"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) != 1 || l.Warnings[0].String() != `environment variable MAS_MATRIX_SECRETT: matrix.secrett: unknown key (did you mean "secret"?); ignored` {
		t.Errorf("unknown key from the environment: %v", l.Warnings)
	}
}

// Keys that older upstream releases had are recognised: honoured, mapped
// onto today's settings, or reported as ignored, each with its own message.
func TestKeysOfOlderReleases(t *testing.T) {
	l, err := LoadSourcesWith(LoadOptions{}, Source{Name: "old.yaml", Data: []byte(minimal + `
branding:
  logo_uri: https://example.com/logo.png
telemetry:
  tracing:
    exporter: jaeger
    agent_host: localhost
    agent_port: 6831
    collector_endpoint: http://jaeger.example:4318
    protocol: udp
upstream_oauth2:
  providers:
    - id: 01HFVBY12TMNTYTBV8W921M5FA
      issuer: https://id.example.com/
      client_id: x
      token_endpoint_auth_method: none
      claims_imports:
        email:
          action: force
          set_email_verification: always
`)})
	if err != nil {
		t.Fatal(err)
	}
	if l.Branding.LogoURI != "https://example.com/logo.png" {
		t.Errorf("logo_uri = %q", l.Branding.LogoURI)
	}
	if tr := l.Telemetry.Tracing; tr.Exporter != TracingOTLP || tr.Endpoint != "http://jaeger.example:4318" {
		t.Errorf("tracing = %+v, want OTLP to the collector endpoint", tr)
	}
	if v := l.UpstreamOAuth2.Providers[0].ClaimsImports.Email.Verification(); v != EmailVerificationAlways {
		t.Errorf("set_email_verification = %q", v)
	}
	wantProblem(t, l.Notices, "branding.logo_uri", "honoured here")
	wantProblem(t, l.Notices, "telemetry.tracing.exporter", "exporting OTLP instead")
	wantProblem(t, l.Notices, "telemetry.tracing.collector_endpoint", "used as the OTLP endpoint")
	wantProblem(t, l.Notices, "upstream_oauth2.providers[0].claims_imports.email.set_email_verification", "honoured here")
	for _, k := range []string{"agent_host", "agent_port", "protocol"} {
		wantProblem(t, l.Warnings, "telemetry.tracing."+k, "no OTLP counterpart; ignored")
	}
	if len(l.Warnings) != 3 || len(l.Notices) != 4 {
		t.Errorf("warnings %v\nnotices %v", l.Warnings, l.Notices)
	}
	if err := l.Validate(); err != nil {
		t.Errorf("an old configuration should validate: %v", err)
	}
	// An explicit endpoint wins over the old collector endpoint.
	l, err = LoadSourcesWith(LoadOptions{}, Source{Name: "old.yaml", Data: []byte(minimal + `
telemetry:
  tracing:
    exporter: otlp
    endpoint: http://otel.example:4318
    collector_endpoint: http://jaeger.example:4318
`)})
	if err != nil || l.Telemetry.Tracing.Endpoint != "http://otel.example:4318" {
		t.Fatalf("endpoint = %q, %v", l.Telemetry.Tracing.Endpoint, err)
	}
	wantProblem(t, l.Warnings, "telemetry.tracing.collector_endpoint", "ignored")
}

func TestParseDotEnv(t *testing.T) {
	vars, err := ParseDotEnv(".env", []byte(`# a comment
MAS_DATABASE_URI=postgresql://mas@db/mas
export MAS_MATRIX_SECRET = 'single # not a comment'
PLAIN=value # a comment
EMPTY=
DOUBLE="line one\nwith \"quotes\" and \\ and \$HOME"
MULTI="first
second"

`))
	if err != nil {
		t.Fatal(err)
	}
	want := []EnvVar{
		{"MAS_DATABASE_URI", "postgresql://mas@db/mas"},
		{"MAS_MATRIX_SECRET", "single # not a comment"},
		{"PLAIN", "value"},
		{"EMPTY", ""},
		{"DOUBLE", "line one\nwith \"quotes\" and \\ and $HOME"},
		{"MULTI", "first\nsecond"},
	}
	if len(vars) != len(want) {
		t.Fatalf("got %q", vars)
	}
	for i := range want {
		if vars[i] != want[i] {
			t.Errorf("var %d = %q, want %q", i, vars[i], want[i])
		}
	}

	_, err = ParseDotEnv(".env", []byte("GOOD=1\nno equals sign\n1BAD=x\nQ='open\nD=\"a\\q\"\nT=\"x\" y\n"))
	ps := problemsOf(t, err)
	wantLines := map[int]string{2: "expected NAME=value", 3: "is not a variable name", 4: "unterminated single-quoted", 5: "unknown escape", 6: "unexpected text"}
	if len(ps) != len(wantLines) {
		t.Fatalf("got %v", err)
	}
	for _, p := range ps {
		if p.File != ".env" || !strings.Contains(p.Message, wantLines[p.Line]) {
			t.Errorf("problem %v", p)
		}
	}
}

// A signing algorithm beside a method that signs nothing is harmless:
// upstream refuses it, this implementation warns and ignores it (strict
// mode refuses it again).
func TestSigningAlgorithmWithoutJWT(t *testing.T) {
	doc := []byte(minimal + `
upstream_oauth2:
  providers:
    - id: 01HFVBY12TMNTYTBV8W921M5FA
      issuer: https://id.example.com/
      client_id: x
      client_secret: s
      token_endpoint_auth_method: client_secret_post
      token_endpoint_auth_signing_alg: RS256
`)
	l, err := LoadSourcesWith(LoadOptions{}, Source{Name: "p.yaml", Data: doc})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if alg := l.UpstreamOAuth2.Providers[0].TokenEndpointAuthSigningAlg; alg != "" {
		t.Errorf("the algorithm was kept: %q", alg)
	}
	wantProblem(t, l.Warnings, "upstream_oauth2.providers[0].token_endpoint_auth_signing_alg", `has no effect with the "client_secret_post" method`)
	_, err = LoadSourcesWith(LoadOptions{Strict: true}, Source{Name: "p.yaml", Data: doc})
	wantProblem(t, err, "upstream_oauth2.providers[0].token_endpoint_auth_signing_alg", "has no effect")
}
