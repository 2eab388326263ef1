// Package httpserver runs the HTTP listeners: it opens their sockets (TCP,
// unix, inherited descriptors, with optional TLS and PROXY protocol), routes
// each listener's resources, and wraps every request with the cross-cutting
// behaviour handlers rely on: request ID, client address, structured logs,
// metrics, panic recovery and the HTML 404 page.
//
// Handlers themselves live in other packages and are plugged in through
// Options.Mounts, one MountFunc per resource name.
package httpserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"mas/internal/routes"

	"github.com/prometheus/client_golang/prometheus"
)

// Timeouts applied to every connection. Request bodies and responses are
// not bounded here: slow uploads are legitimate, idle sockets are not.
const (
	readHeaderTimeout = 30 * time.Second
	// readTimeout bounds reading a whole request: bodies here are small
	// forms and JSON, so a client trickling one is holding a connection.
	readTimeout = 60 * time.Second
	idleTimeout = 2 * time.Minute
)

// Server serves every configured listener. Create it with New, then Start,
// then Shutdown; it cannot be restarted.
type Server struct {
	logger    *slog.Logger
	listeners []*listener
	security  *securityPolicy

	mu      sync.Mutex
	started bool
	stopped bool
	serving sync.WaitGroup
	failed  chan struct{} // closed on the first unexpected serve error
	allDone chan struct{} // closed when every serve loop has returned
	errOnce sync.Once
	err     error
}

type listener struct {
	cfg     Listener
	handler http.Handler
	bound   []*boundSocket
}

type boundSocket struct {
	bind Bind
	ln   net.Listener
	srv  *http.Server
}

// New checks the options and builds every listener's routes. Nothing is
// bound until Start.
func New(opts Options) (*Server, error) {
	listeners, err := opts.validate()
	if err != nil {
		return nil, fmt.Errorf("http server: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	reg, gatherer := metricsRegistry(opts.Registerer, opts.Gatherer)
	metrics, err := newRequestMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("http server: registering metrics: %w", err)
	}
	random := opts.Rand
	if random == nil {
		random = rand.Reader
	}

	security, err := newSecurityPolicy(opts.Templates, logger)
	if err != nil {
		return nil, fmt.Errorf("http server: %w", err)
	}

	sh := &shared{
		logger:     logger,
		trusted:    opts.TrustedProxies,
		ids:        &requestIDs{rand: random},
		metrics:    metrics,
		tpl:        opts.Templates,
		pageCommon: opts.PageCommon,
		security:   security,
		requestLog: opts.RequestLog,
	}
	mounts := builtinMounts(opts.Health, gatherer, logger)
	for name, m := range opts.Mounts {
		mounts[name] = m
	}

	s := &Server{
		logger:   logger,
		security: security,
		failed:   make(chan struct{}),
		allDone:  make(chan struct{}),
	}
	for _, l := range listeners {
		h, err := buildListenerHandler(sh, l, mounts)
		if err != nil {
			return nil, fmt.Errorf("http server: listener %q: %w", l.Name, err)
		}
		s.listeners = append(s.listeners, &listener{cfg: l, handler: traced(opts.Tracing, h)})
	}
	return s, nil
}

// WarmUp does the work New leaves for the first HTML page (reading the
// templates' inline styles for the pages' Content-Security-Policy), so
// that a caller can run it after Start, off the path to the first answer.
func (s *Server) WarmUp() { s.security.pagePolicies() }

// metricsRegistry picks where metrics go and what /metrics shows.
func metricsRegistry(reg prometheus.Registerer, g prometheus.Gatherer) (prometheus.Registerer, prometheus.Gatherer) {
	if reg == nil {
		if r, ok := g.(prometheus.Registerer); ok {
			reg = r
		}
	}
	if g == nil {
		if gg, ok := reg.(prometheus.Gatherer); ok {
			g = gg
		}
	}
	if reg == nil || g == nil {
		private := prometheus.NewRegistry()
		if reg == nil {
			reg = private
		}
		if g == nil {
			g = private
		}
	}
	return reg, g
}

func buildListenerHandler(sh *shared, l Listener, mounts map[string]MountFunc) (*listenerHandler, error) {
	h := &listenerHandler{shared: sh, name: l.Name, prefix: l.Prefix, exact: &exactRoutes{}}
	for _, res := range l.Resources {
		mount := mounts[res.Name]
		if mount == nil {
			sh.logger.Warn("resource not served by this version; its paths answer 404",
				"listener", l.Name, "resource", res.Name, "paths", strings.Join(routes.ResourcePaths(res.Name), " "))
			continue
		}
		mux := http.NewServeMux()
		if err := safeMount(mount, mux, res); err != nil {
			return nil, fmt.Errorf("resource %q: %w", res.Name, err)
		}
		_, cors := corsFor(res.Name)
		h.resources = append(h.resources, resourceRoute{
			name:    res.Name,
			mux:     mux,
			handler: resourceMiddleware(res.Name, mux),
			cors:    cors,
		})
	}
	return h, nil
}

// safeMount turns the panics ServeMux uses for bad or conflicting patterns
// into an error, so a wiring mistake fails New instead of the process.
func safeMount(mount MountFunc, mux *http.ServeMux, res Resource) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("registering routes: %v", p)
		}
	}()
	mount(mux, res)
	return nil
}

// Start binds every socket of every listener and then serves them in the
// background. If any bind fails, the sockets already opened are closed and
// the error names the listener and bind: the server is either fully up or
// not up at all. ctx bounds the binding and is the parent of request
// contexts (its values, not its cancellation; use Shutdown to stop).
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return errors.New("http server: already started or shut down")
	}

	var opened []net.Listener
	closeAll := func() {
		for _, ln := range opened {
			ln.Close()
		}
		for _, l := range s.listeners {
			l.bound = nil
		}
	}
	for _, l := range s.listeners {
		for _, b := range l.cfg.Binds {
			ln, err := listen(ctx, b)
			if err != nil {
				closeAll()
				return fmt.Errorf("http server: listener %q: %s: %w", l.cfg.Name, b, err)
			}
			opened = append(opened, ln)
			l.bound = append(l.bound, &boundSocket{bind: b, ln: ln})
		}
	}

	s.started = true
	base := context.WithoutCancel(ctx)
	for _, l := range s.listeners {
		for _, bs := range l.bound {
			bs.srv = s.httpServer(base, l, bs)
			s.logger.Info("listening",
				"listener", l.cfg.Name, "bind", bs.bind.String(), "addr", bs.ln.Addr().String(),
				"tls", l.cfg.TLS != nil, "proxy_protocol", l.cfg.ProxyProtocol,
				"prefix", l.cfg.Prefix, "resources", resourceNames(l.cfg.Resources))
			s.serving.Add(1)
			go s.serve(l, bs)
		}
	}
	go func() {
		s.serving.Wait()
		close(s.allDone)
	}()
	return nil
}

func (s *Server) httpServer(base context.Context, l *listener, bs *boundSocket) *http.Server {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(true)

	name, bind := l.cfg.Name, bs.bind
	srv := &http.Server{
		Handler:           l.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		Protocols:         &protocols,
		ErrorLog:          slog.NewLogLogger(s.logger.With("listener", name).Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return withConnInfo(ctx, &connInfo{listener: name, bind: bind, conn: c})
		},
	}
	if l.cfg.TLS != nil {
		srv.TLSConfig = l.cfg.TLS.Clone()
	}
	return srv
}

func (s *Server) serve(l *listener, bs *boundSocket) {
	defer s.serving.Done()
	ln := bs.ln
	if l.cfg.ProxyProtocol {
		ln = withProxyProtocol(ln)
	}
	var err error
	if l.cfg.TLS != nil {
		err = bs.srv.ServeTLS(ln, "", "")
	} else {
		err = bs.srv.Serve(ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		err = fmt.Errorf("http server: listener %q: %s: %w", l.cfg.Name, bs.bind, err)
		s.logger.Error("serving stopped", "listener", l.cfg.Name, "bind", bs.bind.String(), "error", err)
		s.errOnce.Do(func() {
			s.err = err
			close(s.failed)
		})
	}
}

// Wait blocks until a listener stops serving on its own (the error is
// returned) or until Shutdown has stopped them all (nil).
func (s *Server) Wait() error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return errors.New("http server: not started")
	}
	select {
	case <-s.failed:
	case <-s.allDone:
	}
	// Both channels are closed after s.err was written, if it was.
	return s.err
}

// Addrs returns the addresses actually bound, by listener name (useful with
// port 0). It is empty before Start.
func (s *Server) Addrs() map[string][]net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]net.Addr, len(s.listeners))
	for _, l := range s.listeners {
		for _, bs := range l.bound {
			out[l.cfg.Name] = append(out[l.cfg.Name], bs.ln.Addr())
		}
	}
	return out
}

// Shutdown stops accepting connections and waits for in-flight requests to
// finish, until ctx ends; then the remaining connections are closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	var servers []*http.Server
	for _, l := range s.listeners {
		for _, bs := range l.bound {
			servers = append(servers, bs.srv)
		}
	}
	s.mu.Unlock()

	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Go(func() {
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close()
				errs[i] = err
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("http server: shutdown: %w", err)
	}
	return nil
}

func resourceNames(rs []Resource) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return strings.Join(names, ",")
}
