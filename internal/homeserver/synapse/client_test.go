package synapse_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"mas/internal/homeserver"
	"mas/internal/homeserver/homeservertest"
	"mas/internal/homeserver/synapse"
)

func TestNewValidatesOptions(t *testing.T) {
	good := synapse.Options{Endpoint: "http://localhost:8008/", ServerName: "example.org", Secret: "x"}
	tests := []struct {
		name  string
		tweak func(*synapse.Options)
	}{
		{"no endpoint", func(o *synapse.Options) { o.Endpoint = "" }},
		{"relative endpoint", func(o *synapse.Options) { o.Endpoint = "/synapse" }},
		{"bad scheme", func(o *synapse.Options) { o.Endpoint = "ftp://hs/" }},
		{"unparsable", func(o *synapse.Options) { o.Endpoint = "http://[::1" }},
		{"no server name", func(o *synapse.Options) { o.ServerName = "" }},
		{"no secret", func(o *synapse.Options) { o.Secret = "" }},
	}
	for _, tt := range tests {
		opts := good
		tt.tweak(&opts)
		if _, err := synapse.New(opts); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	if _, err := synapse.New(good); err != nil {
		t.Fatal(err)
	}
}

func TestIdentity(t *testing.T) {
	c := newClient(t, "http://hs.invalid/", nil)
	if c.ServerName() != "example.org" || c.MXID("alice") != "@alice:example.org" {
		t.Fatalf("%q %q", c.ServerName(), c.MXID("alice"))
	}
	for token, want := range map[string]bool{secret: true, "": false, secret + "x": false, "s3cret": false} {
		if got := c.VerifyToken(token); got != want {
			t.Errorf("VerifyToken(%q) = %v", token, got)
		}
	}
}

func TestEndpointResolution(t *testing.T) {
	hs := homeservertest.New(t, homeservertest.Options{ServerName: "example.org", Secret: secret})
	proxy := httptest.NewServer(http.StripPrefix("/synapse", hs))
	defer proxy.Close()

	// A prefix ending in "/" is kept.
	c := newClient(t, proxy.URL+"/synapse/", nil)
	if _, err := c.ProvisionUser(context.Background(), homeserver.ProvisionRequest{Localpart: "alice"}); err != nil {
		t.Fatal(err)
	}
	// Without the slash the last segment is replaced, as upstream resolves
	// it: the request misses the prefix and the proxy has nothing there.
	c = newClient(t, proxy.URL+"/synapse", nil)
	_, err := c.ProvisionUser(context.Background(), homeserver.ProvisionRequest{Localpart: "bob"})
	var hsErr *homeserver.Error
	if !errors.As(err, &hsErr) || hsErr.Status != http.StatusNotFound || hsErr.Endpoint != "/_synapse/mas/provision_user" {
		t.Fatalf("got %v", err)
	}
	// A bare host works with or without the slash.
	c = newClient(t, hs.URL(), nil)
	if _, err := c.QueryUser(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
}

func TestWrongSecret(t *testing.T) {
	hs := homeservertest.New(t, homeservertest.Options{ServerName: "example.org", Secret: "the-real-one"})
	c := newClient(t, hs.URL(), nil)
	_, err := c.ProvisionUser(context.Background(), homeserver.ProvisionRequest{Localpart: "alice"})
	var hsErr *homeserver.Error
	if !errors.As(err, &hsErr) {
		t.Fatalf("got %T %v", err, err)
	}
	if hsErr.Status != http.StatusForbidden || hsErr.ErrCode != "M_UNKNOWN" ||
		hsErr.Message != "This endpoint must only be called by MAS" || hsErr.Endpoint != "/_synapse/mas/provision_user" {
		t.Fatalf("got %+v", hsErr)
	}
	if want := "homeserver: /_synapse/mas/provision_user: HTTP 403 M_UNKNOWN: This endpoint must only be called by MAS"; err.Error() != want {
		t.Fatalf("message %q", err.Error())
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatal("error contains the secret")
	}
}

func TestNonJSONErrorBodies(t *testing.T) {
	c, hs := newPair(t)
	ctx := context.Background()

	hs.SetDown(true)
	err := c.SetDisplayName(ctx, "alice", "A")
	var hsErr *homeserver.Error
	if !errors.As(err, &hsErr) || hsErr.Status != http.StatusServiceUnavailable || hsErr.ErrCode != "" ||
		!strings.Contains(hsErr.Message, `"503 Service Unavailable: homeserver is down\n"`) {
		t.Fatalf("got %#v", err)
	}
	hs.SetDown(false)

	page := "<html>" + strings.Repeat("é", 300) + "</html>"
	hs.SetHook("/_synapse/mas/set_displayname", func(*http.Request, []byte) *homeservertest.Response {
		return &homeservertest.Response{Status: http.StatusBadGateway, ContentType: "text/html", Body: []byte(page)}
	})
	err = c.SetDisplayName(ctx, "alice", "A")
	if !errors.As(err, &hsErr) || hsErr.Status != http.StatusBadGateway || hsErr.ErrCode != "" {
		t.Fatalf("got %#v", err)
	}
	if !strings.Contains(hsErr.Message, "truncated") || len(hsErr.Message) > 400 || strings.Contains(hsErr.Message, `\xc3"`) {
		t.Fatalf("message %q", hsErr.Message)
	}

	// JSON that is not a Matrix error is quoted too.
	hs.SetHook("/_synapse/mas/set_displayname", func(*http.Request, []byte) *homeservertest.Response {
		return &homeservertest.Response{Status: http.StatusInternalServerError, Body: []byte(`{"detail":"oops"}`)}
	})
	err = c.SetDisplayName(ctx, "alice", "A")
	if !errors.As(err, &hsErr) || hsErr.ErrCode != "" || !strings.Contains(hsErr.Message, `{\"detail\":\"oops\"}`) {
		t.Fatalf("got %#v", err)
	}

	hs.SetHook("/_synapse/mas/set_displayname", func(*http.Request, []byte) *homeservertest.Response {
		return &homeservertest.Response{Status: http.StatusInternalServerError}
	})
	err = c.SetDisplayName(ctx, "alice", "A")
	if !errors.As(err, &hsErr) || hsErr.Message != "empty response body" {
		t.Fatalf("got %#v", err)
	}
}

func TestSecretIsRedactedFromEchoedBodies(t *testing.T) {
	c, hs := newPair(t)
	hs.SetHook("/_synapse/mas/reactivate_user", func(r *http.Request, _ []byte) *homeservertest.Response {
		// A broken proxy echoing the request headers.
		return &homeservertest.Response{Status: http.StatusBadRequest, ContentType: "text/plain",
			Body: []byte("bad request, headers: " + r.Header.Get("Authorization"))}
	})
	hs.SetHook("/_synapse/mas/unset_displayname", func(r *http.Request, _ []byte) *homeservertest.Response {
		return homeservertest.MatrixErrorResponse(http.StatusBadRequest, "M_UNKNOWN", "you sent "+r.Header.Get("Authorization"))
	})
	for _, err := range []error{
		c.ReactivateUser(context.Background(), "alice"),
		c.UnsetDisplayName(context.Background(), "alice"),
	} {
		if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "[redacted]") {
			t.Fatalf("got %v", err)
		}
	}
}

func TestNetworkErrors(t *testing.T) {
	hs := homeservertest.New(t, homeservertest.Options{Secret: secret})
	c := newClient(t, hs.URL(), nil)
	hs.Close()
	err := c.DeleteDevice(context.Background(), "alice", "DEV")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "homeserver: POST /_synapse/mas/delete_device: ") || strings.Contains(msg, secret) {
		t.Fatalf("message %q", msg)
	}
	var hsErr *homeserver.Error
	if errors.As(err, &hsErr) {
		t.Fatal("a transport error posed as a homeserver answer")
	}
}

func TestTimeouts(t *testing.T) {
	hs := homeservertest.New(t, homeservertest.Options{ServerName: "example.org", Secret: secret})
	hs.AddUser("alice")
	gate := hs.Block("/_synapse/mas/set_displayname", "")
	defer gate.Release()
	c := newClient(t, hs.URL(), func(o *synapse.Options) { o.Timeout = 50 * time.Millisecond })

	start := time.Now()
	err := c.SetDisplayName(context.Background(), "alice", "A")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the timeout did not apply")
	}

	// The caller's own deadline is reported as such.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	c = newClient(t, hs.URL(), nil)
	err = c.SetDisplayName(ctx, "alice", "A")
	if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("got %v", err)
	}
}

func TestDeleteUserHasItsOwnTimeout(t *testing.T) {
	hs := homeservertest.New(t, homeservertest.Options{ServerName: "example.org", Secret: secret})
	hs.AddUser("alice")
	hs.SetHook("/_synapse/mas/delete_user", func(*http.Request, []byte) *homeservertest.Response {
		time.Sleep(100 * time.Millisecond) // slower than Timeout, faster than DeleteUserTimeout
		return nil
	})
	c := newClient(t, hs.URL(), func(o *synapse.Options) {
		o.Timeout = 20 * time.Millisecond
		o.DeleteUserTimeout = 5 * time.Second
	})
	if err := c.DeleteUser(context.Background(), "alice", false); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyIdentifiersAreRejectedLocally(t *testing.T) {
	c, hs := newPair(t)
	ctx := context.Background()
	checks := map[string]error{
		"QueryUser":               func() error { _, err := c.QueryUser(ctx, ""); return err }(),
		"ProvisionUser":           func() error { _, err := c.ProvisionUser(ctx, homeserver.ProvisionRequest{}); return err }(),
		"UpsertDevice":            c.UpsertDevice(ctx, "alice", "", ""),
		"UpsertDevice localpart":  c.UpsertDevice(ctx, "", "D", ""),
		"UpdateDeviceDisplayName": c.UpdateDeviceDisplayName(ctx, "alice", "", "x"),
		"DeleteDevice":            c.DeleteDevice(ctx, "", "D"),
		"SyncDevices":             c.SyncDevices(ctx, "", nil),
		"DeleteUser":              c.DeleteUser(ctx, "", true),
		"ReactivateUser":          c.ReactivateUser(ctx, ""),
		"SetDisplayName":          c.SetDisplayName(ctx, "", "x"),
		"UnsetDisplayName":        c.UnsetDisplayName(ctx, ""),
		"AllowCrossSigningReset":  c.AllowCrossSigningReset(ctx, ""),
	}
	for name, err := range checks {
		if err == nil {
			t.Errorf("%s accepted an empty identifier", name)
		}
	}
	if n := len(hs.CallLog()); n != 0 {
		t.Fatalf("%d requests were sent", n)
	}
}
