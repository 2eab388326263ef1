package homeservertest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults used when Options leave a field empty.
const (
	DefaultServerName = "example.com"
	DefaultSecret     = "homeservertest-shared-secret"
)

// Options configure a fake homeserver.
type Options struct {
	// ServerName is the homeserver's server_name. Default DefaultServerName.
	ServerName string
	// Secret is the shared secret the service must present on
	// /_synapse/mas/* and that the fake presents when introspecting.
	// Default DefaultSecret.
	Secret string
	// IntrospectionURL is the service's /oauth2/introspect URL. It is often
	// unknown when the fake starts (the service needs the fake's URL first);
	// set it later with SetIntrospectionURL.
	IntrospectionURL string
	// IntrospectionClient sends introspection requests. Default: a client
	// with a 10-second timeout.
	IntrospectionClient *http.Client
	// Now is the clock for the introspection cache. Default time.Now.
	Now func() time.Time
	// ExclusiveUserIDs are application-service exclusive namespaces, matched
	// against full user IDs: is_localpart_available answers M_EXCLUSIVE
	// for them.
	ExclusiveUserIDs []*regexp.Regexp
}

// Server is a running fake homeserver. All methods are safe for concurrent
// use.
type Server struct {
	srv        *httptest.Server
	serverName string
	secret     string
	now        func() time.Time
	exclusive  []*regexp.Regexp
	introspect *introspector
	routes     map[string]route

	mu       sync.Mutex
	users    map[string]*user
	calls    []Call
	down     bool
	hooks    map[string]Hook
	gates    []*Gate
	compat   *httputil.ReverseProxy
	closed   bool
	closeAll chan struct{}
	stop     context.CancelFunc
}

// New starts a fake homeserver and stops it when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s := newServer(opts)
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

func newServer(opts Options) *Server {
	s := &Server{
		serverName: opts.ServerName,
		secret:     opts.Secret,
		now:        opts.Now,
		exclusive:  opts.ExclusiveUserIDs,
		users:      map[string]*user{},
		hooks:      map[string]Hook{},
		closeAll:   make(chan struct{}),
	}
	if s.serverName == "" {
		s.serverName = DefaultServerName
	}
	if s.secret == "" {
		s.secret = DefaultSecret
	}
	if s.now == nil {
		s.now = time.Now
	}
	client := opts.IntrospectionClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.introspect = newIntrospector(ctx, client, s.secret, s.now, opts.IntrospectionURL)
	s.routes = s.routeTable()
	return s
}

// URL is the fake's base URL, without a trailing slash.
func (s *Server) URL() string { return s.srv.URL }

// ServerName is the fake's server_name.
func (s *Server) ServerName() string { return s.serverName }

// Secret is the shared secret the fake expects and presents.
func (s *Server) Secret() string { return s.secret }

// MXID formats a user ID on this server.
func (s *Server) MXID(localpart string) string { return "@" + localpart + ":" + s.serverName }

// SetIntrospectionURL points whoami at the service's introspection endpoint.
func (s *Server) SetIntrospectionURL(u string) { s.introspect.setURL(u) }

// Close releases every held request and stops the server. It is called
// automatically at the end of the test and may be called more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.closeAll)
	s.mu.Unlock()
	s.stop()
	s.srv.Close()
}

// SetDown makes every endpoint answer 503 with a plain-text body, like a
// reverse proxy in front of a stopped homeserver, until SetDown(false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// maxRequestBody bounds what the fake reads, like Synapse's
// max_request_body_size.
const maxRequestBody = 10 << 20

// ServeHTTP records the call, then applies, in order: the outage switch,
// gates, hooks, the compat proxy, and the route itself. It is exported so
// that tests can mount the fake behind their own handler, for example a
// prefix-stripping reverse proxy.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	rec := &statusRecorder{ResponseWriter: w}
	defer func() { s.record(r, body, rec.status) }()

	switch {
	case err != nil:
		writeReply(rec, matrixError(http.StatusBadRequest, "M_UNKNOWN", "Error reading request body."))
		return
	case len(body) > maxRequestBody:
		writeReply(rec, matrixError(http.StatusRequestEntityTooLarge, "M_TOO_LARGE", "Request body too large"))
		return
	}

	s.mu.Lock()
	down := s.down
	hook := s.hooks[r.URL.Path]
	compat := s.compat
	s.mu.Unlock()

	if down {
		rec.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rec.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(rec, "503 Service Unavailable: homeserver is down\n")
		return
	}
	s.waitAtGates(r, body)
	if hook != nil {
		if resp := hook(r, body); resp != nil {
			resp.write(rec)
			return
		}
	}
	if compat != nil && compatPath.MatchString(r.URL.Path) {
		r.Body = io.NopCloser(bytesReader(body))
		r.ContentLength = int64(len(body))
		compat.ServeHTTP(rec, r)
		return
	}

	rt, ok := s.routes[r.URL.Path]
	if !ok && strings.HasPrefix(r.URL.Path, "/_synapse/mas/") {
		// Synapse mounts the MAS API as a plain Twisted resource: an
		// unknown child gets Twisted's HTML page, not a Matrix error.
		noSuchResource(rec)
		return
	}
	if !ok {
		writeReply(rec, unrecognized(http.StatusNotFound))
		return
	}
	h, ok := rt[r.Method]
	if !ok {
		writeReply(rec, unrecognized(http.StatusMethodNotAllowed))
		return
	}
	writeReply(rec, h(r, body))
}

// statusRecorder remembers the status for the call log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Flush lets the compat reverse proxy stream.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
