package synapsetest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync"
)

// front is a reverse proxy on 127.0.0.1 that lives as long as the
// instance, so that the addresses Synapse was configured with stay valid
// while the services behind them come and go.
type front struct {
	*httptest.Server
}

func newFront(h http.Handler) *front { return &front{httptest.NewServer(h)} }

// compatPath is what a deployment's reverse proxy sends to the service
// rather than to Synapse: the legacy login API, which Synapse stops serving
// when it delegates authentication.
var compatPath = regexp.MustCompile(`^/_matrix/client/[^/]+/(login|logout|refresh)(/.*)?$`)

// attachment is the base URL of the service the current test attached.
type attachment struct {
	mu  sync.Mutex
	url *url.URL
}

func (a *attachment) set(u *url.URL) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.url = u
}

func (a *attachment) get() *url.URL {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.url
}

// proxyTo forwards to the URL pick returns at the time of each request, or
// answers 502 when it returns nil.
func proxyTo(pick func() *url.URL, missing string) http.Handler {
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(pick())
		pr.SetXForwarded()
	}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pick() == nil {
			http.Error(w, "synapsetest: "+missing, http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(w, r)
	})
}

// authHandler forwards everything to the attached service.
func (s *Synapse) authHandler() http.Handler {
	return proxyTo(s.service.get, "no service is attached to this Synapse")
}

// clientHandler routes as the seed documentation's reverse proxy does.
func (s *Synapse) clientHandler() http.Handler {
	service := s.authHandler()
	synapse := proxyTo(func() *url.URL {
		u, _ := url.Parse(s.URL())
		return u
	}, "Synapse is not running")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.currentMode() == Delegated && compatPath.MatchString(r.URL.Path) {
			service.ServeHTTP(w, r)
			return
		}
		synapse.ServeHTTP(w, r)
	})
}
