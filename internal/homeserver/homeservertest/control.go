package homeservertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"sync"
)

// Call is one request the fake received, in arrival order.
type Call struct {
	Method string
	Path   string
	Query  string // raw query string
	// Header is a copy of the request headers without Authorization, so
	// that call logs printed by failing tests never show the secret.
	Header http.Header
	Body   []byte
	// Status is the answer's status code (0 if the handler never wrote one,
	// e.g. a request still held at a gate when the server closed).
	Status int
}

func (s *Server) record(r *http.Request, body []byte, status int) {
	h := r.Header.Clone()
	h.Del("Authorization")
	c := Call{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.RawQuery,
		Header: h,
		Body:   body,
		Status: status,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// Calls counts the requests made to path (e.g.
// "/_synapse/mas/provision_user"), whatever their outcome. Requests still
// being handled are not counted yet.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Path == path {
			n++
		}
	}
	return n
}

// CallLog returns every completed request so far.
func (s *Server) CallLog() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// LastCall returns the most recent completed request to path.
func (s *Server) LastCall(path string) (Call, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.calls) - 1; i >= 0; i-- {
		if s.calls[i].Path == path {
			return s.calls[i], true
		}
	}
	return Call{}, false
}

// ResetCalls forgets the call log.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// Hook intercepts requests to one path before the fake handles them (but
// after the outage switch and gates). Returning nil lets the fake answer;
// a Response is sent instead. A hook may also sleep to simulate a slow
// homeserver. body is the full request body.
type Hook func(r *http.Request, body []byte) *Response

// SetHook installs h for requests to path, replacing any previous hook; a
// nil h removes it.
func (s *Server) SetHook(path string, h Hook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.hooks, path)
		return
	}
	s.hooks[path] = h
}

// Gate holds matching requests until released.
type Gate struct {
	path      string
	localpart string

	arrivedOnce sync.Once
	arrived     chan struct{}
	releaseOnce sync.Once
	released    chan struct{}
}

// Arrived is closed once a matching request is being held.
func (g *Gate) Arrived() <-chan struct{} { return g.arrived }

// Release lets held and future matching requests through. It may be called
// more than once.
func (g *Gate) Release() { g.releaseOnce.Do(func() { close(g.released) }) }

// Block holds every request to path whose localpart (from the JSON body or
// the query) equals localpart, or every request to path if localpart is
// empty, until the returned gate is released or the server closes. A held
// request is processed normally once released, even if its client gave up
// meanwhile, as Synapse finishes writes whose caller disconnected.
func (s *Server) Block(path, localpart string) *Gate {
	g := &Gate{
		path:      path,
		localpart: localpart,
		arrived:   make(chan struct{}),
		released:  make(chan struct{}),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gates = append(s.gates, g)
	return g
}

// BlockProvision holds provision_user calls for localpart until release is
// called. Use Block for the arrival signal.
func (s *Server) BlockProvision(localpart string) (release func()) {
	return s.Block(pathProvisionUser, localpart).Release
}

func (s *Server) waitAtGates(r *http.Request, body []byte) {
	s.mu.Lock()
	var matching []*Gate
	for _, g := range s.gates {
		if g.path == r.URL.Path {
			matching = append(matching, g)
		}
	}
	s.mu.Unlock()
	if len(matching) == 0 {
		return
	}
	lp := requestLocalpart(r, body)
	for _, g := range matching {
		if g.localpart != "" && g.localpart != lp {
			continue
		}
		select {
		case <-g.released:
			continue
		default:
		}
		g.arrivedOnce.Do(func() { close(g.arrived) })
		select {
		case <-g.released:
		case <-s.closeAll:
			return
		}
	}
}

// requestLocalpart finds the localpart a request is about, for gates.
func requestLocalpart(r *http.Request, body []byte) string {
	if lp := r.URL.Query().Get("localpart"); lp != "" {
		return lp
	}
	var b struct {
		Localpart string `json:"localpart"`
	}
	_ = json.Unmarshal(body, &b)
	return b.Localpart
}

// compatPath matches the client-API paths a reverse proxy sends to the
// service rather than to Synapse.
var compatPath = regexp.MustCompile(`^/_matrix/client/[^/]+/(login|logout|refresh)(/.*)?$`)

// RouteCompatTo reverse-proxies /_matrix/client/*/login, /logout and
// /refresh (and their sub-paths) to target, the service's compat listener,
// the way a correctly configured deployment does. Without it those paths
// answer 404 M_UNRECOGNIZED like a Synapse that delegates auth and has no
// proxy rule. An empty target removes the route.
func (s *Server) RouteCompatTo(target string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if target == "" {
		s.compat = nil
		return nil
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("homeservertest: invalid compat target %q", target)
	}
	s.compat = httputil.NewSingleHostReverseProxy(u)
	return nil
}
