package oauth

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"mas/internal/domain"
)

func TestDeviceAuthorization(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client(func(c *domain.Client) { c.GrantDeviceCode = true })
	rec := e.post("/oauth2/device", url.Values{"client_id": {c.ID.String()}, "scope": {"urn:matrix:client:api:* openid"}},
		http.Header{"User-Agent": {"SmartTV/2"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Pragma") != "no-cache" {
		t.Errorf("headers = %v", rec.Header())
	}
	m := jsonBody(t, rec)
	deviceCode, _ := m["device_code"].(string)
	userCode, _ := m["user_code"].(string)
	if !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).MatchString(deviceCode) {
		t.Errorf("device_code = %q", deviceCode)
	}
	if !regexp.MustCompile(`^[A-Z0-9]{6}$`).MatchString(userCode) {
		t.Errorf("user_code = %q", userCode)
	}
	want := map[string]any{
		"device_code":               deviceCode,
		"user_code":                 userCode,
		"verification_uri":          "https://auth.example.com/link",
		"verification_uri_complete": "https://auth.example.com/link?code=" + userCode,
		"expires_in":                float64(1200),
		"interval":                  float64(5),
	}
	if len(m) != len(want) {
		t.Errorf("body = %v, want %v", m, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}

	g, err := e.db.DeviceCodeGrants().FindByUserCode(context.Background(), userCode)
	e.must(err)
	if g.ClientID != c.ID || g.DeviceCode != deviceCode || g.UserAgent != "SmartTV/2" || g.Stage() != domain.StagePending ||
		!g.ExpiresAt.Equal(e.clock.Now().Add(20*time.Minute)) || len(g.Scope) != 2 || g.Scope[0] != "openid" {
		t.Fatalf("stored grant = %+v", g)
	}
}

func TestDeviceAuthorizationErrors(t *testing.T) {
	e := newTokenEnv(t, func(h *Handler) { h.Settings.DeviceCodeAutoFill = false })

	// Without auto-fill there is no complete URI.
	c := e.client(func(c *domain.Client) { c.GrantDeviceCode = true })
	rec := e.post("/oauth2/device", url.Values{"client_id": {c.ID.String()}}, nil)
	m := jsonBody(t, rec)
	if rec.Code != http.StatusOK || m["verification_uri"] != "https://auth.example.com/link" {
		t.Fatalf("status %d, body %v", rec.Code, m)
	}
	if _, ok := m["verification_uri_complete"]; ok {
		t.Errorf("verification_uri_complete without auto-fill: %v", m)
	}

	// A client without the grant type.
	plain := e.client()
	wantTokenError(t, e.post("/oauth2/device", url.Values{"client_id": {plain.ID.String()}}, nil),
		http.StatusUnauthorized, ErrUnauthorizedClient)
	// An unknown client.
	wantTokenError(t, e.post("/oauth2/device", url.Values{"client_id": {"01H00000000000000000000000"}}, nil),
		http.StatusUnauthorized, ErrInvalidClient)
}

// zeroesFirst reads n zero bytes, then from the real source: the first
// codes drawn are predictable ("AAAA…"), the later ones random.
type zeroesFirst struct{ n int }

func (z *zeroesFirst) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return rand.Read(p)
	}
	k := min(len(p), z.n)
	clear(p[:k])
	z.n -= k
	return k, nil
}

func TestDeviceAuthorizationUserCodeCollision(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client(func(c *domain.Client) { c.GrantDeviceCode = true })
	ctx := context.Background()
	e.must(e.db.DeviceCodeGrants().Add(ctx, &domain.DeviceCodeGrant{
		ClientID: c.ID, UserCode: "AAAAAA", DeviceCode: "taken-device-code", ExpiresAt: e.clock.Now().Add(time.Minute),
	}))

	// The first draw gives user code AAAAAA, which is taken: a second
	// draw is used instead.
	e.h.Rand = &zeroesFirst{n: 48 + 15} // one device code and one user code draw
	rec := e.post("/oauth2/device", url.Values{"client_id": {c.ID.String()}}, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body.String())
	}
	if got := jsonBody(t, rec)["user_code"]; got == "AAAAAA" {
		t.Fatal("a taken user code was handed out")
	}

	// A source that keeps colliding ends in a server error, not a loop.
	e.h.Rand = bytes.NewReader(make([]byte, 1<<20))
	e.must(e.db.DeviceCodeGrants().Add(ctx, &domain.DeviceCodeGrant{
		ClientID: c.ID, UserCode: "BBBBBB", DeviceCode: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ExpiresAt: e.clock.Now().Add(time.Minute),
	}))
	wantTokenError(t, e.post("/oauth2/device", url.Values{"client_id": {c.ID.String()}}, nil),
		http.StatusInternalServerError, ErrServerError)
}
