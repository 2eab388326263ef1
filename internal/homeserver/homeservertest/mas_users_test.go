package homeservertest_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mas/internal/homeserver/homeservertest"
)

func TestBodyValidation(t *testing.T) {
	s := newFake(t)
	tests := []struct {
		name, endpoint, body, errcode string
	}{
		{"not json", "provision_user", `{"localpart":`, "M_NOT_JSON"},
		{"empty body", "provision_user", ``, "M_NOT_JSON"},
		{"trailing garbage", "provision_user", `{"localpart":"a"} x`, "M_NOT_JSON"},
		{"not utf-8", "provision_user", "{\"localpart\":\"\xff\"}", "M_NOT_JSON"},
		{"array", "provision_user", `["a"]`, "M_BAD_JSON"},
		{"missing localpart", "provision_user", `{}`, "M_MISSING_PARAM"},
		{"localpart wrong type", "provision_user", `{"localpart":1}`, "M_BAD_JSON"},
		{"localpart null", "provision_user", `{"localpart":null}`, "M_BAD_JSON"},
		{"locked not bool", "provision_user", `{"localpart":"a","locked":"yes"}`, "M_BAD_JSON"},
		{"unset flag null", "provision_user", `{"localpart":"a","unset_emails":null}`, "M_BAD_JSON"},
		{"emails not strings", "provision_user", `{"localpart":"a","set_emails":[1]}`, "M_BAD_JSON"},
		{"both displayname", "provision_user", `{"localpart":"a","set_displayname":"A","unset_displayname":true}`, "M_INVALID_PARAM"},
		{"both avatar", "provision_user", `{"localpart":"a","set_avatar_url":"mxc://x/y","unset_avatar_url":false}`, "M_INVALID_PARAM"},
		{"both emails", "provision_user", `{"localpart":"a","set_emails":[],"unset_emails":true}`, "M_INVALID_PARAM"},
		{"delete_user missing erase", "delete_user", `{"localpart":"a"}`, "M_MISSING_PARAM"},
		{"delete_user missing both", "delete_user", `{}`, "M_BAD_JSON"},
		{"delete_user erase not bool", "delete_user", `{"localpart":"a","erase":1}`, "M_BAD_JSON"},
		{"sync_devices missing devices", "sync_devices", `{"localpart":"a"}`, "M_MISSING_PARAM"},
		{"sync_devices devices not list", "sync_devices", `{"localpart":"a","devices":"D"}`, "M_BAD_JSON"},
		{"upsert missing device", "upsert_device", `{"localpart":"a"}`, "M_MISSING_PARAM"},
		{"update name missing name", "update_device_display_name", `{"localpart":"a","device_id":"D"}`, "M_MISSING_PARAM"},
		{"delete_device missing device", "delete_device", `{"localpart":"a"}`, "M_MISSING_PARAM"},
		{"set_displayname missing name", "set_displayname", `{"localpart":"a"}`, "M_MISSING_PARAM"},
		{"reactivate missing localpart", "reactivate_user", `{}`, "M_MISSING_PARAM"},
		{"unset_displayname missing localpart", "unset_displayname", `{}`, "M_MISSING_PARAM"},
		{"cross-signing missing localpart", "allow_cross_signing_reset", `{}`, "M_MISSING_PARAM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mas(t, s, http.MethodPost, tt.endpoint, tt.body)
			expect(t, a, http.StatusBadRequest, tt.errcode)
		})
	}
	if len(s.Users()) != 0 {
		t.Fatal("an invalid request created a user")
	}
	a := provision(t, s, `{"localpart":"a","set_displayname":"A","unset_displayname":true}`)
	if !strings.Contains(a.message(), "Cannot specify both unset_displayname and set_displayname") {
		t.Errorf("message %q", a.message())
	}
}

func TestUnknownUserIs404(t *testing.T) {
	s := newFake(t)
	bodies := map[string]string{
		"delete_user":                `{"localpart":"ghost","erase":false}`,
		"reactivate_user":            `{"localpart":"ghost"}`,
		"set_displayname":            `{"localpart":"ghost","displayname":"G"}`,
		"unset_displayname":          `{"localpart":"ghost"}`,
		"allow_cross_signing_reset":  `{"localpart":"ghost"}`,
		"upsert_device":              `{"localpart":"ghost","device_id":"D"}`,
		"update_device_display_name": `{"localpart":"ghost","device_id":"D","display_name":"x"}`,
		"delete_device":              `{"localpart":"ghost","device_id":"D"}`,
		"sync_devices":               `{"localpart":"ghost","devices":[]}`,
	}
	for endpoint, body := range bodies {
		a := mas(t, s, http.MethodPost, endpoint, body)
		expect(t, a, http.StatusNotFound, "M_NOT_FOUND")
		if a.message() != "User not found" {
			t.Errorf("%s: message %q", endpoint, a.message())
		}
	}
	expect(t, mas(t, s, http.MethodGet, "query_user?localpart=ghost", ""), http.StatusNotFound, "M_NOT_FOUND")
}

func TestQueryUser(t *testing.T) {
	s := newFake(t)
	expect(t, mas(t, s, http.MethodGet, "query_user", ""), http.StatusBadRequest, "M_MISSING_PARAM")
	expect(t, mas(t, s, http.MethodGet, "query_user?localpart=%C3%A9", ""), http.StatusBadRequest, "M_UNKNOWN")

	provision(t, s, `{"localpart":"alice","locked":false}`)
	a := mas(t, s, http.MethodGet, "query_user?localpart=alice", "")
	expect(t, a, http.StatusOK, "")
	want := `{"user_id":"@alice:example.org","display_name":"alice","avatar_url":null,"is_suspended":false,"is_deactivated":false}`
	if string(a.raw) != want {
		t.Fatalf("got %s\nwant %s", a.raw, want)
	}

	mas(t, s, http.MethodPost, "unset_displayname", `{"localpart":"alice"}`)
	s.SetSuspended("alice", true)
	mas(t, s, http.MethodPost, "delete_user", `{"localpart":"alice","erase":false}`)
	a = mas(t, s, http.MethodGet, "query_user?localpart=alice", "")
	want = `{"user_id":"@alice:example.org","display_name":null,"avatar_url":null,"is_suspended":true,"is_deactivated":true}`
	if string(a.raw) != want {
		t.Fatalf("got %s\nwant %s", a.raw, want)
	}
}

func TestProvisionUser(t *testing.T) {
	s := newFake(t)

	// A new user: 201, display name defaults to the localpart.
	expect(t, provision(t, s, `{"localpart":"alice","set_emails":["a@example.org"],"locked":false}`), http.StatusCreated, "")
	u, ok := s.User("alice")
	if !ok || u.DisplayName != "alice" || !slices.Equal(u.Emails, []string{"a@example.org"}) || u.Locked {
		t.Fatalf("after create: %+v", u)
	}
	if u.UserID != "@alice:example.org" {
		t.Fatalf("user ID %q", u.UserID)
	}

	// An existing user: 200, every change applied, emails replaced.
	a := provision(t, s, `{"localpart":"alice","set_displayname":"Alice","set_avatar_url":"mxc://example.org/a","set_emails":["b@example.org","c@example.org"],"locked":true}`)
	expect(t, a, http.StatusOK, "")
	if string(a.raw) != `{}` {
		t.Fatalf("body %s", a.raw)
	}
	u, _ = s.User("alice")
	if u.DisplayName != "Alice" || u.AvatarURL != "mxc://example.org/a" || !u.Locked ||
		!slices.Equal(u.Emails, []string{"b@example.org", "c@example.org"}) {
		t.Fatalf("after update: %+v", u)
	}

	// Absent fields leave things alone; locked is only changed when sent.
	expect(t, provision(t, s, `{"localpart":"alice"}`), http.StatusOK, "")
	u, _ = s.User("alice")
	if u.DisplayName != "Alice" || !u.Locked || len(u.Emails) != 2 {
		t.Fatalf("after no-op: %+v", u)
	}

	// Unsets.
	expect(t, provision(t, s, `{"localpart":"alice","unset_displayname":true,"unset_avatar_url":true,"unset_emails":true,"locked":false}`), http.StatusOK, "")
	u, _ = s.User("alice")
	if u.DisplayName != "" || u.AvatarURL != "" || u.Locked || len(u.Emails) != 0 {
		t.Fatalf("after unset: %+v", u)
	}

	// A new user with everything set.
	expect(t, provision(t, s, `{"localpart":"bob","set_displayname":"Bob","set_avatar_url":"mxc://b","locked":true,"extra":"ignored"}`), http.StatusCreated, "")
	u, _ = s.User("bob")
	if u.DisplayName != "Bob" || u.AvatarURL != "mxc://b" || !u.Locked {
		t.Fatalf("bob: %+v", u)
	}
}

func TestIsLocalpartAvailable(t *testing.T) {
	s := homeservertest.New(t, homeservertest.Options{
		ServerName:       "example.org",
		Secret:           "s3cret",
		ExclusiveUserIDs: []*regexp.Regexp{regexp.MustCompile(`^@irc_.*:example\.org$`)},
	})
	s.AddUser("taken")

	a := mas(t, s, http.MethodGet, "is_localpart_available", "")
	expect(t, a, http.StatusBadRequest, "M_UNKNOWN")
	if a.message() != "Missing localpart" {
		t.Fatalf("message %q", a.message())
	}

	tests := []struct {
		query   string
		status  int
		errcode string
	}{
		{"free", http.StatusOK, ""},
		{"a.b-c_d%3De%2Ff%2Bg", http.StatusOK, ""},
		{"a+b", http.StatusBadRequest, "M_INVALID_USERNAME"},   // a raw + is a space
		{"TAKEN", http.StatusBadRequest, "M_INVALID_USERNAME"}, // uppercase is invalid before "taken"
		{"taken", http.StatusBadRequest, "M_USER_IN_USE"},
		{"Alice", http.StatusBadRequest, "M_INVALID_USERNAME"},
		{"al%20ice", http.StatusBadRequest, "M_INVALID_USERNAME"},
		{"al:ice", http.StatusBadRequest, "M_INVALID_USERNAME"},
		{"", http.StatusBadRequest, "M_INVALID_USERNAME"},
		{"_hidden", http.StatusBadRequest, "M_INVALID_USERNAME"},
		{"12345", http.StatusBadRequest, "M_INVALID_USERNAME"},
		{"-12", http.StatusBadRequest, "M_INVALID_USERNAME"},
		{"1_000", http.StatusBadRequest, "M_INVALID_USERNAME"},
		{"12a", http.StatusOK, ""},
		{"1__0", http.StatusOK, ""},
		{"irc_bob", http.StatusBadRequest, "M_EXCLUSIVE"},
		{strings.Repeat("a", 300), http.StatusBadRequest, "M_INVALID_USERNAME"},
		{"%C3%A9t%C3%A9", http.StatusBadRequest, "M_UNKNOWN"}, // non-ASCII query value
	}
	for _, tt := range tests {
		a := mas(t, s, http.MethodGet, "is_localpart_available?localpart="+tt.query, "")
		if a.status != tt.status || a.errcode() != tt.errcode {
			t.Errorf("%q: got %d %q, want %d %q", tt.query, a.status, a.errcode(), tt.status, tt.errcode)
		}
	}

	// Taken is case-insensitive against existing (legacy mixed-case) users.
	s.AddUser("MixedCase")
	expect(t, mas(t, s, http.MethodGet, "is_localpart_available?localpart=mixedcase", ""), http.StatusBadRequest, "M_USER_IN_USE")
	a = mas(t, s, http.MethodGet, "is_localpart_available?localpart=12345", "")
	if a.message() != "Numeric user IDs are reserved for guest users." {
		t.Errorf("numeric message %q", a.message())
	}
}

func TestDeleteAndReactivateUser(t *testing.T) {
	s := newFake(t)
	provision(t, s, `{"localpart":"alice","set_displayname":"Alice","set_avatar_url":"mxc://a","set_emails":["a@example.org"],"locked":false}`)
	s.AddDevice("alice", "DEV1")

	expect(t, mas(t, s, http.MethodPost, "delete_user", `{"localpart":"alice","erase":false}`), http.StatusOK, "")
	u, _ := s.User("alice")
	if !u.Deactivated || u.Erased || len(u.Devices) != 0 || len(u.Emails) != 0 || u.DisplayName != "Alice" {
		t.Fatalf("after deactivate: %+v", u)
	}

	expect(t, mas(t, s, http.MethodPost, "reactivate_user", `{"localpart":"alice"}`), http.StatusOK, "")
	u, _ = s.User("alice")
	if u.Deactivated {
		t.Fatalf("after reactivate: %+v", u)
	}

	expect(t, mas(t, s, http.MethodPost, "delete_user", `{"localpart":"alice","erase":true}`), http.StatusOK, "")
	u, _ = s.User("alice")
	if !u.Deactivated || !u.Erased || u.DisplayName != "" || u.AvatarURL != "" {
		t.Fatalf("after erase: %+v", u)
	}
	mas(t, s, http.MethodPost, "reactivate_user", `{"localpart":"alice"}`)
	u, _ = s.User("alice")
	if u.Deactivated || u.Erased {
		t.Fatalf("after second reactivate: %+v", u)
	}
}

func TestDisplayNameEndpoints(t *testing.T) {
	s := newFake(t)
	s.AddUser("alice")
	expect(t, mas(t, s, http.MethodPost, "set_displayname", `{"localpart":"alice","displayname":"Alice <3"}`), http.StatusOK, "")
	if u, _ := s.User("alice"); u.DisplayName != "Alice <3" {
		t.Fatalf("display name %q", u.DisplayName)
	}
	expect(t, mas(t, s, http.MethodPost, "unset_displayname", `{"localpart":"alice"}`), http.StatusOK, "")
	if u, _ := s.User("alice"); u.DisplayName != "" {
		t.Fatalf("display name %q", u.DisplayName)
	}
}

func TestAllowCrossSigningReset(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := homeservertest.New(t, homeservertest.Options{Secret: "s3cret", Now: func() time.Time { return now }})
	s.AddUser("alice")
	expect(t, mas(t, s, http.MethodPost, "allow_cross_signing_reset", `{"localpart":"alice"}`), http.StatusOK, "")
	if u, _ := s.User("alice"); !u.CrossSigningResetAllowedUntil.Equal(now.Add(10 * time.Minute)) {
		t.Fatalf("window ends %v", u.CrossSigningResetAllowedUntil)
	}
}
