package httpserver

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestCORS(t *testing.T) {
	ok := func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "{}") }
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{
			Name:      "web",
			Resources: []Resource{{Name: ResourceHuman}, {Name: ResourceOAuth}, {Name: ResourceGraphQL}},
			Binds:     tcpBind(),
		}},
		Mounts: map[string]MountFunc{
			ResourceHuman: func(mux *http.ServeMux, _ Resource) { mux.HandleFunc("GET /login", ok) },
			ResourceOAuth: func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("POST /oauth2/token", ok)
				mux.HandleFunc("GET /oauth2/keys.json", ok)
			},
			ResourceGraphQL: func(mux *http.ServeMux, _ Resource) { mux.HandleFunc("/graphql", ok) },
		},
	})
	base := baseURL(t, srv, "web")
	preflight := func(method string) http.Header {
		return http.Header{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {method}}
	}

	res := do(t, nil, http.MethodOptions, base+"/oauth2/token", preflight("POST"))
	if res.status != http.StatusOK {
		t.Fatalf("preflight status %d", res.status)
	}
	for k, want := range map[string]string{
		"Access-Control-Allow-Origin":  "*",
		"Access-Control-Allow-Methods": "*",
		"Access-Control-Max-Age":       "3600",
	} {
		if got := res.header.Get(k); got != want {
			t.Errorf("preflight %s = %q, want %q", k, got, want)
		}
	}
	if h := res.header.Get("Access-Control-Allow-Headers"); !strings.Contains(h, "Authorization") || !strings.Contains(h, "X-Requested-With") {
		t.Errorf("Access-Control-Allow-Headers = %q", h)
	}

	if got := get(t, base+"/oauth2/keys.json").header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("simple request ACAO = %q", got)
	}

	res = do(t, nil, http.MethodOptions, base+"/graphql", preflight("POST"))
	if res.status != http.StatusOK || res.header.Get("Access-Control-Max-Age") != "" {
		t.Errorf("graphql preflight: %d max-age %q", res.status, res.header.Get("Access-Control-Max-Age"))
	}
	if h := res.header.Get("Access-Control-Allow-Headers"); strings.Contains(h, "X-Requested-With") {
		t.Errorf("graphql allows X-Requested-With: %q", h)
	}

	// Unknown paths and HTML pages get no CORS treatment.
	res = do(t, nil, http.MethodOptions, base+"/nope", preflight("POST"))
	if res.status != http.StatusNotFound || res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight on unknown path: %d ACAO %q", res.status, res.header.Get("Access-Control-Allow-Origin"))
	}
	if got := get(t, base+"/login").header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("human page ACAO = %q", got)
	}
	res = do(t, nil, http.MethodOptions, base+"/login", preflight("GET"))
	if res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("human preflight ACAO = %q", res.header.Get("Access-Control-Allow-Origin"))
	}
}
