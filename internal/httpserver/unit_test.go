package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
	}
	tests := []struct {
		name   string
		remote string
		unix   bool
		xff    []string
		want   string
	}{
		{"direct client", "198.51.100.1:5000", false, nil, "198.51.100.1"},
		{"untrusted peer ignores header", "198.51.100.1:5000", false, []string{"1.2.3.4"}, "198.51.100.1"},
		{"trusted peer, one hop", "10.0.0.2:5000", false, []string{"203.0.113.5"}, "203.0.113.5"},
		{"right-most untrusted hop wins", "10.0.0.2:5000", false, []string{"6.6.6.6, 203.0.113.5, 10.0.0.3"}, "203.0.113.5"},
		{"several header lines", "10.0.0.2:5000", false, []string{"6.6.6.6", "203.0.113.5"}, "203.0.113.5"},
		{"all hops trusted", "10.0.0.2:5000", false, []string{"10.1.1.1, 10.2.2.2"}, "10.1.1.1"},
		{"garbage hop stops the walk", "10.0.0.2:5000", false, []string{"203.0.113.5, nonsense, 10.0.0.9"}, "10.0.0.9"},
		{"hop with port", "10.0.0.2:5000", false, []string{"203.0.113.5:1234"}, "203.0.113.5"},
		{"ipv6 hop in brackets", "[::1]:5000", false, []string{"[2001:db8::5]"}, "2001:db8::5"},
		{"ipv6 hop with port", "[::1]:5000", false, []string{"[2001:db8::5]:443"}, "2001:db8::5"},
		{"mapped ipv4 peer", "[::ffff:10.0.0.2]:5000", false, []string{"203.0.113.5"}, "203.0.113.5"},
		{"empty header", "10.0.0.2:5000", false, []string{""}, "10.0.0.2"},
		{"unix peer without header", "@", true, nil, ""},
		{"unix peer with header", "@", true, []string{"203.0.113.5"}, "203.0.113.5"},
		{"unparseable peer", "@", false, []string{"203.0.113.5"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got := clientIP(r, tt.unix, trusted)
			gotS := ""
			if got.IsValid() {
				gotS = got.String()
			}
			if gotS != tt.want {
				t.Errorf("clientIP = %q, want %q", gotS, tt.want)
			}
		})
	}
}

func TestAcceptableRequestID(t *testing.T) {
	tests := map[string]bool{
		"abc":                    true,
		"0123-abcd_EF.gh:1/2+3=": true,
		strings.Repeat("x", 64):  true,
		strings.Repeat("x", 65):  false,
		"":                       false,
		"a b":                    false,
		"a\nb":                   false,
		"a\x00":                  false,
		"é":                      false,
	}
	for id, want := range tests {
		if got := acceptableRequestID(id); got != want {
			t.Errorf("acceptableRequestID(%q) = %v", id, got)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestRequestIDFallback(t *testing.T) {
	g := &requestIDs{rand: failingReader{}}
	a, b := g.generate(), g.generate()
	if a == b || !strings.HasPrefix(a, "local-") {
		t.Errorf("fallback IDs %q, %q", a, b)
	}
}

func TestNormalizePrefix(t *testing.T) {
	good := map[string]string{"": "", "/": "", "//": "", "/auth": "/auth", "/auth/": "/auth", "auth": "/auth", "/a/b/": "/a/b"}
	for in, want := range good {
		got, err := normalizePrefix(in)
		if err != nil || got != want {
			t.Errorf("normalizePrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"/a//b", "/a/../b", "/a/./b", "/a?x", "/a#x", "/{x}"} {
		if _, err := normalizePrefix(bad); err == nil {
			t.Errorf("normalizePrefix(%q) accepted", bad)
		}
	}
}

func TestNewRejects(t *testing.T) {
	fd := 3
	neg := -1
	ok := []Bind{{Address: "127.0.0.1:0"}}
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"no listeners", Options{}, "no listeners"},
		{"unknown resource", Options{Listeners: []Listener{{Name: "a", Resources: []Resource{{Name: "nope"}}, Binds: ok}}}, `unknown resource "nope"`},
		{"duplicate resource", Options{Listeners: []Listener{{Name: "a", Resources: []Resource{{Name: "health"}, {Name: "health"}}, Binds: ok}}}, "listed twice"},
		{"duplicate listener", Options{Listeners: []Listener{{Name: "a", Binds: ok}, {Name: "a", Binds: ok}}}, "defined twice"},
		{"no binds", Options{Listeners: []Listener{{Name: "a"}}}, "no binds"},
		{"empty bind", Options{Listeners: []Listener{{Name: "a", Binds: []Bind{{}}}}}, "needs one of"},
		{"two bind forms", Options{Listeners: []Listener{{Name: "a", Binds: []Bind{{Address: ":1", Socket: "/s"}}}}}, "only one of"},
		{"bad port", Options{Listeners: []Listener{{Name: "a", Binds: []Bind{{Host: "x", Port: 70000}}}}}, "out of range"},
		{"mode without socket", Options{Listeners: []Listener{{Name: "a", Binds: []Bind{{Address: ":1", Mode: 0o600}}}}}, "mode only"},
		{"kind without fd", Options{Listeners: []Listener{{Name: "a", Binds: []Bind{{Address: ":1", FDKind: "tcp"}}}}}, "kind only"},
		{"bad fd kind", Options{Listeners: []Listener{{Name: "a", Binds: []Bind{{FD: &fd, FDKind: "udp"}}}}}, "neither tcp nor unix"},
		{"negative fd", Options{Listeners: []Listener{{Name: "a", Binds: []Bind{{FD: &neg}}}}}, "negative"},
		{"bad prefix", Options{Listeners: []Listener{{Name: "a", Prefix: "/a/../b", Binds: ok}}}, "not a clean path"},
		{"tls without cert", Options{Listeners: []Listener{{Name: "a", Binds: ok, TLS: &tls.Config{}}}}, "no certificate"},
		{"mount for unknown resource", Options{Listeners: []Listener{{Name: "a", Binds: ok}}, Mounts: map[string]MountFunc{"humans": func(*http.ServeMux, Resource) {}}}, `unknown resource "humans"`},
		{"nil mount", Options{Listeners: []Listener{{Name: "a", Binds: ok}}, Mounts: map[string]MountFunc{"human": nil}}, "is nil"},
		{"invalid trusted proxy", Options{Listeners: []Listener{{Name: "a", Binds: ok}}, TrustedProxies: []netip.Prefix{{}}}, "trusted proxy"},
		{"conflicting patterns", Options{
			Listeners: []Listener{{Name: "a", Resources: []Resource{{Name: "human"}}, Binds: ok}},
			Mounts: map[string]MountFunc{"human": func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("GET /x", func(http.ResponseWriter, *http.Request) {})
				mux.HandleFunc("GET /x", func(http.ResponseWriter, *http.Request) {})
			}},
		}, `resource "human": registering routes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestMountReceivesResourceOptions(t *testing.T) {
	var got Resource
	_, err := New(Options{
		Listeners: []Listener{{Name: "a", Binds: []Bind{{Address: "127.0.0.1:0"}},
			Resources: []Resource{{Name: ResourceGraphQL, Playground: true}}}},
		Mounts: map[string]MountFunc{ResourceGraphQL: func(_ *http.ServeMux, r Resource) { got = r }},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Playground {
		t.Errorf("mount got %+v", got)
	}
}

func TestDefaultListenerName(t *testing.T) {
	srv, err := New(Options{Listeners: []Listener{{Binds: []Bind{{Address: "127.0.0.1:0"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if _, ok := srv.Addrs()["listener-0"]; !ok {
		t.Errorf("Addrs = %v", srv.Addrs())
	}
}
