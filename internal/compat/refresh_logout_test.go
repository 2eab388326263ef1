package compat_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/tokens"
)

func TestRefresh(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	alice := e.user("alice", "correct horse")
	first := e.login("alice", "correct horse", obj{"refresh_token": true})

	e.clock.Advance(time.Minute)
	res := e.postJSON(refreshPath, obj{"refresh_token": first.str("refresh_token")})
	if res.status != http.StatusOK {
		t.Fatalf("%d %s", res.status, res.raw)
	}
	if len(res.json) != 3 || res.json["expires_in_ms"] != float64(300000) {
		t.Errorf("response %s", res.raw)
	}
	if typ, err := tokens.Check(res.str("access_token")); err != nil || typ != tokens.CompatAccessToken {
		t.Errorf("access_token %q", res.str("access_token"))
	}
	if res.str("access_token") == first.str("access_token") || res.str("refresh_token") == first.str("refresh_token") {
		t.Error("tokens were not rotated")
	}

	// The old pair is spent: the access token expired now, the refresh
	// token is consumed.
	oldAT, err := e.store.CompatAccessTokens().FindByToken(ctx, first.str("access_token"))
	if err != nil {
		t.Fatal(err)
	}
	if oldAT.Valid(e.clock.Now()) {
		t.Errorf("old access token still valid until %v", oldAT.ExpiresAt)
	}
	oldRT, err := e.store.CompatRefreshTokens().FindByToken(ctx, first.str("refresh_token"))
	if err != nil || oldRT.ConsumedAt == nil {
		t.Errorf("old refresh token %+v, %v", oldRT, err)
	}
	newAT, err := e.store.CompatAccessTokens().FindByToken(ctx, res.str("access_token"))
	if err != nil || newAT.ExpiresAt == nil || !newAT.ExpiresAt.Equal(e.clock.Now().Add(5*time.Minute)) {
		t.Errorf("new access token %+v, %v", newAT, err)
	}
	// Same session, same device.
	if sessions := e.activeCompatSessions(alice); len(sessions) != 1 || sessions[0].ID != newAT.SessionID {
		t.Errorf("sessions %+v", sessions)
	}

	// The old access token is dead at once. (The old refresh token's
	// second chance is TestRefreshLostResponse's subject.)
	e.postJSON(logoutPath, "{}", bearer(first.str("access_token"))...).wantError(t, 401, "M_UNKNOWN_TOKEN", "")

	// The new pair works, and refreshing after the access token expired
	// is fine too.
	e.clock.Advance(time.Hour)
	again := e.postJSON(refreshPath, obj{"refresh_token": res.str("refresh_token")})
	if again.status != http.StatusOK {
		t.Fatalf("second refresh: %d %s", again.status, again.raw)
	}
	if r := e.postJSON(logoutPath, "{}", bearer(again.str("access_token"))...); r.status != http.StatusOK {
		t.Fatalf("logout: %d %s", r.status, r.raw)
	}
	// A refresh token of an ended session is refused.
	e.postJSON(refreshPath, obj{"refresh_token": again.str("refresh_token")}).
		wantError(t, 401, "M_UNKNOWN_TOKEN", "Invalid refresh token")
}

// refreshed is one successful compat refresh.
type refreshed struct{ access, refresh string }

func (e *env) refresh(token string) refreshed {
	e.t.Helper()
	res := e.postJSON(refreshPath, obj{"refresh_token": token})
	if res.status != http.StatusOK {
		e.t.Fatalf("refresh: %d %s", res.status, res.raw)
	}
	return refreshed{access: res.str("access_token"), refresh: res.str("refresh_token")}
}

// markUsed records that the homeserver saw an access token, as
// introspection does.
func (e *env) markUsed(access string) {
	e.t.Helper()
	ctx := context.Background()
	at, err := e.store.CompatAccessTokens().FindByToken(ctx, access)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.CompatAccessTokens().MarkUsed(ctx, at); err != nil {
		e.t.Fatal(err)
	}
}

// TestRefreshLostResponse: when our answer to a refresh never reached the
// client, it may present the old token once more, as long as the pair it
// did not receive is unused.
func TestRefreshLostResponse(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	alice := e.user("alice", "correct horse")
	login := e.login("alice", "correct horse", obj{"refresh_token": true})

	lost := e.refresh(login.str("refresh_token")) // the client never sees this
	retry := e.refresh(login.str("refresh_token"))

	// The lost pair is gone; the retry's pair works.
	if _, err := e.store.CompatAccessTokens().FindByToken(ctx, lost.access); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lost access token still stored: %v", err)
	}
	e.postJSON(refreshPath, obj{"refresh_token": lost.refresh}).wantError(t, 401, "M_UNKNOWN_TOKEN", "Invalid refresh token")
	// Only once.
	e.postJSON(refreshPath, obj{"refresh_token": login.str("refresh_token")}).wantError(t, 401, "M_UNKNOWN_TOKEN", "Invalid refresh token")
	if sessions := e.activeCompatSessions(alice); len(sessions) != 1 {
		t.Fatalf("sessions %+v", sessions)
	}
	// The chain goes on from the retry.
	next := e.refresh(retry.refresh)
	if r := e.postJSON(logoutPath, "{}", bearer(next.access)...); r.status != http.StatusOK {
		t.Fatalf("logout with the chain's newest token: %d %s", r.status, r.raw)
	}
}

// TestRefreshReplayAfterSuccessorUsed: a consumed compat refresh token that
// comes back after its successor was used is a proven replay; the session
// ends, the device is synced away and the log says so.
func TestRefreshReplayAfterSuccessorUsed(t *testing.T) {
	for _, tc := range []struct {
		name string
		use  func(e *env, next refreshed) // proof the client got next
	}{
		{"successor access token used", func(e *env, next refreshed) { e.markUsed(next.access) }},
		{"successor refresh token used", func(e *env, next refreshed) { e.refresh(next.refresh) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			alice := e.user("alice", "correct horse")
			login := e.login("alice", "correct horse", obj{"refresh_token": true, "device_id": "PHONE"})
			next := e.refresh(login.str("refresh_token"))
			tc.use(e, next)
			syncsBefore := e.jobs("sync-devices", alice)

			e.postJSON(refreshPath, obj{"refresh_token": login.str("refresh_token")}).wantError(t, 401, "M_UNKNOWN_TOKEN", "Invalid refresh token")
			if sessions := e.activeCompatSessions(alice); len(sessions) != 0 {
				t.Fatalf("session survived a proven replay: %+v", sessions)
			}
			if n := e.jobs("sync-devices", alice); n != syncsBefore+1 {
				t.Fatalf("sync-devices jobs = %d, want %d", n, syncsBefore+1)
			}
			logged := e.logs.String()
			for _, want := range []string{"security: compat refresh token replayed", "device_id=PHONE", "user_id=" + alice.ID.String()} {
				if !strings.Contains(logged, want) {
					t.Errorf("log lacks %q:\n%s", want, logged)
				}
			}
			if strings.Contains(logged, login.str("refresh_token")) {
				t.Error("the log carries the refresh token itself")
			}
		})
	}
}

// TestRefreshConcurrent: the client's own concurrent refreshes of one token
// leave exactly one working chain and the session alive.
func TestRefreshConcurrent(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	login := e.login("alice", "correct horse", obj{"refresh_token": true})
	const n = 8
	got := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i] = e.postJSON(refreshPath, obj{"refresh_token": login.str("refresh_token")}) })
	}
	wg.Wait()
	ctx := context.Background()
	live := 0
	for _, res := range got {
		switch res.status {
		case http.StatusOK:
			rt, err := e.store.CompatRefreshTokens().FindByToken(ctx, res.str("refresh_token"))
			if err == nil && rt.ConsumedAt == nil {
				live++
			}
		case http.StatusUnauthorized:
		default:
			t.Fatalf("refresh: %d %s", res.status, res.raw)
		}
	}
	if live != 1 {
		t.Fatalf("%d live refresh tokens after %d concurrent refreshes, want 1", live, n)
	}
	if sessions := e.activeCompatSessions(alice); len(sessions) != 1 {
		t.Fatalf("concurrent refreshes ended the session: %+v", sessions)
	}
}

func TestRefreshErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice", "correct horse")
	login := e.login("alice", "correct horse", obj{"refresh_token": true})
	unknown, err := tokens.Generate(tokens.CompatRefreshToken, randReader{})
	if err != nil {
		t.Fatal(err)
	}
	oauthRefresh, err := tokens.Generate(tokens.RefreshToken, randReader{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		body    any
		status  int
		errcode string
		message string
	}{
		{"not JSON", "refresh", 400, "M_NOT_JSON", "Body is not a valid JSON document"},
		{"missing refresh_token", obj{}, 400, "M_BAD_JSON", "JSON fields are not valid"},
		{"refresh_token not a string", obj{"refresh_token": 1}, 400, "M_BAD_JSON", "JSON fields are not valid"},
		{"garbage", obj{"refresh_token": "garbage"}, 401, "M_UNKNOWN_TOKEN", "Invalid refresh token"},
		{"bad checksum", obj{"refresh_token": unknown[:len(unknown)-1] + "x"}, 401, "M_UNKNOWN_TOKEN", "Invalid refresh token"},
		{"unknown", obj{"refresh_token": unknown}, 401, "M_UNKNOWN_TOKEN", "Invalid refresh token"},
		{"an access token", obj{"refresh_token": login.str("access_token")}, 401, "M_UNKNOWN_TOKEN", "Invalid refresh token"},
		{"an OAuth refresh token", obj{"refresh_token": oauthRefresh}, 401, "M_UNKNOWN_TOKEN", "Invalid refresh token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.postJSON(refreshPath, tc.body).wantError(t, tc.status, tc.errcode, tc.message)
		})
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	alice := e.user("alice", "correct horse")
	keep := e.login("alice", "correct horse", nil)
	login := e.login("alice", "correct horse", nil)

	// mautrix and most clients send "{}"; others send nothing.
	res := e.do(e.request("POST", logoutPath, "", bearer(login.str("access_token"))...))
	if res.status != http.StatusOK || res.raw != "{}\n" {
		t.Fatalf("%d %q", res.status, res.raw)
	}
	sessions := e.activeCompatSessions(alice)
	if len(sessions) != 1 || sessions[0].DeviceID != keep.str("device_id") {
		t.Errorf("sessions after logout %+v", sessions)
	}
	if n := e.jobs("sync-devices", alice); n != 1 {
		t.Errorf("%d sync-devices jobs, want 1", n)
	}
	// The token is dead.
	e.postJSON(logoutPath, "{}", bearer(login.str("access_token"))...).wantError(t, 401, "M_UNKNOWN_TOKEN", "Invalid access token")
	if n := e.jobs("sync-devices", alice); n != 1 {
		t.Errorf("a refused logout enqueued a job")
	}
	at, err := e.store.CompatAccessTokens().FindByToken(ctx, login.str("access_token"))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := e.store.CompatSessions().Lookup(ctx, at.SessionID); err != nil || s.FinishedAt == nil {
		t.Errorf("session %+v, %v", s, err)
	}
}

func TestLogoutErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice", "correct horse")
	expiring := e.login("alice", "correct horse", obj{"refresh_token": true})
	e.clock.Advance(6 * time.Minute)
	unknown, err := tokens.Generate(tokens.CompatAccessToken, randReader{})
	if err != nil {
		t.Fatal(err)
	}
	oauthToken, err := tokens.Generate(tokens.AccessToken, randReader{})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{logoutPath, logoutAllPath} {
		for _, tc := range []struct {
			name    string
			headers []string
			status  int
			errcode string
			message string
		}{
			{"no Authorization", nil, 401, "M_MISSING_TOKEN", "Missing access token"},
			{"basic auth", []string{"Authorization", "Basic YTpi"}, 401, "M_MISSING_TOKEN", "Missing access token"},
			{"empty bearer", []string{"Authorization", "Bearer "}, 401, "M_MISSING_TOKEN", "Missing access token"},
			{"garbage", bearer("garbage"), 401, "M_UNKNOWN_TOKEN", "Invalid access token"},
			{"unknown", bearer(unknown), 401, "M_UNKNOWN_TOKEN", "Invalid access token"},
			{"OAuth access token", bearer(oauthToken), 401, "M_UNKNOWN_TOKEN", "Invalid access token"},
			{"refresh token", bearer(expiring.str("refresh_token")), 401, "M_UNKNOWN_TOKEN", "Invalid access token"},
			{"expired", bearer(expiring.str("access_token")), 401, "M_UNKNOWN_TOKEN", "Invalid access token"},
		} {
			t.Run(path+" "+tc.name, func(t *testing.T) {
				body := `{"io.element.only_compat_is_fine": true}`
				e.postJSON(path, body, tc.headers...).wantError(t, tc.status, tc.errcode, tc.message)
			})
		}
	}
}

func TestLogoutAll(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice", "correct horse")
	bob := e.user("bob", "battery staple")
	a1 := e.login("alice", "correct horse", nil)
	e.login("alice", "correct horse", nil)
	b1 := e.login("bob", "battery staple", nil)

	// Without the opt-in, the endpoint does not exist for the client; the
	// token is checked first.
	for _, body := range []string{"", "{}", `{"io.element.only_compat_is_fine": false}`} {
		req := e.request("POST", logoutAllPath, body, bearer(a1.str("access_token"))...)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		e.do(req).wantError(t, 404, "M_UNRECOGNIZED", "The /logout/all endpoint is not supported by this deployment")
	}
	// Malformed bodies are refused before anything else.
	e.postJSON(logoutAllPath, `{"io.element.only_compat_is_fine": "yes"}`, bearer(a1.str("access_token"))...).
		wantError(t, 400, "M_BAD_JSON", "JSON fields are not valid")
	e.postJSON(logoutAllPath, `{`).wantError(t, 400, "M_NOT_JSON", "Body is not a valid JSON document")
	e.do(e.request("POST", logoutAllPath, `{}`, "Content-Type", "text/plain")).
		wantError(t, 400, "M_NOT_JSON", "Invalid Content-Type header: expected application/json")
	if n := len(e.activeCompatSessions(alice)); n != 2 {
		t.Fatalf("%d sessions before the real logout", n)
	}

	res := e.postJSON(logoutAllPath, obj{"io.element.only_compat_is_fine": true}, bearer(a1.str("access_token"))...)
	if res.status != http.StatusOK || res.raw != "{}\n" {
		t.Fatalf("%d %s", res.status, res.raw)
	}
	if n := len(e.activeCompatSessions(alice)); n != 0 {
		t.Errorf("alice has %d sessions left", n)
	}
	if n := len(e.activeCompatSessions(bob)); n != 1 {
		t.Errorf("bob has %d sessions, want 1", n)
	}
	if n := e.jobs("sync-devices", alice); n != 1 {
		t.Errorf("%d sync jobs for alice", n)
	}
	e.postJSON(logoutPath, "{}", bearer(b1.str("access_token"))...)

	// A locked user's token cannot log everything out.
	c1 := e.login("alice", "correct horse", nil)
	a, _ := e.store.Users().FindByUsername(context.Background(), "alice")
	e.updateUser(a, func(u *domain.User) { u.Lock(e.clock.Now()) })
	e.postJSON(logoutAllPath, obj{"io.element.only_compat_is_fine": true}, bearer(c1.str("access_token"))...).
		wantError(t, 401, "M_UNKNOWN_TOKEN", "Invalid access token")
}

// randReader is a deterministic but never-repeating-enough source for
// tokens a test only needs to be well-formed.
type randReader struct{}

func (randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i*7 + 3)
	}
	return len(p), nil
}
