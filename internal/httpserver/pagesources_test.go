package httpserver

import (
	"io"
	"net/http"
	"slices"
	"testing"

	"mas/internal/requestctx"
	"mas/internal/templates"
)

// TestPageSourcesExtendOnlyThatPage: a handler that embeds a third-party
// widget adds its origins to its own page's policy; the other pages keep
// the common policy, a JSON answer keeps the API policy, and sources that
// could break out of their directive are dropped.
func TestPageSourcesExtendOnlyThatPage(t *testing.T) {
	tpl, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	widget := requestctx.PageSources{
		Script:  []string{"https://widget.example", "https://cdn.widget.example/js/"},
		Frame:   []string{"https://widget.example"},
		Style:   []string{"https://widget.example"},
		Connect: []string{"https://api.widget.example", "https://evil.example; script-src *", "'unsafe-inline'", "*", "http://plain.example"},
	}
	page := func(w http.ResponseWriter) {
		if err := tpl.Respond(w, http.StatusOK, templates.PageLogin, templates.LoginPage{}.Sample()[0]); err != nil {
			t.Error(err)
		}
	}
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{Name: "web", Resources: []Resource{{Name: ResourceHuman}, {Name: ResourceOAuth}}, Binds: tcpBind()}},
		Templates: tpl,
		Mounts: map[string]MountFunc{
			ResourceHuman: func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("GET /widget", func(w http.ResponseWriter, r *http.Request) {
					if !requestctx.AllowPageSources(r.Context(), widget) {
						t.Error("AllowPageSources found no holder under the HTTP layer")
					}
					page(w)
				})
				mux.HandleFunc("GET /plain", func(w http.ResponseWriter, _ *http.Request) { page(w) })
			},
			ResourceOAuth: func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) {
					requestctx.AllowPageSources(r.Context(), widget)
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, "{}")
				})
			},
		},
	})
	base := baseURL(t, srv, "web")
	common := srv.listeners[0].handler.(*listenerHandler).security.pagePolicies().withFormCheck

	if got := get(t, base+"/plain").header.Get("Content-Security-Policy"); got != common {
		t.Errorf("plain page policy\n got %q\nwant %q", got, common)
	}
	if got := get(t, base+"/json").header.Get("Content-Security-Policy"); got != apiPolicy {
		t.Errorf("JSON policy %q, want the API policy", got)
	}

	res := get(t, base+"/widget")
	got := directives(t, res.header.Get("Content-Security-Policy"))
	want := directives(t, common)
	want["script-src"] = widget.Script
	want["frame-src"] = widget.Frame
	want["style-src"] = append(want["style-src"], widget.Style...)
	want["connect-src"] = []string{"https://api.widget.example"}
	for name, sources := range want {
		if !slices.Equal(got[name], sources) {
			t.Errorf("widget page %s = %q, want %q", name, got[name], sources)
		}
	}
	if len(got) != len(want) {
		t.Errorf("widget page directives %v, want %v", got, want)
	}
	checkStylesAllowed(t, "widget page", res.header.Get("Content-Security-Policy"), []byte(res.body))
}

// TestAllowPageSourcesOutsideTheHTTPLayer: without a holder (a handler
// test), adding sources is a no-op that says so.
func TestAllowPageSourcesOutsideTheHTTPLayer(t *testing.T) {
	if requestctx.AllowPageSources(t.Context(), requestctx.PageSources{Script: []string{"https://x.example"}}) {
		t.Error("AllowPageSources reported success without a holder")
	}
}
