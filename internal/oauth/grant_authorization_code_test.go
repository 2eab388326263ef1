package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/homeserver/homeservertest"
)

// pkceVerifier is a valid RFC 7636 verifier (43 unreserved characters).
const pkceVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

func s256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

const pathUpsertDevice = "/_synapse/mas/upsert_device"

func TestAuthorizationCodeGrant(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	u := e.user("alice")
	bs := e.login(u)
	authTime := e.clock.Now()
	e.clock.Advance(30 * time.Second) // consent comes after login
	g := e.fulfilledGrant(c, bs, grantOpts{nonce: "n-0S6_WzA2Mj", scope: []string{
		"urn:matrix:client:device:DEVICEABCD", "openid", "urn:matrix:client:api:*",
	}})
	e.clock.Advance(5 * time.Second)
	now := e.clock.Now()

	form := codeForm(c, g)
	req := e.post("/oauth2/token", form, http.Header{"User-Agent": {"Element X/1.0"}})
	m := wantTokenOK(t, req)

	access, _ := m["access_token"].(string)
	refresh, _ := m["refresh_token"].(string)
	if !strings.HasPrefix(access, "mat_") || !strings.HasPrefix(refresh, "mar_") {
		t.Fatalf("tokens = %q, %q", access, refresh)
	}
	if m["expires_in"] != float64(300) {
		t.Errorf("expires_in = %v, want 300", m["expires_in"])
	}
	// The scope comes back as upstream's ordered set.
	if want := "openid urn:matrix:client:api:* urn:matrix:client:device:DEVICEABCD"; m["scope"] != want {
		t.Errorf("scope = %v, want %q", m["scope"], want)
	}

	// The ID token.
	idToken, _ := m["id_token"].(string)
	claims, hdr := e.decodeJWT(idToken)
	if hdr.Alg != "RS256" || hdr.Kid == "" {
		t.Errorf("header = %+v, want RS256 with a kid", hdr)
	}
	wantClaims := map[string]any{
		"iss":       tokenTestIssuer,
		"sub":       u.ID.String(),
		"aud":       c.ID.String(),
		"iat":       float64(now.Unix()),
		"exp":       float64(now.Add(time.Hour).Unix()),
		"nonce":     "n-0S6_WzA2Mj",
		"auth_time": float64(authTime.Unix()),
		"sid":       bs.ID.String(),
		"at_hash":   halfHash(access),
		"c_hash":    halfHash(g.Code),
	}
	for k, want := range wantClaims {
		if claims[k] != want {
			t.Errorf("claim %s = %v, want %v", k, claims[k], want)
		}
	}
	if len(claims) != len(wantClaims) {
		t.Errorf("claims = %v, want exactly %v", claims, wantClaims)
	}

	// The session.
	s := e.sessionOfAccessToken(access)
	if s.ClientID != c.ID || s.UserID == nil || *s.UserID != u.ID || s.BrowserSessionID == nil || *s.BrowserSessionID != bs.ID ||
		s.UserAgent != "Element X/1.0" || !s.Active() || len(s.Scope) != 3 {
		t.Fatalf("session = %+v", s)
	}
	exchanged, err := e.db.AuthorizationGrants().Lookup(context.Background(), g.ID)
	e.must(err)
	if exchanged.Stage() != domain.StageExchanged || exchanged.SessionID == nil || *exchanged.SessionID != s.ID {
		t.Fatalf("grant after exchange = %+v", exchanged)
	}

	// The device exists on the homeserver, named after the client.
	fu, _ := e.hs.User("alice")
	if len(fu.Devices) != 1 || fu.Devices[0] != "DEVICEABCD" || fu.DeviceDisplayNames["DEVICEABCD"] != "Test Client" {
		t.Fatalf("homeserver devices = %v %v", fu.Devices, fu.DeviceDisplayNames)
	}
	if !e.active(access) || !e.active(refresh) {
		t.Fatal("issued tokens are not active")
	}
}

// halfHash is at_hash/c_hash for RS256/ES256.
func halfHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func TestAuthorizationCodeIDTokenAlgorithms(t *testing.T) {
	e := newTokenEnv(t)
	for _, tc := range []struct {
		alg     string
		hashLen int // bytes of the half hash
	}{{"ES256", 16}, {"ES384", 24}, {"PS256", 16}, {"RS512", 32}} {
		t.Run(tc.alg, func(t *testing.T) {
			e.t = t
			c := e.client(func(c *domain.Client) { c.IDTokenSignedResponseAlg = tc.alg })
			bs := e.login(e.user("alg" + strings.ToLower(tc.alg)))
			g := e.fulfilledGrant(c, bs, grantOpts{scope: []string{"openid"}})
			m := wantTokenOK(t, e.tokenRequest(codeForm(c, g)))
			claims, hdr := e.decodeJWT(m["id_token"].(string))
			if hdr.Alg != tc.alg {
				t.Fatalf("alg = %s, want %s", hdr.Alg, tc.alg)
			}
			raw, err := base64.RawURLEncoding.DecodeString(claims["at_hash"].(string))
			if err != nil || len(raw) != tc.hashLen {
				t.Fatalf("at_hash %v decodes to %d bytes, want %d", claims["at_hash"], len(raw), tc.hashLen)
			}
			if _, ok := claims["nonce"]; ok {
				t.Errorf("nonce present without one in the request: %v", claims)
			}
		})
	}
}

func TestAuthorizationCodeWithoutOpenID(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	bs := e.login(e.user("alice"))
	g := e.fulfilledGrant(c, bs, grantOpts{scope: []string{"urn:matrix:client:api:*"}})
	m := wantTokenOK(t, e.tokenRequest(codeForm(c, g)))
	if _, ok := m["id_token"]; ok {
		t.Fatalf("id_token issued without openid: %v", m)
	}
	if fu, _ := e.hs.User("alice"); len(fu.Devices) != 0 {
		t.Fatalf("devices = %v, want none without a device scope", fu.Devices)
	}
}

func TestAuthorizationCodePKCE(t *testing.T) {
	e := newTokenEnv(t)
	cases := []struct {
		name, method, challenge, verifier string
		ok                                bool
	}{
		{"S256", "S256", s256Challenge(pkceVerifier), pkceVerifier, true},
		{"plain", "plain", pkceVerifier, pkceVerifier, true},
		{"method omitted means plain", "", pkceVerifier, pkceVerifier, true},
		{"S256 challenge, plain verifier", "S256", s256Challenge(pkceVerifier), s256Challenge(pkceVerifier), false},
		{"downgrade: challenge but no verifier", "S256", s256Challenge(pkceVerifier), "", false},
		{"downgrade: verifier but no challenge", "", "", pkceVerifier, false},
		{"verifier too short", "plain", "short", "short", false},
		{"verifier with forbidden characters", "plain", strings.Repeat("a", 42) + "+", strings.Repeat("a", 42) + "+", false},
		{"unknown method", "S512", pkceVerifier, pkceVerifier, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			c := e.client()
			bs := e.login(e.user("p" + strings.ToLower(c.ID.String()[16:])))
			g := e.fulfilledGrant(c, bs, grantOpts{scope: []string{"openid"}, challenge: tc.challenge, method: tc.method})
			form := codeForm(c, g)
			if tc.verifier != "" {
				form.Set("code_verifier", tc.verifier)
			}
			rec := e.tokenRequest(form)
			if tc.ok {
				wantTokenOK(t, rec)
				return
			}
			m := wantTokenError(t, rec, http.StatusBadRequest, ErrInvalidGrant)
			if d, _ := m["error_description"].(string); !strings.HasPrefix(d, "PKCE verification failed: ") {
				t.Errorf("error_description = %q", d)
			}
			// A failed verification does not burn the code's session.
			if n := e.count(`SELECT COUNT(*) FROM oauth2_sessions WHERE oauth2_client_id = $1`, c.ID.String()); n != 0 {
				t.Errorf("%d sessions created", n)
			}
		})
	}
}

func TestAuthorizationCodeReplay(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	u := e.user("alice")
	g := e.fulfilledGrant(c, e.login(u), grantOpts{})
	m := wantTokenOK(t, e.tokenRequest(codeForm(c, g)))
	access, refresh := m["access_token"].(string), m["refresh_token"].(string)

	// Within 20 seconds: refused, but the session lives on (a client
	// retrying its own request).
	e.clock.Advance(20 * time.Second)
	wantTokenError(t, e.tokenRequest(codeForm(c, g)), http.StatusBadRequest, ErrInvalidGrant)
	if !e.active(access) {
		t.Fatal("session ended by a replay within 20 s")
	}
	if jobs := e.jobs("sync-devices"); len(jobs) != 0 {
		t.Fatalf("sync-devices queued early: %v", jobs)
	}

	// Later: the code leaked, so the session it made is ended, and the
	// homeserver is told to drop the device.
	e.clock.Advance(time.Second + time.Microsecond)
	wantTokenError(t, e.tokenRequest(codeForm(c, g)), http.StatusBadRequest, ErrInvalidGrant)
	if e.active(access) || e.active(refresh) {
		t.Fatal("tokens still active after a late replay")
	}
	if s := e.sessionOfAccessToken(access); s.Active() {
		t.Fatal("session not finished")
	}
	jobs := e.jobs("sync-devices")
	if len(jobs) != 1 || jobs[0]["user_id"] != u.ID.String() {
		t.Fatalf("sync-devices jobs = %v", jobs)
	}

	// A third replay changes nothing more.
	wantTokenError(t, e.tokenRequest(codeForm(c, g)), http.StatusBadRequest, ErrInvalidGrant)
	if n := len(e.jobs("sync-devices")); n != 1 {
		t.Fatalf("%d sync-devices jobs after a third replay", n)
	}
}

// TestAuthorizationCodeConcurrentExchange presents one code from many
// requests at once, with a device in the scope (the exchange in a
// transaction) and without (one statement on PostgreSQL): one wins, and
// only its session and token are written.
func TestAuthorizationCodeConcurrentExchange(t *testing.T) {
	for name, opts := range map[string]grantOpts{"device": {}, "no device": noDeviceScope} {
		t.Run(name, func(t *testing.T) {
			e := newTokenEnv(t)
			c := e.client()
			g := e.fulfilledGrant(c, e.login(e.user("alice")), opts)
			const n = 8
			statuses := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { statuses[i] = e.tokenRequest(codeForm(c, g)).Code })
			}
			wg.Wait()
			ok := 0
			for _, s := range statuses {
				switch s {
				case http.StatusOK:
					ok++
				case http.StatusBadRequest:
				default:
					t.Fatalf("statuses = %v", statuses)
				}
			}
			sessions, tokens := e.count(`SELECT COUNT(*) FROM oauth2_sessions`), e.count(`SELECT COUNT(*) FROM oauth2_access_tokens`)
			if ok != 1 || sessions != 1 || tokens != 1 {
				t.Fatalf("%d of %d exchanges succeeded (%v), %d sessions and %d access tokens written; want 1 of each",
					ok, n, statuses, sessions, tokens)
			}
		})
	}
}

// TestAuthorizationCodeHomeserverFailure checks that a device the
// homeserver refuses leaves nothing behind: no session, no tokens, the code
// still redeemable.
func TestAuthorizationCodeHomeserverFailure(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	g := e.fulfilledGrant(c, e.login(e.user("alice")), grantOpts{})
	e.hs.SetHook(pathUpsertDevice, func(*http.Request, []byte) *homeservertest.Response {
		return homeservertest.MatrixErrorResponse(http.StatusInternalServerError, "M_UNKNOWN", "boom")
	})
	wantTokenError(t, e.tokenRequest(codeForm(c, g)), http.StatusInternalServerError, ErrServerError)
	for table, want := range map[string]int{"oauth2_sessions": 0, "oauth2_access_tokens": 0, "oauth2_refresh_tokens": 0} {
		if n := e.count(`SELECT COUNT(*) FROM ` + table); n != want {
			t.Errorf("%s has %d rows after a failed exchange", table, n)
		}
	}
	stored, err := e.db.AuthorizationGrants().Lookup(context.Background(), g.ID)
	e.must(err)
	if stored.Stage() != domain.StageFulfilled {
		t.Fatalf("grant stage = %s after a failed exchange", stored.Stage())
	}

	// Once the homeserver is back the same code works.
	e.hs.SetHook(pathUpsertDevice, nil)
	wantTokenOK(t, e.tokenRequest(codeForm(c, g)))

	// A homeserver that is down entirely fails the same way.
	g2 := e.fulfilledGrant(c, e.login(e.user("bob")), grantOpts{})
	e.hs.SetDown(true)
	wantTokenError(t, e.tokenRequest(codeForm(c, g2)), http.StatusInternalServerError, ErrServerError)
	e.hs.SetDown(false)
}

func TestAuthorizationCodeConfidentialClient(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client(e.withSecret)
	g := e.fulfilledGrant(c, e.login(e.user("alice")), grantOpts{scope: []string{"openid"}})
	form := codeForm(c, g)
	wantTokenError(t, e.tokenRequest(form), http.StatusUnauthorized, ErrInvalidClient)
	form.Set("client_secret", tokenTestSecret)
	wantTokenOK(t, e.tokenRequest(form))
}

func TestCheckRedirectURI(t *testing.T) {
	explicit := &domain.AuthorizationGrant{RedirectURI: "https://a/cb", RawParameters: url.Values{"redirect_uri": {"https://a/cb"}}.Encode()}
	implicit := &domain.AuthorizationGrant{RedirectURI: "https://a/cb", RawParameters: "client_id=x"}
	for _, tc := range []struct {
		grant *domain.AuthorizationGrant
		sent  string
		code  ErrorCode
	}{
		{explicit, "https://a/cb", ""},
		{explicit, "", ErrInvalidRequest},
		{explicit, "https://a/cb/", ErrInvalidGrant},
		{implicit, "", ""},
		{implicit, "https://a/cb", ""},
		{implicit, "https://b/cb", ErrInvalidGrant},
	} {
		e := checkRedirectURI(tc.grant, tc.sent)
		var got ErrorCode
		if e != nil {
			got = e.Code
		}
		if got != tc.code {
			t.Errorf("checkRedirectURI(%q, %q) = %q, want %q", tc.grant.RawParameters, tc.sent, got, tc.code)
		}
	}
}
