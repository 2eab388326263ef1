package oidc

import (
	"testing"
	"time"

	"mas/internal/keys"
)

func TestValidateLogoutToken(t *testing.T) {
	loadTestKeys(t)
	f := newFixture(t, true, nil)
	now := f.clock.Now()
	good := func() map[string]any {
		return map[string]any{
			"iss": f.op.issuer, "aud": testClientID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
			"jti": "j-1", "sub": testSubject, "sid": "session-9",
			"events": map[string]any{backchannelLogoutEvent: map[string]any{}},
		}
	}
	cases := []struct {
		name   string
		mutate func(c map[string]any)
		signer *keys.PrivateKey
		alg    string
		kind   Kind // 0: valid
		want   LogoutToken
	}{
		{name: "sub and sid", want: LogoutToken{Subject: testSubject, SessionID: "session-9", JTI: "j-1"}},
		{name: "sid only", mutate: func(c map[string]any) { delete(c, "sub") }, want: LogoutToken{SessionID: "session-9", JTI: "j-1"}},
		{name: "sub only", mutate: func(c map[string]any) { delete(c, "sid") }, want: LogoutToken{Subject: testSubject, JTI: "j-1"}},
		{name: "neither sub nor sid", mutate: func(c map[string]any) { delete(c, "sub"); delete(c, "sid") }, kind: KindMissingClaim},
		{name: "no jti", mutate: func(c map[string]any) { delete(c, "jti") }, kind: KindMissingClaim},
		{name: "no events", mutate: func(c map[string]any) { delete(c, "events") }, kind: KindMissingClaim},
		{name: "other event", mutate: func(c map[string]any) {
			c["events"] = map[string]any{"http://schemas.openid.net/event/other": map[string]any{}}
		}, kind: KindMissingClaim},
		{name: "event not an object", mutate: func(c map[string]any) {
			c["events"] = map[string]any{backchannelLogoutEvent: true}
		}, kind: KindInvalidClaim},
		{name: "nonce present", mutate: func(c map[string]any) { c["nonce"] = "n" }, kind: KindInvalidClaim},
		{name: "wrong iss", mutate: func(c map[string]any) { c["iss"] = "https://evil.example" }, kind: KindWrongIssuer},
		{name: "wrong aud", mutate: func(c map[string]any) { c["aud"] = "other" }, kind: KindWrongAudience},
		{name: "no iat", mutate: func(c map[string]any) { delete(c, "iat") }, kind: KindMissingClaim},
		{name: "no exp", mutate: func(c map[string]any) { delete(c, "exp") }, kind: KindMissingClaim},
		{name: "expired", mutate: func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() }, kind: KindExpired},
		{name: "bad signature", signer: testKeys.impostor, kind: KindBadSignature},
		{name: "wrong alg", alg: "PS256", kind: KindBadSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			if tc.mutate != nil {
				tc.mutate(c)
			}
			signer, alg := testKeys.rsaA, "RS256"
			if tc.signer != nil {
				signer = tc.signer
			}
			if tc.alg != "" {
				alg = tc.alg
			}
			tok, err := signer.Sign(alg, c)
			if err != nil {
				t.Fatal(err)
			}
			lt, err := f.p.ValidateLogoutToken(t.Context(), tok)
			if tc.kind != 0 {
				wantKind(t, err, tc.kind)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Expiry = time.Unix(now.Add(2*time.Minute).Unix(), 0)
			if !lt.Expiry.Equal(tc.want.Expiry) {
				t.Errorf("expiry %v, want %v", lt.Expiry, tc.want.Expiry)
			}
			lt.Expiry = tc.want.Expiry
			if *lt != tc.want {
				t.Errorf("logout token %+v, want %+v", *lt, tc.want)
			}
		})
	}
	// Something that is not a JWT at all.
	_, err := f.p.ValidateLogoutToken(t.Context(), "not.a.jwt")
	wantKind(t, err, KindBadResponse)
}
