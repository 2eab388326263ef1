package oauth

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A hit writes exactly the bytes a miss writes for the same answer, with
// and without expiry, whatever the strings hold.
func TestEncodedAnswerIsWriteJSON(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	expires := now.Add(90*time.Minute + 500*time.Millisecond)
	answers := map[string]*introspectionResponse{
		"oauth": {Active: true, Scope: "openid urn:matrix:client:api:*", ClientID: "01J0000000000000000000000",
			Username: "alice", TokenType: hintAccessToken, Iat: unixSeconds(now), Nbf: unixSeconds(now),
			Sub: "01J0000000000000000000001", Jti: "01J0000000000000000000002"},
		"quotes and markup": {Active: true, Scope: "a", Username: `x","exp":1,"expires_in":2 <b>&`,
			TokenType: hintAccessToken, Iat: unixSeconds(now), Nbf: unixSeconds(now), DeviceID: "\u2028é\""},
		"no iat": {Active: true, TokenType: hintAccessToken, Sub: "s"},
	}
	for name, resp := range answers {
		for _, exp := range []*time.Time{nil, &expires, &now} {
			want := *resp
			if exp != nil {
				want.Exp, want.ExpiresIn = unixSeconds(*exp), secondsUntil(now, *exp)
			}
			var viaJSON strings.Builder
			enc := json.NewEncoder(&viaJSON)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(&want)
			wrec := httptest.NewRecorder()
			writeIntrospection(wrec, &want)

			a := encodeAnswer(resp, exp != nil)
			got := httptest.NewRecorder()
			writeAnswer(got, &a, exp, now)
			if wrec.Body.String() != viaJSON.String() {
				t.Errorf("%s: miss wrote %s, want %s", name, wrec.Body, viaJSON.String())
			}
			if got.Body.String() != wrec.Body.String() {
				t.Errorf("%s, expiry %v:\n got %s\nwant %s", name, exp, got.Body, wrec.Body)
			}
			for _, k := range []string{"Content-Type", "Cache-Control"} {
				if got.Header().Get(k) != wrec.Header().Get(k) {
					t.Errorf("%s: %s = %q, want %q", name, k, got.Header().Get(k), wrec.Header().Get(k))
				}
			}
		}
	}
}
