package httpserver

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mas/internal/requestctx"
)

func clientIPString(r *http.Request) string {
	ip := requestctx.ClientIP(r.Context())
	if !ip.IsValid() {
		return "unknown"
	}
	return ip.String()
}

func TestHealth(t *testing.T) {
	var failing error
	srv, logs := startServer(t, Options{
		Listeners: []Listener{{Name: "internal", Resources: []Resource{{Name: ResourceHealth}}, Binds: tcpBind()}},
		Health:    func(context.Context) error { return failing },
	})
	base := baseURL(t, srv, "internal")

	res := get(t, base+"/health")
	if res.status != http.StatusOK || res.body != "ok" {
		t.Fatalf("healthy: %d %q", res.status, res.body)
	}

	failing = errors.New("database is down")
	res = get(t, base+"/health")
	if res.status != http.StatusServiceUnavailable {
		t.Fatalf("unhealthy: status %d", res.status)
	}
	if strings.Contains(res.body, "database is down") {
		t.Error("the failure cause leaked into the response")
	}
	logs.waitFor(t, "database is down")
}

func TestNotFoundPage(t *testing.T) {
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{
			Name:      "web",
			Resources: []Resource{{Name: ResourceHealth}, {Name: ResourceDiscovery}, {Name: ResourceOAuth}},
			Binds:     tcpBind(),
		}},
	})
	base := baseURL(t, srv, "web")
	for _, path := range []string{"/nope", "/api/whatever", "/oauth2/nothing", "/"} {
		res := get(t, base+path)
		if res.status != http.StatusNotFound {
			t.Errorf("%s: status %d", path, res.status)
		}
		if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		if !strings.Contains(res.body, "<!DOCTYPE html>") || !strings.Contains(res.body, "Page not found") {
			t.Errorf("%s: body is not the 404 page:\n%s", path, res.body)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{Name: "web", Resources: []Resource{{Name: ResourceHealth}}, Binds: tcpBind()}},
	})
	res := do(t, nil, http.MethodPost, baseURL(t, srv, "web")+"/health", nil)
	if res.status != http.StatusMethodNotAllowed {
		t.Fatalf("status %d, want 405", res.status)
	}
	if allow := res.header.Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("Allow = %q", allow)
	}
}

func TestPrefix(t *testing.T) {
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{
			Name:      "web",
			Prefix:    "/auth/",
			Resources: []Resource{{Name: ResourceHealth}, {Name: ResourceOAuth}},
			Binds:     tcpBind(),
		}},
		Mounts: map[string]MountFunc{
			ResourceOAuth: func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("GET /path", func(w http.ResponseWriter, r *http.Request) {
					io.WriteString(w, r.URL.Path)
				})
			},
		},
	})
	base := baseURL(t, srv, "web")

	if res := get(t, base+"/auth/health"); res.status != http.StatusOK || res.body != "ok" {
		t.Errorf("/auth/health: %d %q", res.status, res.body)
	}
	if res := get(t, base+"/auth/path"); res.body != "/path" {
		t.Errorf("handler saw path %q, want it without the prefix", res.body)
	}
	for _, p := range []string{"/health", "/authhealth", "/auth/nope", "/other/auth/health"} {
		res := get(t, base+p)
		if res.status != http.StatusNotFound || !strings.Contains(res.body, "Page not found") {
			t.Errorf("%s: status %d, want the 404 page", p, res.status)
		}
	}
	res := get(t, base+"/auth?x=1")
	if res.status != http.StatusTemporaryRedirect || res.header.Get("Location") != "/auth/?x=1" {
		t.Errorf("/auth: %d Location %q", res.status, res.header.Get("Location"))
	}
}

func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	tests := []struct {
		name    string
		trusted []netip.Prefix
		xff     string
		want    string
	}{
		{"untrusted peer", nil, "203.0.113.9", "127.0.0.1"},
		{"trusted peer", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "203.0.113.9", "203.0.113.9"},
		{"trusted peer, no header", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "", "127.0.0.1"},
		{"spoofed left hop ignored", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "1.1.1.1, 203.0.113.9", "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := startServer(t, Options{
				Listeners:      []Listener{{Name: "web", Resources: []Resource{{Name: ResourceOAuth}}, Binds: tcpBind()}},
				TrustedProxies: tt.trusted,
				Mounts:         map[string]MountFunc{ResourceOAuth: echoClientIP},
			})
			h := http.Header{}
			if tt.xff != "" {
				h.Set("X-Forwarded-For", tt.xff)
			}
			if res := do(t, nil, http.MethodGet, baseURL(t, srv, "web")+"/ip", h); res.body != tt.want {
				t.Errorf("client IP = %q, want %q", res.body, tt.want)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	var seen string
	srv, logs := startServer(t, Options{
		Listeners: []Listener{{Name: "web", Resources: []Resource{{Name: ResourceOAuth}}, Binds: tcpBind()}},
		Mounts: map[string]MountFunc{ResourceOAuth: func(mux *http.ServeMux, _ Resource) {
			mux.HandleFunc("GET /id", func(w http.ResponseWriter, r *http.Request) {
				seen = requestctx.RequestID(r.Context())
				requestctx.Logger(r.Context()).Info("inside handler")
			})
		}},
	})
	base := baseURL(t, srv, "web")

	res := get(t, base+"/id")
	id := res.header.Get("X-Request-Id")
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
		t.Fatalf("generated request ID %q", id)
	}
	if seen != id {
		t.Errorf("handler saw %q, header says %q", seen, id)
	}
	logs.waitFor(t, "msg=\"inside handler\" request_id="+id)

	if got := get(t, base+"/nope").header.Get("X-Request-Id"); got == "" || got == id {
		t.Errorf("404 response request ID %q", got)
	}

	res = do(t, nil, http.MethodGet, base+"/id", http.Header{"X-Request-Id": {"upstream-abc.123"}})
	if got := res.header.Get("X-Request-Id"); got != "upstream-abc.123" {
		t.Errorf("incoming ID not reused: %q", got)
	}
	for _, bad := range []string{strings.Repeat("a", 65), "has space", "tab\tx", "ünï"} {
		res = do(t, nil, http.MethodGet, base+"/id", http.Header{"X-Request-Id": {bad}})
		if got := res.header.Get("X-Request-Id"); got == bad || got == "" {
			t.Errorf("incoming ID %q: response ID %q", bad, got)
		}
	}
}

func TestRequestLogHasNoSecrets(t *testing.T) {
	srv, logs := startServer(t, Options{
		Listeners: []Listener{{Name: "web", Resources: []Resource{{Name: ResourceHealth}}, Binds: tcpBind()}},
	})
	do(t, nil, http.MethodGet, baseURL(t, srv, "web")+"/health?code=SECRETCODE", http.Header{
		"Authorization": {"Bearer SECRETTOKEN"},
		"Cookie":        {"session=SECRETCOOKIE"},
	})
	out := logs.waitFor(t, `path=/health`)
	for _, secret := range []string{"SECRETCODE", "SECRETTOKEN", "SECRETCOOKIE"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %s:\n%s", secret, out)
		}
	}
	for _, want := range []string{"method=GET", "status=200", `route="GET /health"`, "client_ip=127.0.0.1", "duration=", "request_id="} {
		if !strings.Contains(out, want) {
			t.Errorf("log line lacks %s:\n%s", want, out)
		}
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv, _ := startServer(t, Options{
		Listeners: []Listener{
			{Name: "web", Resources: []Resource{{Name: ResourceHealth}, {Name: ResourceHuman}}, Binds: tcpBind()},
			{Name: "internal", Resources: []Resource{{Name: ResourcePrometheus}}, Binds: tcpBind()},
		},
		Registerer: reg,
		Mounts: map[string]MountFunc{ResourceHuman: func(mux *http.ServeMux, _ Resource) {
			mux.HandleFunc("GET /consent/{grant_id}", func(http.ResponseWriter, *http.Request) {})
			mux.HandleFunc("GET /account/", func(http.ResponseWriter, *http.Request) {})
		}},
	})
	web := baseURL(t, srv, "web")
	get(t, web+"/health")
	get(t, web+"/health")
	get(t, web+"/consent/01AAA")
	get(t, web+"/consent/01BBB")
	get(t, web+"/random/path")
	if res := get(t, web+"/account"); res.status != http.StatusTemporaryRedirect {
		t.Errorf("/account: %d", res.status)
	}
	if res := get(t, web+"/x/../health"); res.status != http.StatusTemporaryRedirect {
		t.Errorf("/x/../health: %d", res.status)
	}

	body := get(t, baseURL(t, srv, "internal")+"/metrics").body
	for _, want := range []string{
		`http_server_requests_total{listener="web",method="GET",route="GET /health",status="200"} 2`,
		`http_server_requests_total{listener="web",method="GET",route="GET /consent/{grant_id}",status="200"} 2`,
		`http_server_requests_total{listener="web",method="GET",route="(not found)",status="404"} 1`,
		`http_server_requests_total{listener="web",method="GET",route="(redirect)",status="307"} 2`,
		`http_server_request_duration_seconds_count{listener="web",method="GET",route="GET /health"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, raw := range []string{"01AAA", "/random/path"} {
		if strings.Contains(body, raw) {
			t.Errorf("raw path %s leaked into metric labels", raw)
		}
	}
}

func TestSecondServerReusesMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := New(Options{Listeners: []Listener{{Binds: tcpBind()}}, Registerer: reg}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHumanFrameOptions(t *testing.T) {
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{Name: "web", Resources: []Resource{{Name: ResourceHuman}, {Name: ResourceOAuth}}, Binds: tcpBind()}},
		Mounts: map[string]MountFunc{
			ResourceHuman: func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("GET /login", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "form") })
				mux.HandleFunc("GET /embeddable", func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("X-Frame-Options", "SAMEORIGIN")
				})
			},
			ResourceOAuth: func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("GET /oauth2/keys.json", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "{}") })
			},
		},
	})
	base := baseURL(t, srv, "web")
	tests := []struct{ path, want string }{
		{"/login", "DENY"},
		{"/embeddable", "SAMEORIGIN"},
		// Every response says it must not be framed, as its CSP does.
		{"/oauth2/keys.json", "DENY"},
		{"/nope", "DENY"},
	}
	for _, tt := range tests {
		if got := get(t, base+tt.path).header.Get("X-Frame-Options"); got != tt.want {
			t.Errorf("%s: X-Frame-Options %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestPanicRecovery(t *testing.T) {
	srv, logs := startServer(t, Options{
		Listeners: []Listener{{Name: "web", Resources: []Resource{{Name: ResourceOAuth}}, Binds: tcpBind()}},
		Mounts: map[string]MountFunc{ResourceOAuth: func(mux *http.ServeMux, _ Resource) {
			mux.HandleFunc("GET /boom", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Set-Cookie", "half=done")
				panic("kaboom")
			})
			mux.HandleFunc("GET /late-boom", func(w http.ResponseWriter, _ *http.Request) {
				w.Write([]byte("partial"))
				http.NewResponseController(w).Flush()
				panic("late kaboom")
			})
		}},
	})
	base := baseURL(t, srv, "web")

	res := get(t, base+"/boom")
	if res.status != http.StatusInternalServerError || !strings.Contains(res.body, "Something went wrong") {
		t.Errorf("panic answered %d:\n%s", res.status, res.body)
	}
	if res.header.Get("Set-Cookie") != "" {
		t.Error("headers staged before the panic were sent")
	}
	if !strings.Contains(res.body, res.header.Get("X-Request-Id")) {
		t.Error("500 page does not show the request ID")
	}
	logs.waitFor(t, "kaboom")

	// Once the response has started, the connection is cut so the client
	// cannot mistake a truncated body for a complete one.
	resp, err := http.Get(base + "/late-boom")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("late panic produced a complete response")
	}
	logs.waitFor(t, "late kaboom")

	// The server is still fine.
	if res := get(t, base+"/nope"); res.status != http.StatusNotFound {
		t.Errorf("after panics: %d", res.status)
	}
}

func TestConnectionInfo(t *testing.T) {
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{Name: "debug", Resources: []Resource{{Name: ResourceConnectionInfo}}, Binds: tcpBind()}},
	})
	body := get(t, baseURL(t, srv, "debug")+"/connection-info").body
	for _, want := range []string{"listener: debug", "bind: address 127.0.0.1:0", "peer: tcp 127.0.0.1:", "client_ip: 127.0.0.1", "proxy_protocol: none", "tls: none", "protocol: HTTP/1.1"} {
		if !strings.Contains(body, want) {
			t.Errorf("connection info lacks %q:\n%s", want, body)
		}
	}
}

func TestWaitAndShutdown(t *testing.T) {
	srv, err := New(Options{Listeners: []Listener{{Name: "web", Binds: tcpBind()}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err == nil {
		t.Error("Wait before Start succeeded")
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
	addr := srv.Addrs()["web"][0].String()

	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Wait after Shutdown = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after Shutdown")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("still listening after Shutdown")
	}
}

func TestNotFoundWithoutTemplates(t *testing.T) {
	srv, err := New(Options{Listeners: []Listener{{Name: "web", Binds: tcpBind()}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	res := get(t, baseURL(t, srv, "web")+"/nope")
	if res.status != http.StatusNotFound || !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
		t.Errorf("got %d %q", res.status, res.header.Get("Content-Type"))
	}
}
