package doctor_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mas/internal/doctor"
	"mas/internal/homeserver/homeservertest"
)

const (
	pathVersions   = "/_matrix/client/versions"
	pathWhoami     = "/_matrix/client/v3/account/whoami"
	pathLogin      = "/_matrix/client/v3/login"
	pathLocalpart  = "/_synapse/mas/is_localpart_available"
	pathWellKnown  = "/.well-known/matrix/client"
	resultCount    = 6
	okIssuer       = "✅ The issuer https://auth.example.org/ is an HTTPS URL"
	warnIssuerHTTP = "⚠️ The issuer in the configuration (http.issuer, else http.public_base) is not an HTTPS URL"
)

func TestAllChecksPass(t *testing.T) {
	d := newDeployment(t, masSecret)
	out, sum := run(t, d.opts)

	u := d.hs.URL()
	want := []string{
		okIssuer,
		"✅ The client well-known document at " + u + pathWellKnown + " points clients to " + u + "/",
		"✅ Homeserver is reachable at " + u + pathVersions,
		"✅ The homeserver at " + u + pathWhoami + " correctly rejected an invalid access token",
		"✅ The homeserver accepted the shared secret (matrix.secret) at " + u + pathLocalpart,
		"✅ The legacy login API at " + u + pathLogin + " is handled by this service",
	}
	got := results(out)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("output:\n%s\nwant result lines:\n%s", out, strings.Join(want, "\n"))
	}
	if strings.Count(out, "\n") != resultCount+1 {
		t.Errorf("passing checks print hints:\n%s", out)
	}
	if sum != (doctor.Summary{Passed: resultCount}) {
		t.Errorf("summary = %+v", sum)
	}

	// The checks really went through the homeserver to the stand-ins.
	if n := d.hs.IntrospectionCalls(); n != 1 {
		t.Errorf("introspection calls = %d, want 1", n)
	}
	c, ok := d.hs.LastCall(pathLocalpart)
	if !ok || c.Status != http.StatusBadRequest || c.Query != "" {
		t.Errorf("is_localpart_available call = %+v, %v; want one without a localpart, answered 400", c, ok)
	}
	c, ok = d.hs.LastCall(pathWhoami)
	if !ok || c.Status != http.StatusUnauthorized {
		t.Errorf("whoami call = %+v, %v; want 401", c, ok)
	}
}

// A homeserver with another secret rejects the service's calls (403) and
// cannot introspect tokens (the service rejects it, so whoami gives 503).
func TestWrongSharedSecret(t *testing.T) {
	d := newDeployment(t, otherSecret)
	out, sum := run(t, d.opts)

	u := d.hs.URL()
	wantResults(t, out,
		okIssuer,
		"✅ The client well-known document",
		"✅ Homeserver is reachable",
		"❌ The homeserver at "+u+pathWhoami+" answered 503 Service Unavailable: "+
			"it was unable to reach the authentication service to validate the token",
		"❌ The homeserver at "+u+pathLocalpart+" rejected the shared secret: "+
			"matrix.secret does not match the homeserver's matrix_authentication_service.secret",
		"✅ The legacy login API",
	)
	if sum.Failures != 2 || sum.Warnings != 0 {
		t.Errorf("summary = %+v", sum)
	}

	// The 503 hint echoes what the homeserver said.
	mustContain(t, hintsOf(t, out, "❌ The homeserver at "+u+pathWhoami),
		`{"errcode":"M_UNKNOWN","error":"Unable to introspect the access token"}`,
		"same shared secret")

	// The secret hint shows both configurations, with a placeholder.
	hint := hintsOf(t, out, "❌ The homeserver at "+u+pathLocalpart)
	mustContain(t, hint,
		"  matrix_authentication_service:\n",
		"    enabled: true\n",
		`    endpoint: "`+issuer+`"`,
		`    secret: "<the value of matrix.secret>"`,
		"  matrix:\n",
		`    homeserver: "`+serverName+`"`,
		`    endpoint: "`+u+`/"`,
	)
}

func TestHomeserverDown(t *testing.T) {
	d := newDeployment(t, masSecret)
	u := d.hs.URL()
	d.hs.Close()

	out, sum := run(t, d.opts)
	wantResults(t, out,
		okIssuer,
		"⚠️ Could not fetch the client well-known document at "+u+pathWellKnown+": ",
		"❌ Cannot reach the homeserver at "+u+pathVersions+": ",
		// whoami and the shared secret are skipped.
		"⚠️ Cannot reach the legacy login API at "+u+pathLogin+": ",
	)
	mustContain(t, out, "connection refused")
	mustContain(t, hintsOf(t, out, "❌ Cannot reach the homeserver"),
		"  matrix:\n", `    homeserver: "example.org"`, `    endpoint: "`+u+`/"`)
	mustContain(t, hintsOf(t, out, "⚠️ Cannot reach the legacy login API"),
		"/_matrix/client/*/login", "/_matrix/client/*/logout", "/_matrix/client/*/refresh")
	if sum != (doctor.Summary{Passed: 1, Warnings: 2, Failures: 1}) {
		t.Errorf("summary = %+v", sum)
	}
}

// A homeserver behind a proxy that answers 503 is not reachable either, and
// the dependent checks do not run.
func TestHomeserverAnswersError(t *testing.T) {
	d := newDeployment(t, masSecret)
	d.hs.SetDown(true)

	out, _ := run(t, d.opts)
	u := d.hs.URL()
	wantResults(t, out,
		okIssuer,
		"⚠️ The client well-known document at "+u+pathWellKnown+" answered 503 Service Unavailable, expected 2xx",
		"❌ The homeserver at "+u+pathVersions+" answered 503 Service Unavailable, expected 2xx",
		"❌ The legacy login API at "+u+pathLogin+" answered 503 Service Unavailable, expected 2xx",
	)
	if d.hs.Calls(pathWhoami) != 0 || d.hs.Calls(pathLocalpart) != 0 {
		t.Error("checks that need a reachable homeserver ran anyway")
	}
}

func TestIssuerNotHTTPS(t *testing.T) {
	d := newDeployment(t, masSecret)
	d.opts.Issuer = "http://auth.example.org/"
	out, sum := run(t, d.opts)
	if got := results(out)[0]; got != warnIssuerHTTP+": http://auth.example.org/" {
		t.Errorf("first result = %q", got)
	}
	mustContain(t, hintsOf(t, out, warnIssuerHTTP), "https://")
	if sum != (doctor.Summary{Passed: 5, Warnings: 1}) {
		t.Errorf("summary = %+v", sum)
	}
}

func TestCompatLogin(t *testing.T) {
	const notOurs = "⚠️ The legacy login API at "
	tests := []struct {
		name string
		// flows, when set, is what the login path answers (instead of
		// the routed stand-in); unrouted leaves login to the homeserver.
		flows    string
		unrouted bool
		want     string
	}{
		{name: "both markers", flows: masLoginFlows, want: "✅"},
		{name: "stable marker only", flows: `{"flows":[{"type":"m.login.sso","oauth_aware_preferred":true}]}`, want: "✅"},
		{name: "unstable marker only", flows: `{"flows":[{"type":"m.login.sso","org.matrix.msc3824.delegated_oidc_compatibility":true}]}`, want: "✅"},
		{name: "synapse's own flows", flows: `{"flows":[{"type":"m.login.password"},{"type":"m.login.sso","identity_providers":[]},{"type":"m.login.token"}]}`, want: notOurs},
		{name: "markers false", flows: `{"flows":[{"type":"m.login.sso","oauth_aware_preferred":false,"org.matrix.msc3824.delegated_oidc_compatibility":false}]}`, want: notOurs},
		{name: "marker as a string", flows: `{"flows":[{"type":"m.login.sso","oauth_aware_preferred":"true"}]}`, want: notOurs},
		{name: "marker on another flow", flows: `{"flows":[{"type":"m.login.password","oauth_aware_preferred":true}]}`, want: notOurs},
		{name: "no flows", flows: `{}`, want: notOurs},
		{name: "not JSON", flows: `<html>login</html>`, want: notOurs},
		{name: "not routed", unrouted: true, want: "❌ The legacy login API at "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDeployment(t, masSecret)
			if tt.unrouted {
				if err := d.hs.RouteCompatTo(""); err != nil {
					t.Fatal(err)
				}
			}
			if tt.flows != "" {
				d.hs.SetHook(pathLogin, func(*http.Request, []byte) *homeservertest.Response {
					return &homeservertest.Response{Status: http.StatusOK, Body: []byte(tt.flows)}
				})
			}
			out, _ := run(t, d.opts)
			got := results(out)
			last := got[len(got)-1]
			if !strings.HasPrefix(last, tt.want) {
				t.Fatalf("compat result = %q, want prefix %q\n%s", last, tt.want, out)
			}
			if tt.want != "✅" {
				mustContain(t, hintsOf(t, out, last), "/_matrix/client/*/login", "reverse proxy")
			}
			if tt.unrouted {
				mustContain(t, last, "answered 404 Not Found")
			}
		})
	}
}

// The compat check goes where clients go: the well-known's base URL, path
// prefix included, not matrix.endpoint.
func TestCompatLoginUsesDiscoveredBaseURL(t *testing.T) {
	d := newDeployment(t, masSecret)
	if err := d.hs.RouteCompatTo(""); err != nil { // not routed internally
		t.Fatal(err)
	}
	public := http.NewServeMux()
	public.Handle("/matrix/", http.StripPrefix("/matrix", d.login.Config.Handler))
	pub := httptest.NewServer(public)
	t.Cleanup(pub.Close)
	wk := jsonServer(t, http.StatusOK, `{"m.homeserver":{"base_url":"`+pub.URL+`/matrix/"}}`)
	d.opts.WellKnownURL = wk.URL

	out, sum := run(t, d.opts)
	wantResults(t, out,
		okIssuer,
		"✅ The client well-known document at "+wk.URL+pathWellKnown+" points clients to "+pub.URL+"/matrix/",
		"✅ Homeserver is reachable",
		"✅ The homeserver at",
		"✅ The homeserver accepted",
		"✅ The legacy login API at "+pub.URL+"/matrix"+pathLogin+" is handled by this service",
	)
	if sum.Passed != resultCount {
		t.Errorf("summary = %+v", sum)
	}
}

// Well-known problems are warnings, and the compat check falls back to
// matrix.endpoint.
func TestWellKnownProblems(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"not found", http.StatusNotFound, `{"errcode":"M_NOT_FOUND"}`, "answered 404 Not Found, expected 2xx"},
		{"not JSON", http.StatusOK, `<html></html>`, "is not valid JSON"},
		{"no m.homeserver", http.StatusOK, `{}`, "has no m.homeserver.base_url"},
		{"no base_url", http.StatusOK, `{"m.homeserver":{}}`, "has no m.homeserver.base_url"},
		{"base_url not a string", http.StatusOK, `{"m.homeserver":{"base_url":42}}`, "has an unusable m.homeserver.base_url"},
		{"base_url relative", http.StatusOK, `{"m.homeserver":{"base_url":"/matrix"}}`, "has an unusable m.homeserver.base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDeployment(t, masSecret)
			wk := jsonServer(t, tt.status, tt.body)
			d.opts.WellKnownURL = wk.URL + "/"
			out, sum := run(t, d.opts)
			wantResults(t, out,
				okIssuer,
				"⚠️ The client well-known document at "+wk.URL+pathWellKnown+" ",
				"✅ Homeserver is reachable",
				"✅ The homeserver at",
				"✅ The homeserver accepted",
				"✅ The legacy login API at "+d.hs.URL()+pathLogin,
			)
			mustContain(t, results(out)[1], tt.want)
			mustContain(t, hintsOf(t, out, "⚠️ The client well-known"), `"m.homeserver"`, `"example.org"`)
			if sum != (doctor.Summary{Passed: 5, Warnings: 1}) {
				t.Errorf("summary = %+v", sum)
			}
		})
	}
}

func TestWhoamiAnswers(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{http.StatusOK, "❌ The homeserver at %s answered 200 OK to an invalid access token"},
		{http.StatusNoContent, "❌ The homeserver at %s answered 204 No Content to an invalid access token"},
		{http.StatusNotModified, "❌ The homeserver at %s answered 304 Not Modified to an invalid access token"},
		{http.StatusForbidden, "⚠️ The homeserver at %s answered 403 Forbidden to an invalid access token, expected 401 Unauthorized"},
		{http.StatusInternalServerError, "⚠️ The homeserver at %s answered 500 Internal Server Error to an invalid access token"},
		{http.StatusBadGateway, "⚠️ The homeserver at %s answered 502 Bad Gateway"},
		{http.StatusServiceUnavailable, "❌ The homeserver at %s answered 503 Service Unavailable: it was unable to reach the authentication service"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			d := newDeployment(t, masSecret)
			d.hs.SetHook(pathWhoami, func(*http.Request, []byte) *homeservertest.Response {
				return homeservertest.MatrixErrorResponse(tt.status, "M_UNKNOWN", "made up")
			})
			out, _ := run(t, d.opts)
			want := strings.Replace(tt.want, "%s", d.hs.URL()+pathWhoami, 1)
			if got := results(out)[3]; !strings.HasPrefix(got, want) {
				t.Fatalf("whoami result = %q, want prefix %q\n%s", got, want, out)
			}
		})
	}
}

func TestSharedSecretAnswers(t *testing.T) {
	tests := []struct {
		name string
		resp *homeservertest.Response
		want string
	}{
		{"integration disabled", homeservertest.MatrixErrorResponse(http.StatusNotFound, "M_UNRECOGNIZED", "Unrecognized request"),
			"answered 404 Not Found: the MAS integration is not enabled on the homeserver"},
		{"missing token", homeservertest.MatrixErrorResponse(http.StatusUnauthorized, "M_MISSING_TOKEN", "Missing access token."),
			"answered 401 Unauthorized when checking the shared secret, expected 400 Bad Request"},
		{"success", &homeservertest.Response{Status: http.StatusOK, Body: []byte(`{}`)},
			"answered 200 OK when checking the shared secret, expected 400 Bad Request"},
		{"server error", homeservertest.MatrixErrorResponse(http.StatusInternalServerError, "M_UNKNOWN", "Internal server error"),
			"answered 500 Internal Server Error when checking the shared secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDeployment(t, masSecret)
			d.hs.SetHook(pathLocalpart, func(*http.Request, []byte) *homeservertest.Response { return tt.resp })
			out, sum := run(t, d.opts)
			got := results(out)[4]
			want := "❌ The homeserver at " + d.hs.URL() + pathLocalpart + " " + tt.want
			if !strings.HasPrefix(got, want) {
				t.Fatalf("shared secret result = %q, want prefix %q\n%s", got, want, out)
			}
			mustContain(t, hintsOf(t, out, got), "matrix_authentication_service:", "<the value of matrix.secret>")
			if sum != (doctor.Summary{Passed: 5, Failures: 1}) {
				t.Errorf("summary = %+v", sum)
			}
		})
	}
}

// The service keeps matrix.endpoint's path when it calls the homeserver;
// the checks must test those same URLs.
func TestEndpointPathPrefix(t *testing.T) {
	d := newDeployment(t, masSecret)
	proxy := httptest.NewServer(http.StripPrefix("/synapse", d.hs))
	t.Cleanup(proxy.Close)
	d.opts.Endpoint = proxy.URL + "/synapse/"

	out, sum := run(t, d.opts)
	p := proxy.URL + "/synapse"
	wantResults(t, out,
		okIssuer,
		"✅ The client well-known document",
		"✅ Homeserver is reachable at "+p+pathVersions,
		"✅ The homeserver at "+p+pathWhoami,
		"✅ The homeserver accepted the shared secret (matrix.secret) at "+p+pathLocalpart,
		"✅ The legacy login API at "+d.hs.URL()+pathLogin, // from the well-known
	)
	if sum.Passed != resultCount {
		t.Errorf("summary = %+v", sum)
	}
}

// Redirects within the same host are followed, and a failure names the URL
// that actually answered; redirects elsewhere are reported, not followed,
// so the shared secret never leaves for another host.
func TestRedirects(t *testing.T) {
	t.Run("same host", func(t *testing.T) {
		d := newDeployment(t, masSecret)
		d.hs.SetDown(true)
		redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, d.hs.URL()+r.URL.Path, http.StatusFound)
		}))
		t.Cleanup(redir.Close)
		d.opts.Endpoint = redir.URL

		out, _ := run(t, d.opts)
		line := "❌ The homeserver at " + redir.URL + pathVersions + " answered 503 Service Unavailable"
		mustContain(t, hintsOf(t, out, line), "the answer came from "+d.hs.URL()+pathVersions)
	})

	t.Run("other host", func(t *testing.T) {
		d := newDeployment(t, masSecret)
		var leaked atomic.Bool
		elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { leaked.Store(true) }))
		t.Cleanup(elsewhere.Close)
		other := strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1)
		redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == pathVersions {
				http.ServeContent(w, r, "", time.Time{}, strings.NewReader(`{"versions":["v1.12"]}`))
				return
			}
			http.Redirect(w, r, other+r.URL.Path, http.StatusTemporaryRedirect)
		}))
		t.Cleanup(redir.Close)
		d.opts.Endpoint = redir.URL

		out, _ := run(t, d.opts)
		wantResults(t, out,
			okIssuer,
			"✅ The client well-known document",
			"✅ Homeserver is reachable at "+redir.URL+pathVersions,
			"❌ Cannot reach the homeserver at "+redir.URL+pathWhoami+": redirected to another host ("+other+pathWhoami+"); not followed",
			"❌ Cannot reach the homeserver's MAS API at "+redir.URL+pathLocalpart+": redirected to another host ("+other+pathLocalpart+"); not followed",
			"✅ The legacy login API", // from the well-known
		)
		if leaked.Load() {
			t.Error("a redirect to another host was followed")
		}
	})
}

func TestTimeout(t *testing.T) {
	d := newDeployment(t, masSecret)
	gate := d.hs.Block(pathVersions, "")
	t.Cleanup(gate.Release)
	d.opts.Timeout = 200 * time.Millisecond

	out, _ := run(t, d.opts)
	mustContain(t, out, "❌ Cannot reach the homeserver at "+d.hs.URL()+pathVersions+": no answer within 200ms")
}

// Whatever the homeserver echoes is printed without the secret and without
// terminal control sequences.
func TestEchoedBodyIsSanitised(t *testing.T) {
	d := newDeployment(t, masSecret)
	d.hs.SetHook(pathWhoami, func(*http.Request, []byte) *homeservertest.Response {
		return &homeservertest.Response{Status: http.StatusServiceUnavailable, ContentType: "text/plain",
			Body: []byte("bad secret " + masSecret + "\x1b[2J\u202eevil")}
	})
	out, _ := run(t, d.opts) // run checks the secret is absent
	mustContain(t, out, "bad secret <redacted>")
	if strings.ContainsAny(out, "\x1b\u202e") {
		t.Errorf("control characters reached the output: %q", out)
	}
}

func TestInvalidOptions(t *testing.T) {
	valid := doctor.Options{Issuer: issuer, ServerName: serverName, Endpoint: "http://localhost:8008/", Secret: masSecret}
	tests := []struct {
		name   string
		change func(*doctor.Options)
		want   string
	}{
		{"no issuer", func(o *doctor.Options) { o.Issuer = "" }, "issuer"},
		{"empty server name", func(o *doctor.Options) { o.ServerName = "" }, "matrix.homeserver"},
		{"server name with a space", func(o *doctor.Options) { o.ServerName = "exa mple.org" }, "matrix.homeserver"},
		{"server name with a scheme", func(o *doctor.Options) { o.ServerName = "https://example.org" }, "matrix.homeserver"},
		{"relative endpoint", func(o *doctor.Options) { o.Endpoint = "/synapse" }, "matrix.endpoint"},
		{"ftp endpoint", func(o *doctor.Options) { o.Endpoint = "ftp://example.org/" }, "matrix.endpoint"},
		{"bad well-known URL", func(o *doctor.Options) { o.WellKnownURL = "example.org" }, "well-known"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid
			tt.change(&o)
			var out strings.Builder
			_, err := doctor.Run(t.Context(), &out, o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("output before the options were checked:\n%s", out.String())
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteError(t *testing.T) {
	d := newDeployment(t, masSecret)
	if _, err := doctor.Run(t.Context(), failingWriter{}, d.opts); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the write error", err)
	}
}

func TestCancelled(t *testing.T) {
	d := newDeployment(t, masSecret)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out strings.Builder
	if _, err := doctor.Run(ctx, &out, d.opts); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled\n%s", err, out.String())
	}
}

// Resources the configuration lists but this version does not serve are
// warnings naming the listener, the resource and the paths that answer 404.
func TestUnservedResources(t *testing.T) {
	d := newDeployment(t, masSecret)
	d.opts.Unserved = []doctor.Unserved{
		{Listener: "web", Resource: "graphql", Paths: []string{"/graphql", "/graphql/playground"}},
		{Listener: "web", Resource: "assets", Paths: []string{"/assets/"}},
	}
	out, sum := run(t, d.opts)
	for _, want := range []string{
		`⚠️ The listener "web" lists the "graphql" resource, which this version does not serve: /graphql, /graphql/playground answer 404`,
		`⚠️ The listener "web" lists the "assets" resource, which this version does not serve: /assets/ answer 404`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if sum.Warnings != 2 || sum.Failures != 0 || sum.Passed != resultCount {
		t.Errorf("summary = %+v", sum)
	}
}
