package httpserver

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/templates"
)

var loadTemplates = sync.OnceValues(func() (*templates.Templates, error) { return templates.Load("") })

// logBuffer collects log output from concurrent request goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond, because the request log line is written after the
// response has reached the client.
func (b *logBuffer) waitFor(t *testing.T, substr string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s := b.String(); strings.Contains(s, substr) {
			return s
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("log never contained %q:\n%s", substr, b.String())
	return ""
}

// startServer fills in test defaults, starts the server and stops it at the
// end of the test.
func startServer(t *testing.T, opts Options) (*Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if opts.Templates == nil {
		tpl, err := loadTemplates()
		if err != nil {
			t.Fatal(err)
		}
		opts.Templates = tpl
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return srv, logs
}

// baseURL is the http URL of the first bind of a listener.
func baseURL(t *testing.T, srv *Server, listener string) string {
	t.Helper()
	addrs := srv.Addrs()[listener]
	if len(addrs) == 0 {
		t.Fatalf("listener %q has no address", listener)
	}
	return "http://" + addrs[0].String()
}

func tcpBind() []Bind { return []Bind{{Address: "127.0.0.1:0"}} }

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, client *http.Client, method, url string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if client == nil {
		client = noRedirectClient(http.DefaultTransport)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(body)}
}

func get(t *testing.T, url string) response { return do(t, nil, http.MethodGet, url, nil) }

func noRedirectClient(rt http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: rt,
		Timeout:   10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func unixClient(path string) *http.Client {
	return noRedirectClient(&http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	})
}

// echoClientIP is a mount that reports what the handler sees.
func echoClientIP(mux *http.ServeMux, _ Resource) {
	mux.HandleFunc("GET /ip", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, clientIPString(r))
	})
}
