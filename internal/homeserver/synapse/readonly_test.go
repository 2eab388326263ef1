package synapse_test

import (
	"context"
	"errors"
	"testing"

	"mas/internal/homeserver"
	"mas/internal/homeserver/synapse"
)

func TestReadOnly(t *testing.T) {
	c, hs := newPair(t)
	hs.AddUser("alice")
	hs.AddDevice("alice", "DEV")
	ro := synapse.ReadOnly(c)
	ctx := context.Background()

	// Reads pass through.
	if ro.ServerName() != "example.org" || ro.MXID("a") != "@a:example.org" || !ro.VerifyToken(secret) {
		t.Fatal("identity not passed through")
	}
	if u, err := ro.QueryUser(ctx, "alice"); err != nil || u.DisplayName != "alice" {
		t.Fatalf("QueryUser: %+v, %v", u, err)
	}
	if ok, err := ro.IsLocalpartAvailable(ctx, "bob"); err != nil || !ok {
		t.Fatalf("IsLocalpartAvailable: %v, %v", ok, err)
	}
	before := len(hs.CallLog())

	writes := map[string]error{
		"provisioning is not supported in read-only mode": func() error {
			_, err := ro.ProvisionUser(ctx, homeserver.ProvisionRequest{Localpart: "alice"})
			return err
		}(),
		"device creation is not supported in read-only mode":              ro.UpsertDevice(ctx, "alice", "D", ""),
		"device display name update is not supported in read-only mode":   ro.UpdateDeviceDisplayName(ctx, "alice", "DEV", "x"),
		"device deletion is not supported in read-only mode":              ro.DeleteDevice(ctx, "alice", "DEV"),
		"device synchronization is not supported in read-only mode":       ro.SyncDevices(ctx, "alice", nil),
		"user deletion is not supported in read-only mode":                ro.DeleteUser(ctx, "alice", true),
		"user reactivation is not supported in read-only mode":            ro.ReactivateUser(ctx, "alice"),
		"display name update is not supported in read-only mode":          ro.SetDisplayName(ctx, "alice", "x"),
		"allowing cross-signing reset is not supported in read-only mode": ro.AllowCrossSigningReset(ctx, "alice"),
	}
	for want, err := range writes {
		if err == nil || err.Error() != want || !errors.Is(err, synapse.ErrReadOnly) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	if err := ro.UnsetDisplayName(ctx, "alice"); !errors.Is(err, synapse.ErrReadOnly) {
		t.Errorf("UnsetDisplayName: %v", err)
	}
	if after := len(hs.CallLog()); after != before {
		t.Fatalf("read-only connection sent %d writes", after-before)
	}
	if u, _ := hs.User("alice"); u.Deactivated || len(u.Devices) != 1 {
		t.Fatalf("state changed: %+v", u)
	}
}

func TestNewForKind(t *testing.T) {
	opts := synapse.Options{Endpoint: "http://localhost:8008/", ServerName: "example.org", Secret: "x"}
	for _, kind := range []string{"", synapse.KindSynapse, synapse.KindSynapseModern} {
		conn, err := synapse.NewForKind(kind, opts)
		if err != nil {
			t.Fatalf("%q: %v", kind, err)
		}
		if _, ok := conn.(*synapse.Client); !ok {
			t.Fatalf("%q: got %T", kind, conn)
		}
	}
	conn, err := synapse.NewForKind(synapse.KindSynapseReadOnly, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.DeleteUser(context.Background(), "a", false); !errors.Is(err, synapse.ErrReadOnly) {
		t.Fatalf("read-only kind wrote: %v", err)
	}
	if _, err := synapse.NewForKind(synapse.KindSynapseLegacy, opts); !errors.Is(err, synapse.ErrLegacyUnsupported) {
		t.Fatalf("legacy: %v", err)
	}
	if _, err := synapse.NewForKind("dendrite", opts); err == nil {
		t.Fatal("unknown kind accepted")
	}
	bad := opts
	bad.Secret = ""
	if _, err := synapse.NewForKind(synapse.KindSynapseReadOnly, bad); err == nil {
		t.Fatal("invalid options accepted")
	}
}
