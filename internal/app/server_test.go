package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mas/internal/app"
	"mas/internal/config"
)

// testConfig builds a valid configuration on a fresh SQLite database in a
// temporary directory, with the given http section.
func testConfig(t *testing.T, httpSection string) *config.Config {
	t.Helper()
	key, err := filepath.Abs(filepath.Join("testdata", "rsa.pem"))
	if err != nil {
		t.Fatal(err)
	}
	doc := fmt.Sprintf(`secrets:
  encryption: %s
  keys:
    - key_file: %q
matrix:
  homeserver: example.org
  secret: test-matrix-secret
database:
  uri: %q
`, strings.Repeat("0123456789abcdef", 4), key, "sqlite:"+filepath.Join(t.TempDir(), "mas.db")) + httpSection
	cfg, err := config.LoadBytes("test.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("loading the test configuration: %v\n%s", err, doc)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the test configuration is invalid: %v\n%s", err, doc)
	}
	return cfg
}

// startServer opens the app and starts it; the server is stopped and the
// app closed when the test ends, unless the test stopped it itself.
func startServer(t *testing.T, cfg *config.Config, opts app.ServerOptions) *app.Server {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	a, err := app.Open(t.Context(), cfg, logger)
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	srv, err := a.StartServer(t.Context(), opts)
	if err != nil {
		t.Fatalf("StartServer: %v", err)
	}
	t.Cleanup(func() { srv.Stop(context.Background()) })
	return srv
}

// addr returns the one address listener name is bound to.
func addr(t *testing.T, srv *app.Server, name string) string {
	t.Helper()
	addrs := srv.HTTP.Addrs()[name]
	if len(addrs) != 1 {
		t.Fatalf("listener %q is bound to %v, want one address", name, addrs)
	}
	return addrs[0].String()
}

type response struct {
	status      int
	contentType string
	body        string
}

func get(t *testing.T, url string) response {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: string(body)}
}

func wantHealthy(t *testing.T, url string) {
	t.Helper()
	r := get(t, url)
	if r.status != http.StatusOK || r.body != "ok" {
		t.Errorf("GET %s = %d %q, want 200 \"ok\"", url, r.status, r.body)
	}
}

func wantNotFoundPage(t *testing.T, url string) response {
	t.Helper()
	r := get(t, url)
	if r.status != http.StatusNotFound {
		t.Errorf("GET %s = %d, want 404", url, r.status)
	}
	if !strings.HasPrefix(r.contentType, "text/html") || !strings.Contains(r.body, "<html") {
		t.Errorf("GET %s: the 404 is not an HTML page (Content-Type %q):\n%s", url, r.contentType, r.body)
	}
	return r
}

func wantRefused(t *testing.T, address string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", address, 5*time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Stop", address)
	}
}

func TestServerEndToEnd(t *testing.T) {
	cfg := testConfig(t, `http:
  public_base: http://127.0.0.1/
  listeners:
    - name: web
      resources: [{name: human}, {name: discovery}, {name: oauth}, {name: assets}]
      binds: [{address: "127.0.0.1:0"}]
    - name: internal
      resources: [{name: health}]
      binds: [{address: "127.0.0.1:0"}]
`)
	srv := startServer(t, cfg, app.ServerOptions{})
	if srv.Worker == nil {
		t.Error("StartServer did not start the worker")
	}
	web, internal := addr(t, srv, "web"), addr(t, srv, "internal")

	wantHealthy(t, "http://"+internal+"/health")
	page := wantNotFoundPage(t, "http://"+internal+"/no/such/page")
	if !strings.Contains(page.body, "/no/such/page") {
		t.Errorf("the 404 page does not name the path:\n%s", page.body)
	}
	// health is not a resource of web.
	wantNotFoundPage(t, "http://"+web+"/health")
	wantNotFoundPage(t, "http://"+web+"/no/such/page")

	if err := srv.Stop(context.Background()); err != nil {
		t.Errorf("Stop: %v", err)
	}
	wantRefused(t, web)
	wantRefused(t, internal)
}

func TestServerWithoutWorker(t *testing.T) {
	cfg := testConfig(t, `http:
  public_base: http://127.0.0.1/
  listeners:
    - name: internal
      resources: [{name: health}]
      binds: [{address: "127.0.0.1:0"}]
`)
	srv := startServer(t, cfg, app.ServerOptions{NoWorker: true})
	if srv.Worker != nil {
		t.Error("NoWorker: StartServer started a worker")
	}
	wantHealthy(t, "http://"+addr(t, srv, "internal")+"/health")
}

// linkAttr finds the URL attributes of an HTML page.
var linkAttr = regexp.MustCompile(`(?i)\b(?:href|src|action)\s*=\s*["']([^"']*)["']`)

func TestServerUnderPrefix(t *testing.T) {
	// public_base must name the port, so pick a free one first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	base := "http://127.0.0.1:" + strconv.Itoa(port)

	cfg := testConfig(t, fmt.Sprintf(`http:
  public_base: %s/auth/
  listeners:
    - name: web
      prefix: /auth
      resources: [{name: health}, {name: human}, {name: discovery}, {name: assets}]
      binds: [{address: "127.0.0.1:%d"}]
`, base, port))
	srv := startServer(t, cfg, app.ServerOptions{NoWorker: true})
	if got := addr(t, srv, "web"); got != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("web is bound to %s, want port %d", got, port)
	}

	wantHealthy(t, base+"/auth/health")

	for _, path := range []string{"/health", "/auth/no/such/page", "/authx/health"} {
		t.Run(path, func(t *testing.T) {
			page := wantNotFoundPage(t, base+path)
			links := linkAttr.FindAllStringSubmatch(page.body, -1)
			if len(links) == 0 {
				t.Fatalf("the 404 page has no links to check:\n%s", page.body)
			}
			for _, m := range links {
				link := m[1]
				if strings.HasPrefix(link, "#") {
					continue // within the page (the skip link)
				}
				if !strings.HasPrefix(link, "/auth/") && !strings.HasPrefix(link, base+"/auth/") {
					t.Errorf("link %q on the 404 page for %s is outside the /auth/ prefix", link, path)
				}
			}
		})
	}
}

func TestUnservedResources(t *testing.T) {
	cfg := config.Default()
	cfg.HTTP.Listeners = []config.ListenerConfig{
		{Name: "web", Resources: []config.Resource{{Name: config.ResourceHuman}, {Name: config.ResourceGraphQL}, {Name: config.ResourceAssets}}},
		{Name: "internal", Resources: []config.Resource{{Name: config.ResourceHealth}, {Name: config.ResourceAdminAPI}}},
	}
	got := app.UnservedResources(cfg)
	want := []app.UnservedResource{
		{Listener: "web", Resource: "graphql", Paths: []string{"/graphql", "/graphql/playground"}},
		{Listener: "web", Resource: "assets", Paths: []string{"/assets/"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unserved = %+v\nwant %+v", got, want)
	}
}

func TestUnimplementedSettingsAreNamed(t *testing.T) {
	cfg := config.Default()
	if got := app.UnimplementedSettings(cfg); len(got) != 0 {
		t.Errorf("defaults: %v", got)
	}
	cfg.Telemetry.Tracing.Exporter = config.TracingOTLP
	cfg.Telemetry.Metrics.Exporter = config.MetricsOTLP
	cfg.Telemetry.Sentry.DSN = "https://key@sentry.example/1"
	got := app.UnimplementedSettings(cfg)
	if len(got) != 2 {
		t.Errorf("got %v, want the metrics exporter and Sentry", got)
	}
	for _, msg := range got {
		if strings.Contains(msg, "tracing") {
			t.Errorf("traces are exported now, yet named as unimplemented: %q", msg)
		}
	}
}
