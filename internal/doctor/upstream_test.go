package doctor_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"mas/internal/doctor"
)

// discoveryServer serves a discovery document under /realms/main (an
// issuer with a path, as Keycloak's) naming the issuer its callback returns.
func discoveryServer(t *testing.T, issuer func(base string) string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/realms/main/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"` + issuer(srv.URL) + `","authorization_endpoint":"` + srv.URL + `/auth"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Each provider that uses discovery gets one line, after the other
// checks: passed when its document is served with the configured issuer,
// failed when unreachable, missing or naming another issuer (a warning
// only in insecure mode, where logins still work).
func TestUpstreamProviderDiscovery(t *testing.T) {
	good := discoveryServer(t, func(base string) string { return base + "/realms/main" })
	other := discoveryServer(t, func(base string) string { return base + "/realms/main/" })
	unreachable := "http://" + closedPort(t) + "/realms/main"

	d := newDeployment(t, masSecret)
	d.opts.Providers = []doctor.Provider{
		{ID: "01HFVBY12TMNTYTBV8W921M5FA", Name: "Keycloak", Issuer: good.URL + "/realms/main"},
		{ID: "01HFVBY12TMNTYTBV8W921M5FB", Issuer: unreachable},
		{ID: "01HFVBY12TMNTYTBV8W921M5FC", Name: "Strict", Issuer: other.URL + "/realms/main"},
		{ID: "01HFVBY12TMNTYTBV8W921M5FD", Name: "Lax", Issuer: other.URL + "/realms/main", Insecure: true},
		{ID: "01HFVBY12TMNTYTBV8W921M5FE", Name: "Wrong path", Issuer: good.URL + "/realms/other"},
	}
	out, sum := run(t, d.opts)
	got := results(out)
	got = got[len(got)-5:]
	for i, want := range []string{
		"✅ Upstream provider Keycloak (01HFVBY12TMNTYTBV8W921M5FA): the discovery document at " + good.URL +
			"/realms/main/.well-known/openid-configuration is served and names the configured issuer",
		"❌ Upstream provider 01HFVBY12TMNTYTBV8W921M5FB: cannot fetch the discovery document at " + unreachable + "/.well-known/openid-configuration: ",
		"❌ Upstream provider Strict (01HFVBY12TMNTYTBV8W921M5FC): the discovery document names the issuer \"" + other.URL + "/realms/main/\", " +
			"but the configuration says \"" + other.URL + "/realms/main\"",
		"⚠️ Upstream provider Lax (01HFVBY12TMNTYTBV8W921M5FD): the discovery document names the issuer",
		"❌ Upstream provider Wrong path (01HFVBY12TMNTYTBV8W921M5FE): the discovery document at " + good.URL +
			"/realms/other/.well-known/openid-configuration answered 404 Not Found, expected 200",
	} {
		if !strings.HasPrefix(got[i], want) {
			t.Errorf("line %d = %q\nwant prefix %q", i, got[i], want)
		}
	}
	mustContain(t, hintsOf(t, out, "❌ Upstream provider 01HFVBY12TMNTYTBV8W921M5FB"), "discovery_mode: disabled")
	mustContain(t, hintsOf(t, out, "❌ Upstream provider Strict"), "a trailing slash counts", "every login with this provider fails")
	mustContain(t, hintsOf(t, out, "⚠️ Upstream provider Lax"), "discovery_mode is insecure")
	if sum.Passed != resultCount+1 || sum.Failures != 3 || sum.Warnings != 1 {
		t.Errorf("summary = %+v\n%s", sum, out)
	}
}

// Providers are checked in standalone mode too: they do not depend on
// the homeserver.
func TestUpstreamProviderDiscoveryStandalone(t *testing.T) {
	good := discoveryServer(t, func(base string) string { return base + "/realms/main" })
	out, _ := run(t, doctor.Options{Issuer: issuer, ServerName: serverName, Endpoint: "http://127.0.0.1:1/", Standalone: true,
		Providers: []doctor.Provider{{ID: "01HFVBY12TMNTYTBV8W921M5FA", Issuer: good.URL + "/realms/main"}}})
	mustContain(t, out, "✅ Upstream provider 01HFVBY12TMNTYTBV8W921M5FA: the discovery document")
}
