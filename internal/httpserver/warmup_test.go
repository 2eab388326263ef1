package httpserver

import "testing"

// New leaves the pages' style hashes for later: reading them renders every
// template sample, which /health should not wait for.
func TestStylesReadAfterStart(t *testing.T) {
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{Name: "web", Resources: []Resource{{Name: ResourceHealth}}, Binds: tcpBind()}},
	})
	if got := get(t, baseURL(t, srv, "web")+"/health"); got.status != 200 {
		t.Fatalf("/health: %d", got.status)
	}
	if srv.security.pages.Load() != nil {
		t.Fatal("styles were read before any page or WarmUp asked for them")
	}
	srv.WarmUp()
	pages := srv.security.pages.Load()
	if pages == nil || len(pages.styles) == 0 {
		t.Fatalf("after WarmUp: %+v, want the templates' style hashes", pages)
	}
}
