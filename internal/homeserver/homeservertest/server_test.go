package homeservertest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"mas/internal/homeserver/homeservertest"
)

func TestMASEndpointsAuthenticateFirst(t *testing.T) {
	s := newFake(t)
	endpoints := []struct{ method, name string }{
		{http.MethodGet, "query_user"},
		{http.MethodGet, "is_localpart_available"},
		{http.MethodPost, "provision_user"},
		{http.MethodPost, "upsert_device"},
		{http.MethodPost, "update_device_display_name"},
		{http.MethodPost, "delete_device"},
		{http.MethodPost, "sync_devices"},
		{http.MethodPost, "delete_user"},
		{http.MethodPost, "reactivate_user"},
		{http.MethodPost, "set_displayname"},
		{http.MethodPost, "unset_displayname"},
		{http.MethodPost, "allow_cross_signing_reset"},
	}
	for _, e := range endpoints {
		t.Run(e.name, func(t *testing.T) {
			path := "/_synapse/mas/" + e.name
			// Missing credentials come before body validation.
			a := call(t, s, e.method, path, "", "not json")
			expect(t, a, http.StatusUnauthorized, "M_MISSING_TOKEN")

			a = call(t, s, e.method, path, "wrong", "not json")
			expect(t, a, http.StatusForbidden, "M_UNKNOWN")
			if a.message() != "This endpoint must only be called by MAS" {
				t.Errorf("message %q", a.message())
			}

			// The access_token query parameter is accepted like the header.
			a = call(t, s, e.method, path+"?access_token=wrong", "", "")
			expect(t, a, http.StatusForbidden, "M_UNKNOWN")
		})
	}
}

func TestMalformedAuthorizationHeader(t *testing.T) {
	s := newFake(t)
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/_synapse/mas/query_user?localpart=a", nil)
	req.Header.Set("Authorization", "Basic Zm9vOmJhcg==")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	s := newFake(t)
	expect(t, mas(t, s, http.MethodGet, "provision_user", ""), http.StatusMethodNotAllowed, "M_UNRECOGNIZED")
	// An unknown child of /_synapse/mas gets Twisted's HTML page, as on
	// Synapse (found by the contract test against real Synapse).
	a := mas(t, s, http.MethodGet, "nope", "")
	if a.status != http.StatusNotFound || !strings.Contains(string(a.raw), "No Such Resource") {
		t.Fatalf("unknown MAS endpoint = %d %s", a.status, a.raw)
	}
	// Synapse delegating auth has no /login: it must be routed to the
	// service by a reverse proxy.
	expect(t, call(t, s, http.MethodGet, "/_matrix/client/v3/login", "", ""), http.StatusNotFound, "M_UNRECOGNIZED")
}

func TestVersionsAndWellKnown(t *testing.T) {
	s := newFake(t)
	a := call(t, s, http.MethodGet, "/_matrix/client/versions", "", "")
	expect(t, a, http.StatusOK, "")
	if v, _ := a.json["versions"].([]any); len(v) == 0 {
		t.Fatalf("no versions in %s", a.raw)
	}
	a = call(t, s, http.MethodGet, "/.well-known/matrix/client", "", "")
	expect(t, a, http.StatusOK, "")
	hs, _ := a.json["m.homeserver"].(map[string]any)
	if hs["base_url"] != s.URL()+"/" {
		t.Fatalf("base_url %v, want %s/", hs["base_url"], s.URL())
	}
}

func TestSetDown(t *testing.T) {
	s := newFake(t)
	s.SetDown(true)
	for _, path := range []string{"/_matrix/client/versions", "/_synapse/mas/query_user?localpart=a", "/.well-known/matrix/client"} {
		a := call(t, s, http.MethodGet, path, s.Secret(), "")
		if a.status != http.StatusServiceUnavailable || a.json != nil {
			t.Fatalf("%s: got %d %s, want a plain-text 503", path, a.status, a.raw)
		}
	}
	s.SetDown(false)
	expect(t, call(t, s, http.MethodGet, "/_matrix/client/versions", "", ""), http.StatusOK, "")
}

func TestHook(t *testing.T) {
	s := newFake(t)
	s.SetHook("/_synapse/mas/provision_user", func(r *http.Request, body []byte) *homeservertest.Response {
		if strings.Contains(string(body), "boom") {
			return homeservertest.MatrixErrorResponse(http.StatusInternalServerError, "M_UNKNOWN", "injected")
		}
		return nil
	})
	expect(t, provision(t, s, `{"localpart":"boom"}`), http.StatusInternalServerError, "M_UNKNOWN")
	expect(t, provision(t, s, `{"localpart":"fine"}`), http.StatusCreated, "")
	if _, ok := s.User("boom"); ok {
		t.Fatal("hooked request reached the fake")
	}
	s.SetHook("/_synapse/mas/provision_user", nil)
	expect(t, provision(t, s, `{"localpart":"boom"}`), http.StatusCreated, "")
}

func TestBlockProvision(t *testing.T) {
	s := newFake(t)
	gate := s.Block("/_synapse/mas/provision_user", "alice")

	done := provisionAsync(s, `{"localpart":"alice"}`)

	select {
	case <-gate.Arrived():
	case <-time.After(5 * time.Second):
		t.Fatal("request never reached the gate")
	}
	// Other users are not held.
	expect(t, provision(t, s, `{"localpart":"bob"}`), http.StatusCreated, "")
	select {
	case a := <-done:
		t.Fatalf("held request finished early: %d", a.status)
	case <-time.After(50 * time.Millisecond):
	}
	if _, ok := s.User("alice"); ok {
		t.Fatal("held request was processed")
	}

	gate.Release()
	expect(t, <-done, http.StatusCreated, "")
	if _, ok := s.User("alice"); !ok {
		t.Fatal("released request was not processed")
	}
	// A released gate no longer holds anything.
	expect(t, provision(t, s, `{"localpart":"alice"}`), http.StatusOK, "")
}

func TestBlockProvisionReleaseFunc(t *testing.T) {
	s := newFake(t)
	release := s.BlockProvision("carol")
	done := provisionAsync(s, `{"localpart":"carol"}`)
	time.Sleep(20 * time.Millisecond)
	release()
	release() // idempotent
	expect(t, <-done, http.StatusCreated, "")
}

func TestCloseReleasesHeldRequests(t *testing.T) {
	s := homeservertest.New(t, homeservertest.Options{})
	gate := s.Block("/_synapse/mas/provision_user", "")
	errs := make(chan error, 1)
	go func() {
		resp, err := http.Post(s.URL()+"/_synapse/mas/provision_user", "application/json", strings.NewReader(`{}`))
		if err == nil {
			resp.Body.Close()
		}
		errs <- err
	}()
	<-gate.Arrived()
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung on a held request")
	}
	<-errs
}

func TestCallLog(t *testing.T) {
	s := newFake(t)
	provision(t, s, `{"localpart":"alice"}`)
	call(t, s, http.MethodGet, "/_synapse/mas/query_user?localpart=alice", "wrong", "")
	if n := s.Calls("/_synapse/mas/provision_user"); n != 1 {
		t.Fatalf("Calls = %d", n)
	}
	c, ok := s.LastCall("/_synapse/mas/query_user")
	if !ok || c.Status != http.StatusForbidden || c.Query != "localpart=alice" || c.Method != http.MethodGet {
		t.Fatalf("LastCall = %+v", c)
	}
	if c.Header.Get("Authorization") != "" {
		t.Fatal("the call log kept the Authorization header")
	}
	if got := string(s.CallLog()[0].Body); got != `{"localpart":"alice"}` {
		t.Fatalf("body %q", got)
	}
	s.ResetCalls()
	if len(s.CallLog()) != 0 {
		t.Fatal("ResetCalls kept calls")
	}
}

func TestRouteCompatTo(t *testing.T) {
	var gotPath string
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"flows":[],"echo":` + string(b) + `}`))
	}))
	defer svc.Close()

	s := newFake(t)
	if err := s.RouteCompatTo(svc.URL); err != nil {
		t.Fatal(err)
	}
	a := call(t, s, http.MethodPost, "/_matrix/client/v3/login", "", `{"type":"m.login.password"}`)
	expect(t, a, http.StatusOK, "")
	if gotPath != "/_matrix/client/v3/login" || a.json["echo"] == nil {
		t.Fatalf("proxied to %q, answer %s", gotPath, a.raw)
	}
	expect(t, call(t, s, http.MethodGet, "/_matrix/client/r0/login/sso/redirect", "", ""), http.StatusOK, "")
	// Everything else still goes to the fake.
	expect(t, call(t, s, http.MethodGet, "/_matrix/client/v3/loginx", "", ""), http.StatusNotFound, "M_UNRECOGNIZED")

	if err := s.RouteCompatTo("not a url"); err == nil {
		t.Fatal("accepted an invalid target")
	}
	_ = s.RouteCompatTo("")
	expect(t, call(t, s, http.MethodGet, "/_matrix/client/v3/login", "", ""), http.StatusNotFound, "M_UNRECOGNIZED")
}

func TestRequestBodyTooLarge(t *testing.T) {
	s := newFake(t)
	big := `{"localpart":"` + strings.Repeat("a", 11<<20) + `"}`
	expect(t, provision(t, s, big), http.StatusRequestEntityTooLarge, "M_TOO_LARGE")
}
