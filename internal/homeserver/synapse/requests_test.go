package synapse_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"mas/internal/homeserver"
	"mas/internal/homeserver/homeservertest"
)

// TestRequestBodies pins the exact bytes of every request body, since
// Synapse's strict models reject anything else (for example null for a
// flag, or both set_ and unset_ keys).
func TestRequestBodies(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		path string
		send func(homeserver.Connection) error
		want string
	}{
		{
			"provision minimal", "/_synapse/mas/provision_user",
			func(c homeserver.Connection) error {
				_, err := c.ProvisionUser(ctx, homeserver.ProvisionRequest{Localpart: "alice"})
				return err
			},
			`{"localpart":"alice","locked":false}`,
		},
		{
			"provision sets", "/_synapse/mas/provision_user",
			func(c homeserver.Connection) error {
				_, err := c.ProvisionUser(ctx, homeserver.ProvisionRequest{
					Localpart:   "alice",
					DisplayName: homeserver.Set("Alice & <Bob>"),
					AvatarURL:   homeserver.Set("mxc://example.org/abc"),
					Emails:      homeserver.Set([]string{"a@example.org", "b@example.org"}),
					Locked:      true,
				})
				return err
			},
			`{"localpart":"alice","set_displayname":"Alice & <Bob>","set_avatar_url":"mxc://example.org/abc","set_emails":["a@example.org","b@example.org"],"locked":true}`,
		},
		{
			"provision unsets", "/_synapse/mas/provision_user",
			func(c homeserver.Connection) error {
				_, err := c.ProvisionUser(ctx, homeserver.ProvisionRequest{
					Localpart:   "alice",
					DisplayName: homeserver.Unset[string](),
					AvatarURL:   homeserver.Unset[string](),
					Emails:      homeserver.Unset[[]string](),
				})
				return err
			},
			`{"localpart":"alice","unset_displayname":true,"unset_avatar_url":true,"unset_emails":true,"locked":false}`,
		},
		{
			"provision no emails is an empty set", "/_synapse/mas/provision_user",
			func(c homeserver.Connection) error {
				_, err := c.ProvisionUser(ctx, homeserver.ProvisionRequest{Localpart: "alice", Emails: homeserver.Set[[]string](nil)})
				return err
			},
			`{"localpart":"alice","set_emails":[],"locked":false}`,
		},
		{
			"provision empty display name is still set", "/_synapse/mas/provision_user",
			func(c homeserver.Connection) error {
				_, err := c.ProvisionUser(ctx, homeserver.ProvisionRequest{Localpart: "alice", DisplayName: homeserver.Set("")})
				return err
			},
			`{"localpart":"alice","set_displayname":"","locked":false}`,
		},
		{
			"upsert device", "/_synapse/mas/upsert_device",
			func(c homeserver.Connection) error { return c.UpsertDevice(ctx, "alice", "DEVICE1", "Element X") },
			`{"localpart":"alice","device_id":"DEVICE1","display_name":"Element X"}`,
		},
		{
			"upsert device without name", "/_synapse/mas/upsert_device",
			func(c homeserver.Connection) error { return c.UpsertDevice(ctx, "alice", "DEVICE2", "") },
			`{"localpart":"alice","device_id":"DEVICE2"}`,
		},
		{
			"update device display name", "/_synapse/mas/update_device_display_name",
			func(c homeserver.Connection) error {
				return c.UpdateDeviceDisplayName(ctx, "alice", "DEVICE1", "Phone")
			},
			`{"localpart":"alice","device_id":"DEVICE1","display_name":"Phone"}`,
		},
		{
			"delete device", "/_synapse/mas/delete_device",
			func(c homeserver.Connection) error { return c.DeleteDevice(ctx, "alice", "DEVICE1") },
			`{"localpart":"alice","device_id":"DEVICE1"}`,
		},
		{
			"sync devices sorted and unique", "/_synapse/mas/sync_devices",
			func(c homeserver.Connection) error {
				return c.SyncDevices(ctx, "alice", []string{"ZZZ", "AAA", "MMM", "AAA"})
			},
			`{"localpart":"alice","devices":["AAA","MMM","ZZZ"]}`,
		},
		{
			"sync no devices", "/_synapse/mas/sync_devices",
			func(c homeserver.Connection) error { return c.SyncDevices(ctx, "alice", nil) },
			`{"localpart":"alice","devices":[]}`,
		},
		{
			"set display name", "/_synapse/mas/set_displayname",
			func(c homeserver.Connection) error { return c.SetDisplayName(ctx, "alice", "Alice") },
			`{"localpart":"alice","displayname":"Alice"}`,
		},
		{
			"unset display name", "/_synapse/mas/unset_displayname",
			func(c homeserver.Connection) error { return c.UnsetDisplayName(ctx, "alice") },
			`{"localpart":"alice"}`,
		},
		{
			"allow cross-signing reset", "/_synapse/mas/allow_cross_signing_reset",
			func(c homeserver.Connection) error { return c.AllowCrossSigningReset(ctx, "alice") },
			`{"localpart":"alice"}`,
		},
		{
			"reactivate", "/_synapse/mas/reactivate_user",
			func(c homeserver.Connection) error { return c.ReactivateUser(ctx, "alice") },
			`{"localpart":"alice"}`,
		},
		{
			"delete user", "/_synapse/mas/delete_user",
			func(c homeserver.Connection) error { return c.DeleteUser(ctx, "alice", false) },
			`{"localpart":"alice","erase":false}`,
		},
		{
			"delete user erase", "/_synapse/mas/delete_user",
			func(c homeserver.Connection) error { return c.DeleteUser(ctx, "alice", true) },
			`{"localpart":"alice","erase":true}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, hs := newPair(t)
			hs.AddUser("alice")
			hs.AddDevice("alice", "DEVICE1")
			if err := tt.send(c); err != nil {
				t.Fatal(err)
			}
			if got := lastBody(t, hs, tt.path); got != tt.want {
				t.Fatalf("body\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestQueryParametersAreEncoded(t *testing.T) {
	c, hs := newPair(t)
	ctx := context.Background()
	if _, err := c.IsLocalpartAvailable(ctx, "a+b/c=d"); err != nil {
		t.Fatal(err)
	}
	call, _ := hs.LastCall("/_synapse/mas/is_localpart_available")
	if call.Query != "localpart=a%2Bb%2Fc%3Dd" || call.Method != http.MethodGet || len(call.Body) != 0 {
		t.Fatalf("call %+v", call)
	}
	hs.AddUser("a+b")
	u, err := c.QueryUser(ctx, "a+b")
	if err != nil || u.DisplayName != "a+b" {
		t.Fatalf("QueryUser = %+v, %v", u, err)
	}
}

func TestProvisionUserStatuses(t *testing.T) {
	c, hs := newPair(t)
	ctx := context.Background()
	created, err := c.ProvisionUser(ctx, homeserver.ProvisionRequest{Localpart: "alice"})
	if err != nil || !created {
		t.Fatalf("first: %v %v", created, err)
	}
	created, err = c.ProvisionUser(ctx, homeserver.ProvisionRequest{Localpart: "alice", Locked: true})
	if err != nil || created {
		t.Fatalf("second: %v %v", created, err)
	}
	if u, _ := hs.User("alice"); !u.Locked {
		t.Fatal("lock not applied")
	}

	hs.SetHook("/_synapse/mas/provision_user", func(*http.Request, []byte) *homeservertest.Response {
		return &homeservertest.Response{Status: http.StatusAccepted, Body: []byte(`{}`)}
	})
	if _, err := c.ProvisionUser(ctx, homeserver.ProvisionRequest{Localpart: "alice"}); err == nil {
		t.Fatal("202 accepted")
	}
	hs.SetHook("/_synapse/mas/provision_user", func(*http.Request, []byte) *homeservertest.Response {
		return &homeservertest.Response{Status: http.StatusNoContent}
	})
	if _, err := c.ProvisionUser(ctx, homeserver.ProvisionRequest{Localpart: "alice"}); err == nil {
		t.Fatal("204 accepted")
	}
}

func TestProvisionUserEndToEndState(t *testing.T) {
	c, hs := newPair(t)
	ctx := context.Background()
	req := homeserver.ProvisionRequest{
		Localpart: "alice",
		Emails:    homeserver.Set([]string{"a@example.org"}),
	}
	if _, err := c.ProvisionUser(ctx, req); err != nil {
		t.Fatal(err)
	}
	req.DisplayName = homeserver.Set("Alice")
	req.Emails = homeserver.Set([]string{})
	if _, err := c.ProvisionUser(ctx, req); err != nil {
		t.Fatal(err)
	}
	u, _ := hs.User("alice")
	if u.DisplayName != "Alice" || len(u.Emails) != 0 {
		t.Fatalf("%+v", u)
	}
}

func TestQueryUser(t *testing.T) {
	c, hs := newPair(t)
	ctx := context.Background()

	_, err := c.QueryUser(ctx, "ghost")
	if !errors.Is(err, homeserver.ErrUserNotFound) {
		t.Fatalf("got %v", err)
	}

	hs.AddUser("alice")
	u, err := c.QueryUser(ctx, "alice")
	if err != nil || *u != (homeserver.MatrixUser{DisplayName: "alice"}) {
		t.Fatalf("got %+v, %v", u, err)
	}
	if err := c.SetDisplayName(ctx, "alice", "Alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ProvisionUser(ctx, homeserver.ProvisionRequest{Localpart: "alice", AvatarURL: homeserver.Set("mxc://a/b")}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUser(ctx, "alice", false); err != nil {
		t.Fatal(err)
	}
	u, err = c.QueryUser(ctx, "alice")
	if err != nil || *u != (homeserver.MatrixUser{DisplayName: "Alice", AvatarURL: "mxc://a/b", Deactivated: true}) {
		t.Fatalf("got %+v, %v", u, err)
	}

	// A 404 that is not "user not found" (MAS API disabled) must not be
	// mistaken for a missing user.
	hs.SetHook("/_synapse/mas/query_user", func(*http.Request, []byte) *homeservertest.Response {
		return homeservertest.MatrixErrorResponse(http.StatusNotFound, "M_UNRECOGNIZED", "Unrecognized request")
	})
	if _, err := c.QueryUser(ctx, "alice"); err == nil || errors.Is(err, homeserver.ErrUserNotFound) {
		t.Fatalf("got %v", err)
	}

	for _, body := range []string{`{"user_id":"@alice:example.org"}`, `not json`, `{"is_deactivated":false}`} {
		hs.SetHook("/_synapse/mas/query_user", func(*http.Request, []byte) *homeservertest.Response {
			return &homeservertest.Response{Status: http.StatusOK, Body: []byte(body)}
		})
		if _, err := c.QueryUser(ctx, "alice"); err == nil {
			t.Errorf("accepted %s", body)
		}
	}
}

func TestIsLocalpartAvailable(t *testing.T) {
	c, hs := newPair(t)
	ctx := context.Background()
	hs.AddUser("taken")
	tests := map[string]bool{
		"free":    true,
		"taken":   false, // M_USER_IN_USE
		"Taken":   false, // M_INVALID_USERNAME (uppercase)
		"1234":    false, // M_INVALID_USERNAME (numeric)
		"_secret": false,
		"":        false,
		"élodie":  false, // non-ASCII: not even asked
	}
	for localpart, want := range tests {
		got, err := c.IsLocalpartAvailable(ctx, localpart)
		if err != nil || got != want {
			t.Errorf("%q: got %v, %v; want %v", localpart, got, err, want)
		}
	}
	if n := hs.Calls("/_synapse/mas/is_localpart_available"); n != 5 {
		t.Fatalf("%d calls, want 5 (empty and non-ASCII are not sent)", n)
	}

	hs.SetHook("/_synapse/mas/is_localpart_available", func(*http.Request, []byte) *homeservertest.Response {
		return homeservertest.MatrixErrorResponse(http.StatusBadRequest, "M_EXCLUSIVE", "reserved")
	})
	if ok, err := c.IsLocalpartAvailable(ctx, "irc_bob"); ok || err != nil {
		t.Fatalf("M_EXCLUSIVE: %v, %v", ok, err)
	}

	// Other errors are errors, not "unavailable".
	for _, resp := range []*homeservertest.Response{
		homeservertest.MatrixErrorResponse(http.StatusBadRequest, "M_UNKNOWN", "Missing localpart"),
		homeservertest.MatrixErrorResponse(http.StatusForbidden, "M_UNKNOWN", "This endpoint must only be called by MAS"),
		{Status: http.StatusBadGateway, ContentType: "text/html", Body: []byte("<html>")},
	} {
		hs.SetHook("/_synapse/mas/is_localpart_available", func(*http.Request, []byte) *homeservertest.Response { return resp })
		if ok, err := c.IsLocalpartAvailable(ctx, "free"); ok || err == nil {
			t.Errorf("HTTP %d: %v, %v", resp.Status, ok, err)
		}
	}
}

func TestDeviceCalls(t *testing.T) {
	c, hs := newPair(t)
	ctx := context.Background()
	hs.AddUser("alice")

	if err := c.UpsertDevice(ctx, "alice", "DEV1", "Phone"); err != nil {
		t.Fatal(err)
	}
	// The second upsert gets 200 instead of 201; both are success.
	if err := c.UpsertDevice(ctx, "alice", "DEV1", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateDeviceDisplayName(ctx, "alice", "DEV1", "Laptop"); err != nil {
		t.Fatal(err)
	}
	if u, _ := hs.User("alice"); u.DeviceDisplayNames["DEV1"] != "Laptop" {
		t.Fatalf("%+v", u)
	}
	var hsErr *homeserver.Error
	if err := c.UpdateDeviceDisplayName(ctx, "alice", "NOPE", "x"); !errors.As(err, &hsErr) || hsErr.Status != http.StatusNotFound {
		t.Fatalf("got %v", err)
	}
	// 204 is success.
	if err := c.DeleteDevice(ctx, "alice", "DEV1"); err != nil {
		t.Fatal(err)
	}
	if err := c.SyncDevices(ctx, "alice", []string{"A", "B"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SyncDevices(ctx, "alice", []string{"B", "C"}); err != nil {
		t.Fatal(err)
	}
	if got := hs.Devices("alice"); len(got) != 2 || got[0] != "B" || got[1] != "C" {
		t.Fatalf("devices %v", got)
	}
	if err := c.UpsertDevice(ctx, "ghost", "D", ""); !errors.Is(err, homeserver.ErrUserNotFound) {
		t.Fatalf("got %v", err)
	}
}
