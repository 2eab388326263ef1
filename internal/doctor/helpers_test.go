package doctor_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"mas/internal/doctor"
	"mas/internal/homeserver/homeservertest"
)

const (
	// masSecret is the shared secret in the service's configuration.
	masSecret = "mas-side-shared-secret-0123456789"
	// otherSecret is a homeserver secret that does not match it.
	otherSecret = "synapse-side-shared-secret-9876543210"
	serverName  = "example.org"
	issuer      = "https://auth.example.org/"
)

// masLoginFlows is what the service's compatibility login API answers.
const masLoginFlows = `{"flows":[{"type":"m.login.password"},` +
	`{"type":"m.login.sso","oauth_aware_preferred":true,"org.matrix.msc3824.delegated_oidc_compatibility":true},` +
	`{"type":"m.login.token"}]}`

// introspectionStandIn plays the service's /oauth2/introspect for the
// homeserver: it authenticates the homeserver with the service's secret
// and knows no token at all.
func introspectionStandIn(t *testing.T, secret string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.URL.Path != "/oauth2/introspect" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":"not_found"}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+secret {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		_, _ = w.Write([]byte(`{"active":false}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// loginStandIn plays the service's compat listener: GET login answers the
// service's flows.
func loginStandIn(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/_matrix/client/v3/login") {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}`))
			return
		}
		_, _ = w.Write([]byte(masLoginFlows))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// deployment is a fake homeserver wired to stand-ins for the service, and
// the doctor options describing it.
type deployment struct {
	hs    *homeservertest.Server
	login *httptest.Server
	opts  doctor.Options
}

// newDeployment sets up a correctly configured deployment, except that the
// homeserver uses hsSecret, which the test may make differ from masSecret.
func newDeployment(t *testing.T, hsSecret string) *deployment {
	t.Helper()
	intro := introspectionStandIn(t, masSecret)
	hs := homeservertest.New(t, homeservertest.Options{
		ServerName:       serverName,
		Secret:           hsSecret,
		IntrospectionURL: intro.URL + "/oauth2/introspect",
	})
	login := loginStandIn(t)
	if err := hs.RouteCompatTo(login.URL); err != nil {
		t.Fatal(err)
	}
	return &deployment{
		hs:    hs,
		login: login,
		opts: doctor.Options{
			Issuer:       issuer,
			ServerName:   serverName,
			Endpoint:     hs.URL() + "/",
			Secret:       masSecret,
			WellKnownURL: hs.URL(),
		},
	}
}

// run runs the doctor and checks what every run must satisfy: the intro
// comes first and no secret is ever printed.
func run(t *testing.T, opts doctor.Options) (string, doctor.Summary) {
	t.Helper()
	var out bytes.Buffer
	sum, err := doctor.Run(t.Context(), &out, opts)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	s := out.String()
	if !strings.HasPrefix(s, doctor.Intro+"\n") {
		t.Errorf("the output does not start with the intro:\n%s", s)
	}
	for _, secret := range []string{masSecret, otherSecret} {
		if strings.Contains(s, secret) {
			t.Errorf("the output contains a shared secret:\n%s", s)
		}
	}
	return s, sum
}

// results returns the result lines (✅, ⚠️, ❌), without their hints.
func results(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		for _, m := range []string{"✅ ", "⚠️ ", "❌ "} {
			if strings.HasPrefix(l, m) {
				lines = append(lines, l)
			}
		}
	}
	return lines
}

// hintsOf returns the hint lines printed under the result line that starts
// with prefix.
func hintsOf(t *testing.T, out, prefix string) string {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		var b strings.Builder
		for _, h := range lines[i+1:] {
			if h != "" && !strings.HasPrefix(h, "   ") {
				break
			}
			b.WriteString(h)
			b.WriteByte('\n')
		}
		return b.String()
	}
	t.Fatalf("no line starts with %q:\n%s", prefix, out)
	return ""
}

// wantResults compares the result lines with want, where each entry is a
// prefix of the corresponding line.
func wantResults(t *testing.T, out string, want ...string) {
	t.Helper()
	got := results(out)
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Fatalf("result lines:\n  %s\nwant lines starting with:\n  %s\nfull output:\n%s",
			strings.Join(got, "\n  "), strings.Join(want, "\n  "), out)
	}
}

func mustContain(t *testing.T, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("missing %q in:\n%s", w, s)
		}
	}
}

// jsonServer answers every request with status and body.
func jsonServer(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}
