package compat_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/homeserver/homeservertest"
	"mas/internal/passwords"
	"mas/internal/policy"
	"mas/internal/ratelimit"
	"mas/internal/tokens"
)

func TestLoginFlows(t *testing.T) {
	for _, tc := range []struct {
		name     string
		disabled bool
		want     string
	}{
		{
			name: "passwords enabled",
			want: `{"flows":[{"type":"m.login.password"},` +
				`{"type":"m.login.sso","oauth_aware_preferred":true,"org.matrix.msc3824.delegated_oidc_compatibility":true},` +
				`{"type":"m.login.token"}]}`,
		},
		{
			name:     "passwords disabled",
			disabled: true,
			want: `{"flows":[` +
				`{"type":"m.login.sso","oauth_aware_preferred":true,"org.matrix.msc3824.delegated_oidc_compatibility":true},` +
				`{"type":"m.login.token"}]}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{disabled: tc.disabled})
			for _, version := range []string{"r0", "v3"} {
				res := e.do(e.request("GET", "/_matrix/client/"+version+"/login", ""))
				if res.status != http.StatusOK || strings.TrimSpace(res.raw) != tc.want {
					t.Errorf("GET %s: %d %s\nwant %s", version, res.status, res.raw, tc.want)
				}
			}
		})
	}
}

// TestLoginErrors covers every refusal of POST /login with its exact
// status, errcode and message.
func TestLoginErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	e.user("alice", "correct horse")
	e.user("nopass", "")
	gone := e.user("gone", "correct horse")
	e.updateUser(gone, func(u *domain.User) { _ = u.Deactivate(e.clock.Now()) })
	locked := e.user("locked", "correct horse")
	e.updateUser(locked, func(u *domain.User) { u.Lock(e.clock.Now()) })

	const (
		notJSON     = "Body is not a valid JSON document"
		badJSON     = "JSON fields are not valid"
		badCreds    = "Invalid username/password"
		badType     = "Invalid login type"
		contentType = "Invalid Content-Type header: expected application/json"
	)
	pw := func(ident any, password any) obj {
		b := obj{"type": "m.login.password"}
		if ident != nil {
			b["identifier"] = ident
		}
		if password != nil {
			b["password"] = password
		}
		return b
	}
	user := func(name string) obj { return obj{"type": "m.id.user", "user": name} }

	for _, tc := range []struct {
		name        string
		body        any
		contentType string // default application/json
		status      int
		errcode     string
		message     string
	}{
		{"empty body", "", "", 400, "M_NOT_JSON", notJSON},
		{"syntax error", "{", "", 400, "M_NOT_JSON", notJSON},
		{"trailing garbage", `{"type":"m.login.token","token":"x"} x`, "", 400, "M_NOT_JSON", notJSON},
		{"form content type", `{"type":"m.login.token","token":"x"}`, "application/x-www-form-urlencoded", 400, "M_NOT_JSON", contentType},
		{"text content type", `{}`, "text/plain", 400, "M_NOT_JSON", contentType},
		{"array", `[]`, "", 400, "M_BAD_JSON", badJSON},
		{"no type", obj{}, "", 400, "M_BAD_JSON", badJSON},
		{"numeric type", obj{"type": 1}, "", 400, "M_BAD_JSON", badJSON},
		{"refresh_token not a bool", obj{"type": "m.login.token", "token": "x", "refresh_token": "yes"}, "", 400, "M_BAD_JSON", badJSON},
		{"refresh_token null", obj{"type": "m.login.token", "token": "x", "refresh_token": nil}, "", 400, "M_BAD_JSON", badJSON},
		{"device_id not a string", obj{"type": "m.login.token", "token": "x", "device_id": 12}, "", 400, "M_BAD_JSON", badJSON},
		{"unknown type", obj{"type": "m.login.dummy"}, "", 400, "M_UNKNOWN", badType},
		{"unknown type ignores its fields", obj{"type": "org.example.login", "password": 12}, "", 400, "M_UNKNOWN", badType},
		{
			"application service", obj{"type": "m.login.application_service", "identifier": user("alice")}, "",
			400, "M_APPSERVICE_LOGIN_UNSUPPORTED",
			"Application services can't log in through the legacy authentication API on this server",
		},
		{"missing identifier", pw(nil, "x"), "", 400, "M_BAD_JSON", "Missing property 'identifier"},
		{"null identifier", obj{"type": "m.login.password", "identifier": nil, "password": "x"}, "", 400, "M_BAD_JSON", "Missing property 'identifier"},
		{"third-party identifier", pw(obj{"type": "m.id.thirdparty", "medium": "email", "address": "a@example.com"}, "x"), "", 400, "M_UNKNOWN", "Unsupported login identifier"},
		{"phone identifier", pw(obj{"type": "m.id.phone", "country": "GB", "phone": "123"}, "x"), "", 400, "M_UNKNOWN", "Unsupported login identifier"},
		{"identifier without type", pw(obj{"user": "alice"}, "x"), "", 400, "M_BAD_JSON", badJSON},
		{"identifier not an object", pw("alice", "x"), "", 400, "M_BAD_JSON", badJSON},
		{"m.id.user without user", pw(obj{"type": "m.id.user"}, "x"), "", 400, "M_BAD_JSON", badJSON},
		{"missing password", pw(user("alice"), nil), "", 400, "M_BAD_JSON", badJSON},
		{"password not a string", pw(user("alice"), 1234), "", 400, "M_BAD_JSON", badJSON},
		{"missing token", obj{"type": "m.login.token"}, "", 400, "M_BAD_JSON", badJSON},
		{"unknown user", pw(user("bob"), "correct horse"), "", 403, "M_FORBIDDEN", badCreds},
		{"wrong password", pw(user("alice"), "wrong"), "", 403, "M_FORBIDDEN", badCreds},
		{"wrong password by MXID", pw(user("@alice:example.com"), "wrong"), "", 403, "M_FORBIDDEN", badCreds},
		{"MXID of another server", pw(user("@alice:elsewhere.example"), "correct horse"), "", 403, "M_FORBIDDEN", badCreds},
		{"deactivated user", pw(user("gone"), "correct horse"), "", 403, "M_FORBIDDEN", badCreds},
		{"user without password", pw(user("nopass"), ""), "", 403, "M_FORBIDDEN", badCreds},
		{"locked user", pw(user("locked"), "correct horse"), "", 401, "M_USER_LOCKED", "User account has been locked"},
		// Upstream answers M_USER_LOCKED whatever the password, which lists
		// the locked accounts; only the right password learns of the lock.
		{"locked user, wrong password", pw(user("locked"), "wrong"), "", 403, "M_FORBIDDEN", badCreds},
		// A password over the cap is a wrong password, for existing and
		// unknown accounts alike (it once gave 500 for existing ones).
		{"password over 1 MiB, existing user", pw(user("alice"), strings.Repeat("x", 1<<20+1)), "", 403, "M_FORBIDDEN", badCreds},
		{"password over 1 MiB, unknown user", pw(user("nobody"), strings.Repeat("x", 1<<20+1)), "", 403, "M_FORBIDDEN", badCreds},
		{"unknown login token", obj{"type": "m.login.token", "token": "nope"}, "", 403, "M_FORBIDDEN", "Invalid login token"},
		// Input that is not text, and device IDs Synapse would not take,
		// are refused before anything is stored or sent to the homeserver.
		{"NUL in the user", pw(user("al\x00ice"), "correct horse"), "", 400, "M_INVALID_PARAM", "user must not contain NUL characters"},
		{"NUL in the device ID", withField(pw(user("alice"), "correct horse"), "device_id", "DEV\x00ICE"), "", 400, "M_INVALID_PARAM", "device_id must not contain NUL characters"},
		{"NUL in the display name", withField(pw(user("alice"), "correct horse"), "initial_device_display_name", "x\x00"), "", 400, "M_INVALID_PARAM", "initial_device_display_name must not contain NUL characters"},
		{"invalid UTF-8", "{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\",\"user\":\"\xff\"},\"password\":\"x\"}", "", 400, "M_NOT_JSON", "Body is not a valid JSON document"},
		{"device ID with a line break", withField(pw(user("alice"), "correct horse"), "device_id", "DEV\r\nX-Header: 1"), "", 400, "M_INVALID_PARAM", badDeviceID},
		{"device ID with a space", withField(pw(user("alice"), "correct horse"), "device_id", "MY DEVICE"), "", 400, "M_INVALID_PARAM", badDeviceID},
		{"device ID of 100 KB", withField(pw(user("alice"), "correct horse"), "device_id", strings.Repeat("D", 100<<10)), "", 400, "M_INVALID_PARAM", badDeviceID},
		{"empty login token", obj{"type": "m.login.token", "token": ""}, "", 403, "M_FORBIDDEN", "Invalid login token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, ok := tc.body.(string)
			if !ok {
				b, err := json.Marshal(tc.body)
				if err != nil {
					t.Fatal(err)
				}
				raw = string(b)
			}
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			res := e.do(e.request("POST", loginPath, raw, "Content-Type", ct))
			res.wantError(t, tc.status, tc.errcode, tc.message)
		})
	}

	// None of the refusals created anything.
	if n, err := e.store.CompatSessions().CountActiveForUser(ctx, locked.ID); err != nil || n != 0 {
		t.Errorf("locked user has %d sessions (%v)", n, err)
	}
	if got := e.hs.Devices("alice"); len(got) != 0 {
		t.Errorf("refused logins created devices %v", got)
	}
}

func TestLoginBodyTooLarge(t *testing.T) {
	e := newEnv(t, envOptions{})
	body := `{"type":"m.login.token","token":"` + strings.Repeat("x", 2<<20) + `"}`
	e.postJSON(loginPath, body).wantError(t, 413, "M_TOO_LARGE", "Request body too large")
}

func TestLoginEmptyDeviceID(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice", "correct horse")
	for _, id := range []any{"", nil} {
		res := e.login("alice", "correct horse", obj{"device_id": id, "initial_device_display_name": nil})
		if len(res.str("device_id")) != 10 {
			t.Errorf("device_id %v gave %q", id, res.str("device_id"))
		}
	}
}

func TestLoginPasswordDisabled(t *testing.T) {
	e := newEnv(t, envOptions{disabled: true})
	e.user("alice", "")
	for _, body := range []obj{
		passwordBody("alice", "whatever"),
		// Without passwords even a malformed identifier is just an
		// unsupported login type.
		{"type": "m.login.password", "password": "x"},
	} {
		e.postJSON(loginPath, body).wantError(t, 400, "M_UNKNOWN", "Invalid login type")
	}
}

func TestPasswordLogin(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	deviceRE := regexp.MustCompile(`^[A-Za-z0-9]{10}$`)

	for _, tc := range []struct {
		name string
		body obj
		// noContentType sends the body without a Content-Type header,
		// which the Matrix spec allows.
		noContentType bool
	}{
		{name: "identifier with localpart", body: passwordBody("alice", "correct horse")},
		{name: "identifier with MXID", body: passwordBody("@alice:example.com", "correct horse")},
		{name: "username in another case", body: passwordBody("ALICE", "correct horse")},
		{name: "deprecated user", body: obj{"type": "m.login.password", "user": "alice", "password": "correct horse"}},
		{
			name: "deprecated user wins over the identifier",
			body: obj{"type": "m.login.password", "user": "@alice:example.com", "identifier": obj{"type": "m.id.thirdparty"}, "password": "correct horse"},
		},
		{name: "no content type", body: passwordBody("alice", "correct horse"), noContentType: true},
		{name: "JSON content type with parameters", body: passwordBody("alice", "correct horse")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := json.Marshal(tc.body)
			req := e.request("POST", loginPath, string(b))
			if !tc.noContentType {
				req.Header.Set("Content-Type", "application/json; charset=utf-8")
			}
			res := e.do(req)
			if res.status != http.StatusOK {
				t.Fatalf("%d %s", res.status, res.raw)
			}
			if got := res.str("user_id"); got != "@alice:example.com" {
				t.Errorf("user_id %q", got)
			}
			if typ, err := tokens.Check(res.str("access_token")); err != nil || typ != tokens.CompatAccessToken {
				t.Errorf("access_token %q: %v %v", res.str("access_token"), typ, err)
			}
			if !deviceRE.MatchString(res.str("device_id")) {
				t.Errorf("device_id %q is not 10 alphanumerics", res.str("device_id"))
			}
			for _, k := range []string{"refresh_token", "expires_in_ms", "well_known"} {
				if _, ok := res.json[k]; ok {
					t.Errorf("unexpected %s in %s", k, res.raw)
				}
			}
			if !contains(e.hs.Devices("alice"), res.str("device_id")) {
				t.Errorf("device %s not on the homeserver: %v", res.str("device_id"), e.hs.Devices("alice"))
			}
			// A token without refresh token never expires.
			at, err := e.store.CompatAccessTokens().FindByToken(context.Background(), res.str("access_token"))
			if err != nil || at.ExpiresAt != nil {
				t.Errorf("access token %+v, %v", at, err)
			}
		})
	}
	if n := len(e.activeCompatSessions(alice)); n != 7 {
		t.Errorf("%d active sessions, want 7", n)
	}
}

func TestPasswordLoginSessionDetails(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	res := e.postJSON(loginPath, obj{
		"type": "m.login.password", "identifier": obj{"type": "m.id.user", "user": "alice"}, "password": "correct horse",
		"device_id": "MYDEVICE", "initial_device_display_name": "Alice's phone", "refresh_token": true,
	}, "User-Agent", "TestClient/1.0", headerClientIP, "192.0.2.7")
	if res.status != http.StatusOK {
		t.Fatalf("%d %s", res.status, res.raw)
	}
	if res.str("device_id") != "MYDEVICE" {
		t.Errorf("device_id %q", res.str("device_id"))
	}
	if typ, err := tokens.Check(res.str("refresh_token")); err != nil || typ != tokens.CompatRefreshToken {
		t.Errorf("refresh_token %q: %v %v", res.str("refresh_token"), typ, err)
	}
	if got := res.json["expires_in_ms"]; got != float64(300000) {
		t.Errorf("expires_in_ms %v, want 300000", got)
	}
	at, err := e.store.CompatAccessTokens().FindByToken(context.Background(), res.str("access_token"))
	if err != nil {
		t.Fatal(err)
	}
	if at.ExpiresAt == nil || !at.ExpiresAt.Equal(e.clock.Now().Add(5*time.Minute)) {
		t.Errorf("access token expires at %v", at.ExpiresAt)
	}
	sessions := e.activeCompatSessions(alice)
	if len(sessions) != 1 {
		t.Fatalf("%d sessions", len(sessions))
	}
	s := sessions[0]
	if s.DeviceID != "MYDEVICE" || s.HumanName != "Alice's phone" || s.UserAgent != "TestClient/1.0" ||
		s.LastActiveIP != "192.0.2.7" || s.BrowserSessionID != nil || s.IsSynapseAdmin {
		t.Errorf("session %+v", s)
	}
	u, _ := e.hs.User("alice")
	if u.DeviceDisplayNames["MYDEVICE"] != "Alice's phone" {
		t.Errorf("homeserver device names %v", u.DeviceDisplayNames)
	}
}

func TestPasswordLoginCustomTokenTTL(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.h.Settings.TokenTTL = 90 * time.Second
	e.user("alice", "correct horse")
	res := e.login("alice", "correct horse", obj{"refresh_token": true})
	if got := res.json["expires_in_ms"]; got != float64(90000) {
		t.Errorf("expires_in_ms %v", got)
	}
}

func TestPasswordUpgradeOnLogin(t *testing.T) {
	old := passwords.Scheme{Version: 1, Algorithm: passwords.AlgorithmBcrypt, Cost: 4}
	newer := passwords.Scheme{Version: 2, Algorithm: passwords.AlgorithmPBKDF2, PBKDF2Iterations: 1}
	e := newEnv(t, envOptions{passwords: cheapPasswords(t, newer, old)})
	ctx := context.Background()
	alice, err := e.store.Users().Add(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	e.hs.AddUser("alice")
	_, hash, err := cheapPasswords(t, old).Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	first, err := e.store.Passwords().Add(ctx, alice.ID, hash, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.login("alice", "correct horse", nil)
	active, err := e.store.Passwords().Active(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if active.Version != 2 || active.UpgradedFromID == nil || *active.UpgradedFromID != first.ID {
		t.Fatalf("active password %+v, want version 2 upgraded from %s", active, first.ID)
	}
	// The upgraded hash works.
	e.login("alice", "correct horse", nil)
}

func TestLoginRateLimits(t *testing.T) {
	e := newEnv(t, envOptions{limits: &ratelimit.Config{
		LoginPerIP:      ratelimit.Rate{Burst: 2, PerSecond: 1.0 / 60},
		LoginPerAccount: ratelimit.Rate{Burst: 3, PerSecond: 1.0 / 60},
	}})
	e.user("alice", "correct horse")
	from := func(ip string, body obj) response { return e.postJSON(loginPath, body, headerClientIP, ip) }

	// Per address: two attempts, then 429 even with the right password.
	from("192.0.2.1", passwordBody("alice", "wrong")).wantError(t, 403, "M_FORBIDDEN", "")
	from("192.0.2.1", passwordBody("nobody", "wrong")).wantError(t, 403, "M_FORBIDDEN", "")
	res := from("192.0.2.1", passwordBody("alice", "correct horse"))
	res.wantError(t, 429, "M_LIMIT_EXCEEDED", "Too many login attempts")
	if ms, _ := res.json["retry_after_ms"].(float64); ms <= 0 || ms > 60000 {
		t.Errorf("retry_after_ms %v", res.json["retry_after_ms"])
	}
	if res.header.Get("Retry-After") == "" {
		t.Error("no Retry-After header")
	}
	// Unknown users are limited the same way.
	from("192.0.2.1", passwordBody("nobody", "wrong")).wantError(t, 429, "M_LIMIT_EXCEEDED", "")

	// Per account: alice has used one attempt; two more from elsewhere,
	// then the account is limited whatever the address.
	from("192.0.2.2", passwordBody("alice", "wrong")).wantError(t, 403, "M_FORBIDDEN", "")
	from("192.0.2.3", passwordBody("@alice:example.com", "wrong")).wantError(t, 403, "M_FORBIDDEN", "")
	from("192.0.2.4", passwordBody("alice", "correct horse")).wantError(t, 429, "M_LIMIT_EXCEEDED", "")

	// Time heals.
	e.clock.Advance(2 * time.Minute)
	if res := from("192.0.2.4", passwordBody("alice", "correct horse")); res.status != http.StatusOK {
		t.Fatalf("after waiting: %d %s", res.status, res.raw)
	}
}

func TestLoginHomeserverFailure(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	e.hs.SetHook("/_synapse/mas/upsert_device", func(*http.Request, []byte) *homeservertest.Response {
		return homeservertest.MatrixErrorResponse(http.StatusInternalServerError, "M_UNKNOWN", "boom")
	})
	for _, refresh := range []bool{false, true} {
		res := e.postJSON(loginPath, obj{
			"type": "m.login.password", "identifier": obj{"type": "m.id.user", "user": "alice"},
			"password": "correct horse", "refresh_token": refresh,
		})
		res.wantError(t, 500, "M_UNKNOWN", "Internal server error")
	}
	if n := len(e.activeCompatSessions(alice)); n != 0 {
		t.Errorf("%d sessions after homeserver failures", n)
	}
	if n := e.jobs("sync-devices", alice); n != 0 {
		t.Errorf("%d sync jobs; nothing should have been written", n)
	}

	// A homeserver that is down altogether is the same.
	e.hs.SetHook("/_synapse/mas/upsert_device", nil)
	e.hs.SetDown(true)
	e.postJSON(loginPath, passwordBody("alice", "correct horse")).wantError(t, 500, "M_UNKNOWN", "Internal server error")
	e.hs.SetDown(false)
	e.login("alice", "correct horse", nil)
}

func TestLoginPolicy(t *testing.T) {
	banned, err := policy.New([]byte(`{"requester": {"banned_ips": ["198.51.100.0/24"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{policy: banned})
	alice := e.user("alice", "correct horse")
	e.postJSON(loginPath, passwordBody("alice", "correct horse"), headerClientIP, "198.51.100.9").
		wantError(t, 403, "M_FORBIDDEN", "Login denied by the policy enforced by this service")
	if n := len(e.activeCompatSessions(alice)); n != 0 {
		t.Errorf("%d sessions", n)
	}
	if len(e.hs.Devices("alice")) != 0 {
		t.Errorf("devices %v", e.hs.Devices("alice"))
	}
	e.postJSON(loginPath, passwordBody("alice", "correct horse"), headerClientIP, "192.0.2.1")
}

func TestLoginHardSessionLimit(t *testing.T) {
	e := newEnv(t, envOptions{policy: sessionLimit(t, 1, 2)})
	alice := e.user("alice", "correct horse")
	first := e.login("alice", "correct horse", nil)
	e.login("alice", "correct horse", nil)
	e.postJSON(loginPath, passwordBody("alice", "correct horse")).wantError(t, 403, "M_FORBIDDEN",
		"You have reached your hard device limit. Please visit your account page to sign some out.")
	if n := len(e.activeCompatSessions(alice)); n != 2 {
		t.Errorf("%d sessions", n)
	}
	// Reusing a device replaces its session, so the count does not grow
	// and the limit does not apply.
	again := e.login("alice", "correct horse", obj{"device_id": first.str("device_id")})
	if again.str("device_id") != first.str("device_id") {
		t.Errorf("device %q", again.str("device_id"))
	}
	sessions := e.activeCompatSessions(alice)
	if len(sessions) != 2 {
		t.Fatalf("%d sessions after replacing a device", len(sessions))
	}
	e.postJSON(logoutPath, "{}", bearer(first.str("access_token"))...).wantError(t, 401, "M_UNKNOWN_TOKEN", "")
}

func TestLoginHardLimitEviction(t *testing.T) {
	e := newEnv(t, envOptions{policy: sessionLimit(t, 2, 3), eviction: true})
	ctx := context.Background()
	alice := e.user("alice", "correct horse")
	var logins []response
	for i := 0; i < 3; i++ {
		logins = append(logins, e.login("alice", "correct horse", nil))
		e.clock.Advance(time.Hour)
	}
	// The first session was last used long ago (inactive), the second
	// just now, the third at its login: the inactive one goes first.
	sessions := e.activeCompatSessions(alice)
	if err := e.store.CompatSessions().RecordActivity(ctx, sessions[0].ID, e.clock.Now().Add(-100*24*time.Hour), "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.CompatSessions().RecordActivity(ctx, sessions[1].ID, e.clock.Now(), "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	fourth := e.login("alice", "correct horse", nil)
	after := e.activeCompatSessions(alice)
	if len(after) != 3 {
		t.Fatalf("%d sessions after eviction", len(after))
	}
	for _, s := range after {
		if s.ID == sessions[0].ID {
			t.Errorf("the long-inactive session survived")
		}
	}
	e.postJSON(logoutPath, "{}", bearer(logins[0].str("access_token"))...).wantError(t, 401, "M_UNKNOWN_TOKEN", "")
	if n := e.jobs("sync-devices", alice); n != 1 {
		t.Errorf("%d sync jobs, want 1 for the evicted device", n)
	}
	if fourth.str("access_token") == "" {
		t.Error("no token")
	}

	// Without any inactive session, the least recently active goes: the
	// third, last active at its login, before the second and the fourth.
	e.login("alice", "correct horse", nil)
	after2 := e.activeCompatSessions(alice)
	for _, s := range after2 {
		if s.ID == sessions[2].ID {
			t.Errorf("session %s (least recently active) survived", s.ID)
		}
	}
}

// TestLoginEvictionNeedsCompatSessions: eviction only ends compat
// sessions; when the limit is filled by other kinds, the login fails.
func TestLoginEvictionNeedsCompatSessions(t *testing.T) {
	e := newEnv(t, envOptions{policy: sessionLimit(t, 0, 0), eviction: true})
	e.user("alice", "correct horse")
	e.postJSON(loginPath, passwordBody("alice", "correct horse")).wantError(t, 403, "M_FORBIDDEN",
		"You have reached your hard device limit. Please visit your account page to sign some out.")
}

func TestLoginReplacesDevice(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	first := e.login("alice", "correct horse", obj{"device_id": "SHARED"})
	second := e.login("alice", "correct horse", obj{"device_id": "SHARED"})
	sessions := e.activeCompatSessions(alice)
	if len(sessions) != 1 || sessions[0].DeviceID != "SHARED" {
		t.Fatalf("sessions %+v", sessions)
	}
	e.postJSON(logoutPath, "{}", bearer(first.str("access_token"))...).wantError(t, 401, "M_UNKNOWN_TOKEN", "Invalid access token")
	if got := e.hs.Devices("alice"); len(got) != 1 || got[0] != "SHARED" {
		t.Errorf("devices %v", got)
	}
	if res := e.postJSON(logoutPath, "{}", bearer(second.str("access_token"))...); res.status != http.StatusOK {
		t.Errorf("logout of the new session: %d %s", res.status, res.raw)
	}
}

// TestLoginSameDeviceRace: many logins racing for one new device ID end
// with one live session on it. On PostgreSQL, without the per-user turn
// they take, several read "nobody holds the device" at once and all stay.
func TestLoginSameDeviceRace(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	const logins = 30
	statuses := make([]int, logins)
	var wg sync.WaitGroup
	for i := range logins {
		wg.Go(func() {
			statuses[i] = e.postJSON(loginPath, withField(passwordBody("alice", "correct horse"), "device_id", "NEWDEVICE")).status
		})
	}
	wg.Wait()
	for _, st := range statuses {
		if st != http.StatusOK {
			t.Fatalf("statuses = %v, want every login to succeed", statuses)
		}
	}
	if live := e.activeCompatSessions(alice); len(live) != 1 || live[0].DeviceID != "NEWDEVICE" {
		t.Fatalf("%d live sessions after %d logins on one device, want 1: %+v", len(live), logins, live)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

const badDeviceID = "device_id must be 1 to 255 characters: letters, digits or ._~!$&'()*+,;=:@/-"

// withField adds a member to a login body.
func withField(body obj, key string, value any) obj {
	out := obj{}
	for k, v := range body {
		out[k] = v
	}
	out[key] = value
	return out
}
