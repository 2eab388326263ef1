package oauth

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/homeserver/homeservertest"
	"mas/internal/tokens"
)

// deviceGrant stores a pending device authorization for c.
func (e *tokenEnv) deviceGrant(c *domain.Client, scope []string) *domain.DeviceCodeGrant {
	e.t.Helper()
	dc, err := tokens.RandomAlphanumeric(rand.Reader, 32)
	e.must(err)
	uc, err := tokens.RandomUpperAlphanumeric(rand.Reader, 6)
	e.must(err)
	now := e.clock.Now()
	g := &domain.DeviceCodeGrant{ClientID: c.ID, Scope: scope, UserCode: uc, DeviceCode: dc, ExpiresAt: now.Add(20 * time.Minute)}
	e.must(e.db.DeviceCodeGrants().Add(context.Background(), g))
	return g
}

func deviceForm(c *domain.Client, deviceCode string) url.Values {
	return url.Values{"grant_type": {grantTypeDeviceCode}, "device_code": {deviceCode}, "client_id": {c.ID.String()}}
}

// TestDeviceCodePolling walks a device through the whole flow: it starts
// the grant, polls while the user has not answered, and gets its tokens
// once the user approves.
func TestDeviceCodePolling(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client(func(c *domain.Client) { c.GrantDeviceCode = true })
	u := e.user("alice")
	bs := e.login(u)

	rec := e.post("/oauth2/device", url.Values{"client_id": {c.ID.String()},
		"scope": {"urn:matrix:client:device:TVDEVICE01 openid urn:matrix:client:api:*"}}, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("device authorization: %d %s", rec.Code, rec.Body.String())
	}
	deviceCode := jsonBody(t, rec)["device_code"].(string)

	for range 2 {
		e.clock.Advance(5 * time.Second)
		wantTokenError(t, e.tokenRequest(deviceForm(c, deviceCode)), http.StatusForbidden, ErrAuthorizationPending)
	}

	g, err := e.db.DeviceCodeGrants().FindByDeviceCode(context.Background(), deviceCode)
	e.must(err)
	e.must(e.db.DeviceCodeGrants().Fulfill(context.Background(), g, bs.ID))
	e.clock.Advance(5 * time.Second)

	m := wantTokenOK(t, e.post("/oauth2/token", deviceForm(c, deviceCode), http.Header{"User-Agent": {"SmartTV/2"}}))
	if m["scope"] != "openid urn:matrix:client:api:* urn:matrix:client:device:TVDEVICE01" || m["expires_in"] != float64(300) {
		t.Errorf("response = %v", m)
	}
	access := m["access_token"].(string)
	if _, ok := m["refresh_token"]; !ok {
		t.Error("no refresh token for a client with the refresh_token grant")
	}
	claims, _ := e.decodeJWT(m["id_token"].(string))
	if claims["sub"] != u.ID.String() || claims["aud"] != c.ID.String() || claims["at_hash"] != halfHash(access) {
		t.Errorf("id token claims = %v", claims)
	}
	if _, ok := claims["c_hash"]; ok {
		t.Errorf("c_hash in a device flow ID token: %v", claims)
	}
	s := e.sessionOfAccessToken(access)
	if s.UserID == nil || *s.UserID != u.ID || s.BrowserSessionID == nil || *s.BrowserSessionID != bs.ID || s.UserAgent != "SmartTV/2" {
		t.Fatalf("session = %+v", s)
	}
	if fu, _ := e.hs.User("alice"); len(fu.Devices) != 1 || fu.Devices[0] != "TVDEVICE01" {
		t.Fatalf("homeserver devices = %v", fu.Devices)
	}

	// The device code is spent.
	wantTokenError(t, e.tokenRequest(deviceForm(c, deviceCode)), http.StatusBadRequest, ErrInvalidGrant)
}

func TestDeviceCodeWithoutRefreshGrant(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client(func(c *domain.Client) { c.GrantDeviceCode, c.GrantRefreshToken = true, false })
	bs := e.login(e.user("alice"))
	g := e.deviceGrant(c, []string{"urn:matrix:client:api:*"})
	e.must(e.db.DeviceCodeGrants().Fulfill(context.Background(), g, bs.ID))
	m := wantTokenOK(t, e.tokenRequest(deviceForm(c, g.DeviceCode)))
	for _, absent := range []string{"refresh_token", "id_token"} {
		if _, ok := m[absent]; ok {
			t.Errorf("%s present: %v", absent, m)
		}
	}
}

func TestDeviceCodeHomeserverFailure(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client(func(c *domain.Client) { c.GrantDeviceCode = true })
	bs := e.login(e.user("alice"))
	g := e.deviceGrant(c, []string{"urn:matrix:client:api:*", "urn:matrix:client:device:TVDEVICE01"})
	e.must(e.db.DeviceCodeGrants().Fulfill(context.Background(), g, bs.ID))
	e.hs.SetHook(pathUpsertDevice, func(*http.Request, []byte) *homeservertest.Response {
		return homeservertest.MatrixErrorResponse(http.StatusInternalServerError, "M_UNKNOWN", "boom")
	})
	wantTokenError(t, e.tokenRequest(deviceForm(c, g.DeviceCode)), http.StatusInternalServerError, ErrServerError)
	if n := e.count(`SELECT COUNT(*) FROM oauth2_sessions`); n != 0 {
		t.Fatalf("%d sessions after a failed exchange", n)
	}
	e.hs.SetHook(pathUpsertDevice, nil)
	wantTokenOK(t, e.tokenRequest(deviceForm(c, g.DeviceCode)))
}
