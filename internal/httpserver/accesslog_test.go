package httpserver

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"mas/internal/routes"
)

func TestRequestLogLevel(t *testing.T) {
	introspect := "POST " + routes.OAuth2Introspection
	health := "GET " + routes.Health
	fast, slow := time.Millisecond, slowRequest
	for _, c := range []struct {
		mode   RequestLog
		route  string
		status int
		d      time.Duration
		want   slog.Level
	}{
		{RequestLogDefault, health, 200, fast, slog.LevelDebug},
		{RequestLogDefault, introspect, 200, fast, slog.LevelDebug},
		{RequestLogDefault, introspect, 401, fast, slog.LevelInfo},
		{RequestLogDefault, introspect, 200, slow, slog.LevelInfo},
		{RequestLogDefault, health, 500, fast, slog.LevelError},
		{RequestLogDefault, "GET /login", 200, fast, slog.LevelInfo},
		{RequestLogDefault, routeNotFound, 404, fast, slog.LevelInfo},
		{RequestLogAll, health, 200, fast, slog.LevelInfo},
		{RequestLogAll, introspect, 200, fast, slog.LevelInfo},
		{RequestLogErrors, "GET /login", 200, fast, slog.LevelDebug},
		{RequestLogErrors, routeNotFound, 404, fast, slog.LevelDebug},
		{RequestLogErrors, "GET /login", 200, slow, slog.LevelInfo},
		{RequestLogErrors, "GET /login", 502, fast, slog.LevelError},
	} {
		if got := c.mode.requestLevel(c.route, c.status, c.d); got != c.want {
			t.Errorf("mode %d, %s → %d in %v: level %v, want %v", c.mode, c.route, c.status, c.d, got, c.want)
		}
	}
}

func TestParseRequestLog(t *testing.T) {
	for in, want := range map[string]RequestLog{"": RequestLogDefault, "default": RequestLogDefault, "ALL": RequestLogAll, " errors ": RequestLogErrors} {
		if got, err := ParseRequestLog(in); err != nil || got != want {
			t.Errorf("ParseRequestLog(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseRequestLog("verbose"); err == nil {
		t.Error("ParseRequestLog(verbose) accepted")
	}
}

// requestLogLines starts a server logging at level with the given mode,
// sends the requests and returns the "http request" lines by path.
func requestLogLines(t *testing.T, mode RequestLog, level slog.Level, paths ...string) map[string]string {
	t.Helper()
	logs := &logBuffer{}
	srv, _ := startServer(t, Options{
		Listeners:  []Listener{{Name: "web", Resources: []Resource{{Name: ResourceHealth}, {Name: ResourceOAuth}}, Binds: tcpBind()}},
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level})),
		RequestLog: mode,
		Mounts: map[string]MountFunc{ResourceOAuth: func(mux *http.ServeMux, _ Resource) {
			mux.HandleFunc("GET "+routes.OAuth2Introspection, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Has("fail") {
					w.WriteHeader(http.StatusUnauthorized)
				}
			})
			mux.HandleFunc("GET /marker", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadGateway)
			})
		}},
	})
	base := baseURL(t, srv, "web")
	for _, p := range paths {
		get(t, base+p)
	}
	// A final request that every mode logs: once its line is there, the
	// lines of the requests before it on the same connection are too.
	get(t, base+"/marker")
	logs.waitFor(t, "path=/marker")
	lines := map[string]string{}
	for _, l := range strings.Split(logs.String(), "\n") {
		if m := regexp.MustCompile(` path=(\S+)`).FindStringSubmatch(l); m != nil && strings.Contains(l, `msg="http request"`) {
			lines[m[1]] = l
		}
	}
	return lines
}

func TestRequestLogDefaultLeavesOutHealthAndIntrospection(t *testing.T) {
	introspect := routes.OAuth2Introspection
	lines := requestLogLines(t, RequestLogDefault, slog.LevelInfo, routes.Health, introspect, "/nothing-here")
	for _, quiet := range []string{routes.Health, introspect} {
		if l, ok := lines[quiet]; ok {
			t.Errorf("successful %s logged at info: %s", quiet, l)
		}
	}
	if _, ok := lines["/nothing-here"]; !ok {
		t.Errorf("404 not logged: %v", lines)
	}

	// A failed introspection is logged.
	failing := requestLogLines(t, RequestLogDefault, slog.LevelInfo, introspect+"?fail")
	if l := failing[introspect]; !strings.Contains(l, "status=401") || !strings.Contains(l, "level=INFO") {
		t.Errorf("failed introspection: %q", l)
	}
}

// At debug level every request is logged, the quiet ones at debug.
func TestRequestLogDebugLevelShowsEverything(t *testing.T) {
	lines := requestLogLines(t, RequestLogDefault, slog.LevelDebug, routes.Health)
	if l := lines[routes.Health]; !strings.Contains(l, "level=DEBUG") || !strings.Contains(l, "request_id=") {
		t.Errorf("health at debug level: %q", l)
	}
}

func TestRequestLogAll(t *testing.T) {
	lines := requestLogLines(t, RequestLogAll, slog.LevelInfo, routes.Health)
	if l := lines[routes.Health]; !strings.Contains(l, "level=INFO") {
		t.Errorf("health with RequestLogAll: %q", l)
	}
}

func TestRequestLogErrors(t *testing.T) {
	lines := requestLogLines(t, RequestLogErrors, slog.LevelInfo, routes.Health, "/nothing-here")
	delete(lines, "/marker")
	if len(lines) != 0 {
		t.Errorf("RequestLogErrors logged requests that did not fail on the server: %v", lines)
	}
}

func TestRequestLoggerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewTextHandler(&buf, nil)).With("component", "x")
	l := requestLogger(base, "abc")
	l.Info("one", "k", 1)
	l.With("a", 2).Info("two")
	l.WithGroup("g").Info("three", "k", 3)
	want := []string{
		`msg=one component=x request_id=abc k=1`,
		`msg=two component=x a=2 request_id=abc`,
		`msg=three component=x request_id=abc g.k=3`,
	}
	for _, w := range want {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("log lacks %q:\n%s", w, buf.String())
		}
	}
}

// Building the per-request logger must stay cheap: it runs on every
// request, logged or not.
func TestRequestLoggerAllocations(t *testing.T) {
	base := slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))
	if n := testing.AllocsPerRun(100, func() { _ = requestLogger(base, "abc") }); n > 2 {
		t.Errorf("requestLogger: %v allocations, want at most 2", n)
	}
}

// A request left out of the log costs no allocation: the level is decided
// before any attribute is built.
func TestRequestLogLeftOutAllocatesNothing(t *testing.T) {
	h := &listenerHandler{shared: &shared{
		logger: slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil)),
	}, name: "web"}
	w := &responseRecorder{status: http.StatusOK, wroteHeader: true}
	r, err := http.NewRequest(http.MethodPost, "http://x"+routes.OAuth2Introspection, nil)
	if err != nil {
		t.Fatal(err)
	}
	info := &requestInfo{path: routes.OAuth2Introspection, route: "POST " + routes.OAuth2Introspection}
	ctx := r.Context()
	if n := testing.AllocsPerRun(100, func() {
		h.logRequest(ctx, w, r, info, info.route, "id", netip.Addr{}, time.Millisecond)
	}); n != 0 {
		t.Errorf("left-out request line: %v allocations, want 0", n)
	}
}
