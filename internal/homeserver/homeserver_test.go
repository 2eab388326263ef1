package homeserver_test

import (
	"errors"
	"fmt"
	"testing"

	"mas/internal/homeserver"
)

func TestMXIDAndLocalpart(t *testing.T) {
	if got := homeserver.MXID("alice", "example.org:8448"); got != "@alice:example.org:8448" {
		t.Fatalf("MXID = %q", got)
	}
	tests := []struct {
		mxid, server, want string
		ok                 bool
	}{
		{"@alice:example.org", "example.org", "alice", true},
		{"@alice:example.org:8448", "example.org:8448", "alice", true},
		{"@alice:example.org:8448", "example.org", "", false},
		{"@alice:other.org", "example.org", "", false},
		{"alice:example.org", "example.org", "", false},
		{"@:example.org", "example.org", "", false},
		{"@alice", "example.org", "", false},
		{"", "example.org", "", false},
	}
	for _, tt := range tests {
		got, ok := homeserver.Localpart(tt.mxid, tt.server)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Localpart(%q, %q) = %q, %v", tt.mxid, tt.server, got, ok)
		}
	}
}

func TestChange(t *testing.T) {
	var keep homeserver.Change[string]
	if _, ok := keep.Value(); ok || keep.IsUnset() || !keep.IsKeep() {
		t.Fatal("zero value is not keep")
	}
	set := homeserver.Set("x")
	if v, ok := set.Value(); !ok || v != "x" || set.IsUnset() || set.IsKeep() {
		t.Fatal("Set")
	}
	unset := homeserver.Unset[[]string]()
	if _, ok := unset.Value(); ok || !unset.IsUnset() || unset.IsKeep() {
		t.Fatal("Unset")
	}
	// Setting an empty value is still a set, not an unset.
	if _, ok := homeserver.Set[[]string](nil).Value(); !ok {
		t.Fatal("Set(nil)")
	}
}

func TestErrorMatching(t *testing.T) {
	notFound := &homeserver.Error{Status: 404, ErrCode: "M_NOT_FOUND", Message: "User not found", Endpoint: "/_synapse/mas/query_user"}
	wrapped := fmt.Errorf("loading profile: %w", notFound)
	if !errors.Is(wrapped, homeserver.ErrUserNotFound) {
		t.Fatal("404 M_NOT_FOUND does not match ErrUserNotFound")
	}
	for _, e := range []*homeserver.Error{
		{Status: 404, ErrCode: "M_UNRECOGNIZED"},
		{Status: 404},
		{Status: 400, ErrCode: "M_NOT_FOUND"},
	} {
		if errors.Is(e, homeserver.ErrUserNotFound) {
			t.Errorf("%+v matches ErrUserNotFound", e)
		}
	}
	if got := notFound.Error(); got != "homeserver: /_synapse/mas/query_user: HTTP 404 M_NOT_FOUND: User not found" {
		t.Errorf("Error() = %q", got)
	}
	plain := &homeserver.Error{Status: 502, Message: `unexpected response body "<html>"`, Endpoint: "/x"}
	if got := plain.Error(); got != `homeserver: /x: HTTP 502: unexpected response body "<html>"` {
		t.Errorf("Error() = %q", got)
	}
}
