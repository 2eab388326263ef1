package oidc

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRedirectPolicy(t *testing.T) {
	req := func(u string) *http.Request { return httptest.NewRequest(http.MethodGet, u, nil) }
	https := req("https://op.example/a")
	if err := checkRedirect(req("https://op.example/b"), []*http.Request{https}); err != nil {
		t.Errorf("one https redirect: %v", err)
	}
	if err := checkRedirect(req("http://op.example/b"), []*http.Request{https}); err == nil {
		t.Error("https to http redirect followed")
	}
	if err := checkRedirect(req("http://10.0.0.1/b"), []*http.Request{req("http://op.example/a")}); err != nil {
		t.Errorf("redirect to a private address: %v", err)
	}
	via := []*http.Request{https, https, https, https}
	if err := checkRedirect(req("https://op.example/b"), via); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("redirect loop: %v", err)
	}
}

// A discovery document behind a redirect loop is not followed forever.
func TestRedirectLoop(t *testing.T) {
	loop := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.String(), http.StatusFound)
	}))
	defer loop.Close()
	p, err := New(Options{ID: "loop", Issuer: loop.URL, ClientID: "c", TokenEndpointAuthMethod: AuthNone, HTTPClient: loop.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Metadata(t.Context())
	wantKind(t, err, KindUnreachable)
	if !strings.Contains(err.Error(), "redirects") {
		t.Errorf("error %q", err)
	}
}
