package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"mas/internal/doctor"
	"mas/internal/homeserver/homeservertest"
)

// doctorSecret is the service's shared secret in these tests.
const doctorSecret = "doctor-cli-shared-secret-0123456789"

// doctorDeployment starts a fake homeserver whose token introspection and
// compat login are answered by small stand-ins for the service, and writes
// a configuration pointing at it. hsSecret is the homeserver's secret.
func doctorDeployment(t *testing.T, hsSecret, publicBase string) (hs *homeservertest.Server, cfgs []string) {
	t.Helper()
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/oauth2/introspect":
			if r.Header.Get("Authorization") != "Bearer "+doctorSecret {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
				return
			}
			_, _ = w.Write([]byte(`{"active":false}`))
		case r.Method == http.MethodGet && r.URL.Path == "/_matrix/client/v3/login":
			_, _ = w.Write([]byte(`{"flows":[{"type":"m.login.sso","oauth_aware_preferred":true,` +
				`"org.matrix.msc3824.delegated_oidc_compatibility":true},{"type":"m.login.token"}]}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}`))
		}
	}))
	t.Cleanup(svc.Close)

	hs = homeservertest.New(t, homeservertest.Options{
		ServerName:       "example.org",
		Secret:           hsSecret,
		IntrospectionURL: svc.URL + "/oauth2/introspect",
	})
	if err := hs.RouteCompatTo(svc.URL); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	base := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir)))
	// A second file overrides the matrix section, as deployments split
	// their configuration.
	over := writeFile(t, dir, "doctor.yaml", fmt.Sprintf(`http:
  public_base: %q
matrix:
  homeserver: example.org
  endpoint: %q
  secret: %q
`, publicBase, hs.URL()+"/", doctorSecret))
	return hs, []string{"-c", base, "-c", over}
}

func runDoctor(t *testing.T, hs *homeservertest.Server, cfgs []string, extra ...string) result {
	t.Helper()
	args := append([]string{"doctor"}, cfgs...)
	args = append(args, "--well-known-url", hs.URL())
	r := run(t, append(args, extra...)...)
	for _, s := range []string{doctorSecret, hs.Secret()} {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Errorf("a shared secret was printed:\n%s", r)
		}
	}
	if !strings.HasPrefix(r.stdout, doctor.Intro+"\n") {
		t.Errorf("the output does not start with the intro:\n%s", r)
	}
	return r
}

func countPrefix(out, prefix string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func TestDoctorAllPass(t *testing.T) {
	hs, cfgs := doctorDeployment(t, doctorSecret, "https://auth.example.org/")
	for _, extra := range [][]string{nil, {"--strict"}} {
		r := runDoctor(t, hs, cfgs, extra...)
		mustSucceed(t, r, "doctor "+strings.Join(extra, " "))
		// Six homeserver checks and the mail check (blackhole, nothing needs mail).
		if countPrefix(r.stdout, "✅ ") != 7 || countPrefix(r.stdout, "⚠️ ")+countPrefix(r.stdout, "❌ ") != 0 {
			t.Errorf("want seven passed checks:\n%s", r)
		}
		for _, want := range []string{
			"✅ The issuer https://auth.example.org/ is an HTTPS URL",
			"✅ Homeserver is reachable at " + hs.URL() + "/_matrix/client/versions",
			"✅ The homeserver accepted the shared secret (matrix.secret)",
			"✅ The legacy login API at " + hs.URL() + "/_matrix/client/v3/login is handled by this service",
			"✅ email.transport is blackhole: no mail is sent, and nothing enabled needs any",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("missing %q:\n%s", want, r)
			}
		}
	}
}

// Upstream exits 0 whatever the checks found; --strict turns failures
// (not warnings) into exit code 1.
func TestDoctorStrict(t *testing.T) {
	hs, cfgs := doctorDeployment(t, "homeserver-side-secret-9876543210", "https://auth.example.org/")

	r := runDoctor(t, hs, cfgs)
	mustSucceed(t, r, "doctor without --strict")
	for _, want := range []string{
		"❌ The homeserver at " + hs.URL() + "/_matrix/client/v3/account/whoami answered 503 Service Unavailable",
		"❌ The homeserver at " + hs.URL() + "/_synapse/mas/is_localpart_available rejected the shared secret",
		`       secret: "<the value of matrix.secret>"`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q:\n%s", want, r)
		}
	}

	r = runDoctor(t, hs, cfgs, "--strict")
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1:\n%s", r.code, r)
	}
	if !strings.Contains(r.stderr, "2 of the checks failed") {
		t.Errorf("standard error does not say how many checks failed:\n%s", r)
	}
	if countPrefix(r.stdout, "❌ ") != 2 {
		t.Errorf("want two failed checks:\n%s", r)
	}
}

func TestDoctorStrictIgnoresWarnings(t *testing.T) {
	hs, cfgs := doctorDeployment(t, doctorSecret, "http://auth.example.org/")
	r := runDoctor(t, hs, cfgs, "--strict")
	mustSucceed(t, r, "doctor --strict with warnings only")
	if countPrefix(r.stdout, "⚠️ The issuer") != 1 {
		t.Errorf("want the issuer warning:\n%s", r)
	}
}

func TestDoctorHomeserverDown(t *testing.T) {
	hs, cfgs := doctorDeployment(t, doctorSecret, "https://auth.example.org/")
	hs.Close()
	r := runDoctor(t, hs, cfgs, "--strict")
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1:\n%s", r.code, r)
	}
	if !strings.Contains(r.stdout, "❌ Cannot reach the homeserver at "+hs.URL()+"/_matrix/client/versions") {
		t.Errorf("missing the reachability failure:\n%s", r)
	}
	if strings.Contains(r.stdout, "whoami") || strings.Contains(r.stdout, "is_localpart_available") {
		t.Errorf("checks that need the homeserver ran anyway:\n%s", r)
	}
}

func TestDoctorHelpDocumentsStrict(t *testing.T) {
	r := run(t, "doctor", "--help")
	mustSucceed(t, r, "doctor --help")
	for _, want := range []string{"--strict", "exits 0", "exit with status 1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help does not mention %q:\n%s", want, r)
		}
	}
}

func TestDoctorInvalidServerName(t *testing.T) {
	dir := t.TempDir()
	base := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir)))
	over := writeFile(t, dir, "doctor.yaml", "matrix:\n  homeserver: \"not a host\"\n")
	r := run(t, "doctor", "-c", base, "-c", over)
	mustFail(t, r, "matrix.homeserver")
}
