package synapse_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"mas/internal/homeserver"
	"mas/internal/homeserver/homeservertest"
)

// TestLifecycle walks a user through what the service does over its life
// (registration, login, rename, logout, deactivation) and checks both the
// homeserver's state and what a client presenting the tokens sees, with a
// small introspection endpoint standing in for the service and using the
// client's VerifyToken to authenticate the homeserver.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	hs := homeservertest.New(t, homeservertest.Options{ServerName: "example.org", Secret: secret})
	c := newClient(t, hs.URL(), nil)

	tokens := map[string]string{ // token → introspection answer
		"mat_phone": `{"active":true,"scope":"urn:matrix:client:api:* urn:matrix:client:device:PHONE","username":"alice"}`,
		"mct_web":   `{"active":true,"scope":"urn:matrix:client:api:*","username":"alice","device_id":"WEB"}`,
	}
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !c.VerifyToken(bearer) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"access_denied"}`))
			return
		}
		_ = r.ParseForm()
		answer, ok := tokens[r.PostForm.Get("token")]
		if !ok {
			answer = `{"active":false}`
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(answer))
	}))
	defer svc.Close()
	hs.SetIntrospectionURL(svc.URL + "/oauth2/introspect")

	whoami := func(token string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, hs.URL()+"/_matrix/client/v3/account/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// Registration.
	if ok, err := c.IsLocalpartAvailable(ctx, "alice"); err != nil || !ok {
		t.Fatalf("available: %v %v", ok, err)
	}
	created, err := c.ProvisionUser(ctx, homeserver.ProvisionRequest{
		Localpart: "alice",
		Emails:    homeserver.Set([]string{"alice@example.org"}),
	})
	if err != nil || !created {
		t.Fatalf("provision: %v %v", created, err)
	}
	if ok, _ := c.IsLocalpartAvailable(ctx, "alice"); ok {
		t.Fatal("alice still available")
	}

	// Logins create devices; tokens work once the device exists.
	if got := whoami("mat_phone"); got != http.StatusUnauthorized {
		t.Fatalf("whoami before device: %d", got)
	}
	hs.FlushIntrospectionCache()
	if err := c.UpsertDevice(ctx, "alice", "PHONE", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.UpsertDevice(ctx, "alice", "WEB", "Firefox"); err != nil {
		t.Fatal(err)
	}
	for tok := range tokens {
		if got := whoami(tok); got != http.StatusOK {
			t.Fatalf("whoami %s: %d", tok, got)
		}
	}
	if got := whoami("mat_unknown"); got != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", got)
	}

	// Profile changes.
	if err := c.SetDisplayName(ctx, "alice", "Alice"); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateDeviceDisplayName(ctx, "alice", "WEB", "Firefox on Linux"); err != nil {
		t.Fatal(err)
	}
	if err := c.AllowCrossSigningReset(ctx, "alice"); err != nil {
		t.Fatal(err)
	}

	// A device that comes and goes.
	if err := c.UpsertDevice(ctx, "alice", "TABLET", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteDevice(ctx, "alice", "TABLET"); err != nil {
		t.Fatal(err)
	}

	// Logout of the phone: a device sync drops it, and its token dies at
	// once despite the introspection cache.
	if err := c.SyncDevices(ctx, "alice", []string{"WEB"}); err != nil {
		t.Fatal(err)
	}
	if got := whoami("mat_phone"); got != http.StatusUnauthorized {
		t.Fatalf("phone after logout: %d", got)
	}
	if got := whoami("mct_web"); got != http.StatusOK {
		t.Fatalf("web after phone logout: %d", got)
	}

	// Lock, then deactivate with erasure.
	if _, err := c.ProvisionUser(ctx, homeserver.ProvisionRequest{Localpart: "alice", Locked: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUser(ctx, "alice", true); err != nil {
		t.Fatal(err)
	}
	u, ok := hs.User("alice")
	if !ok || !u.Deactivated || !u.Erased || !u.Locked || len(u.Devices) != 0 || u.DisplayName != "" ||
		u.CrossSigningResetAllowedUntil.IsZero() {
		t.Fatalf("after deactivation: %+v", u)
	}
	if got := whoami("mct_web"); got != http.StatusUnauthorized {
		t.Fatalf("web after deactivation: %d", got)
	}
	mu, err := c.QueryUser(ctx, "alice")
	if err != nil || !mu.Deactivated {
		t.Fatalf("query: %+v %v", mu, err)
	}

	// Reactivation.
	if err := c.ReactivateUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := c.UnsetDisplayName(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if mu, _ := c.QueryUser(ctx, "alice"); mu.Deactivated {
		t.Fatal("still deactivated")
	}

	// Every call carried the secret (the fake would have refused it
	// otherwise), and the introspection calls authenticated with it too.
	for _, call := range hs.CallLog() {
		if strings.HasPrefix(call.Path, "/_synapse/mas/") && (call.Status == http.StatusForbidden || call.Status == http.StatusUnauthorized) {
			t.Errorf("%s %s refused", call.Method, call.Path)
		}
	}
	wantPaths := []string{
		"/_synapse/mas/is_localpart_available", "/_synapse/mas/provision_user", "/_synapse/mas/upsert_device",
		"/_synapse/mas/set_displayname", "/_synapse/mas/update_device_display_name",
		"/_synapse/mas/allow_cross_signing_reset", "/_synapse/mas/sync_devices", "/_synapse/mas/delete_user",
		"/_synapse/mas/query_user", "/_synapse/mas/reactivate_user", "/_synapse/mas/unset_displayname",
		"/_synapse/mas/delete_device",
	}
	for _, p := range wantPaths {
		if hs.Calls(p) == 0 {
			t.Errorf("no call to %s", p)
		}
	}
}
