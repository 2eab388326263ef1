package httpserver

import (
	"io"
	"net/http"
	"testing"
)

// Requests answered through the exact-route short cut look exactly like
// those routed the long way, and only exact patterns take it.
func TestExactRoutes(t *testing.T) {
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{Name: "web", Resources: []Resource{{Name: ResourceHealth}, {Name: ResourceHuman}, {Name: ResourceOAuth}},
			Binds: tcpBind()}},
		Mounts: map[string]MountFunc{
			ResourceHuman: func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Pattern) })
			},
			ResourceOAuth: func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("POST /oauth2/x", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Pattern) })
				mux.HandleFunc("POST /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.PathValue("id")) })
			},
		},
	})
	web := baseURL(t, srv, "web")
	for range 2 {
		res := do(t, nil, http.MethodPost, web+"/oauth2/x", nil)
		if res.status != http.StatusOK || res.body != "POST /oauth2/x" {
			t.Errorf("POST /oauth2/x = %d %q", res.status, res.body)
		}
		if res.header.Get("Access-Control-Allow-Origin") != "*" || res.header.Get("Content-Security-Policy") != apiPolicy {
			t.Errorf("POST /oauth2/x headers: %v", res.header)
		}
		if res := get(t, web+"/page"); res.status != http.StatusOK || res.body != "GET /page" || res.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET /page = %d %q %v", res.status, res.body, res.header)
		}
		if res := do(t, nil, http.MethodPost, web+"/items/42", nil); res.body != "42" {
			t.Errorf("POST /items/42 = %q", res.body)
		}
		if res := get(t, web+"/oauth2/x"); res.status != http.StatusMethodNotAllowed {
			t.Errorf("GET /oauth2/x = %d", res.status)
		}
		if res := do(t, nil, http.MethodPost, web+"/oauth2%2Fx", nil); res.status != http.StatusNotFound {
			t.Errorf("POST /oauth2%%2Fx = %d", res.status)
		}
		res = do(t, nil, http.MethodOptions, web+"/oauth2/x", http.Header{"Origin": {"https://a.example"}, "Access-Control-Request-Method": {"POST"}})
		if res.status != http.StatusOK || res.header.Get("Access-Control-Allow-Methods") == "" {
			t.Errorf("preflight = %d %v", res.status, res.header)
		}
	}
	h := srv.listeners[0].handler.(*listenerHandler)
	got := map[exactKey]string{}
	for k, v := range *h.exact.m.Load() {
		got[k] = v.pattern
	}
	want := map[exactKey]string{{"POST", "/oauth2/x"}: "POST /oauth2/x", {"GET", "/page"}: "GET /page"}
	if len(got) != len(want) || got[exactKey{"POST", "/oauth2/x"}] != want[exactKey{"POST", "/oauth2/x"}] || got[exactKey{"GET", "/page"}] != "GET /page" {
		t.Errorf("remembered %v, want %v", got, want)
	}
}
