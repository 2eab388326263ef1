package oidc

import (
	"strings"
	"testing"
	"time"

	"mas/internal/keys"
)

func TestIDTokenValidation(t *testing.T) {
	loadTestKeys(t)
	cases := []struct {
		name string
		op   func(op *testOP)
		edit func(o *Options)
		kind Kind // 0: accepted
	}{
		{name: "valid RS256"},
		{name: "valid ES256", edit: func(o *Options) { o.IDTokenSignedResponseAlg = "ES256" },
			op: func(op *testOP) { op.signer, op.idAlg = testKeys.ecA, "ES256" }},
		{name: "valid HS256 with the client secret", edit: func(o *Options) { o.IDTokenSignedResponseAlg = "HS256" },
			op: func(op *testOP) { op.idAlg = "HS256" }},
		{name: "several audiences with our azp", op: func(op *testOP) {
			op.idMutate = func(c map[string]any) { c["aud"] = []any{"other", testClientID}; c["azp"] = testClientID }
		}},
		{name: "expired within the leeway", op: func(op *testOP) {
			op.idMutate = func(c map[string]any) { c["exp"] = op.clock.Now().Add(-time.Minute).Unix() }
		}},
		{name: "bad signature", op: func(op *testOP) { op.signer = testKeys.impostor }, kind: KindBadSignature},
		{name: "wrong alg (PS256 with the RSA key)", op: func(op *testOP) { op.idAlg = "PS256" }, kind: KindBadSignature},
		{name: "HMAC instead of RS256", op: func(op *testOP) { op.idAlg = "HS256" }, kind: KindBadSignature},
		{name: "unsigned", op: func(op *testOP) {
			op.idRaw = func(map[string]any) string { return "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." }
		}, kind: KindBadResponse},
		{name: "not a JWT", op: func(op *testOP) { op.idRaw = func(map[string]any) string { return "opaque" } }, kind: KindBadResponse},
		{name: "wrong iss", op: func(op *testOP) {
			op.idMutate = func(c map[string]any) { c["iss"] = "https://evil.example" }
		}, kind: KindWrongIssuer},
		{name: "missing iss", op: func(op *testOP) { op.idMutate = func(c map[string]any) { delete(c, "iss") } }, kind: KindMissingClaim},
		{name: "wrong aud", op: func(op *testOP) { op.idMutate = func(c map[string]any) { c["aud"] = "other-client" } }, kind: KindWrongAudience},
		{name: "aud list without us", op: func(op *testOP) {
			op.idMutate = func(c map[string]any) { c["aud"] = []any{"a", "b"} }
		}, kind: KindWrongAudience},
		{name: "azp of another client", op: func(op *testOP) {
			op.idMutate = func(c map[string]any) { c["aud"] = []any{"other", testClientID}; c["azp"] = "other" }
		}, kind: KindWrongAudience},
		{name: "expired", op: func(op *testOP) {
			op.idMutate = func(c map[string]any) { c["exp"] = op.clock.Now().Add(-10 * time.Minute).Unix() }
		}, kind: KindExpired},
		{name: "issued in the future", op: func(op *testOP) {
			op.idMutate = func(c map[string]any) { c["iat"] = op.clock.Now().Add(10 * time.Minute).Unix() }
		}, kind: KindExpired},
		{name: "missing exp", op: func(op *testOP) { op.idMutate = func(c map[string]any) { delete(c, "exp") } }, kind: KindMissingClaim},
		{name: "missing iat", op: func(op *testOP) { op.idMutate = func(c map[string]any) { delete(c, "iat") } }, kind: KindMissingClaim},
		{name: "exp not a number", op: func(op *testOP) { op.idMutate = func(c map[string]any) { c["exp"] = "tomorrow" } }, kind: KindInvalidClaim},
		{name: "wrong nonce", op: func(op *testOP) { op.idMutate = func(c map[string]any) { c["nonce"] = "replayed" } }, kind: KindWrongNonce},
		{name: "missing nonce", op: func(op *testOP) { op.idMutate = func(c map[string]any) { delete(c, "nonce") } }, kind: KindWrongNonce},
		{name: "missing sub", op: func(op *testOP) { op.idMutate = func(c map[string]any) { delete(c, "sub") } }, kind: KindMissingClaim},
		{name: "empty sub", op: func(op *testOP) { op.idMutate = func(c map[string]any) { c["sub"] = "" } }, kind: KindMissingClaim},
		{name: "sub not a string", op: func(op *testOP) { op.idMutate = func(c map[string]any) { c["sub"] = 42 } }, kind: KindInvalidClaim},
		{name: "wrong at_hash", op: func(op *testOP) { op.idMutate = func(c map[string]any) { c["at_hash"] = halfHash("other") } }, kind: KindInvalidClaim},
		{name: "wrong c_hash", op: func(op *testOP) { op.idMutate = func(c map[string]any) { c["c_hash"] = halfHash("other") } }, kind: KindInvalidClaim},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, true, tc.edit)
			if tc.op != nil {
				tc.op(f.op)
			}
			s, back := f.authorize(t, nil)
			cb, err := f.p.ParseCallback(back)
			if err != nil {
				t.Fatal(err)
			}
			res, err := f.p.Exchange(t.Context(), s, cb.Code)
			if tc.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if res.Subject != testSubject || res.IDToken == "" || res.IDTokenClaims["email"] != "user@example.test" {
					t.Errorf("result %+v", res)
				}
				return
			}
			wantKind(t, err, tc.kind)
			for _, secret := range []string{testSecret, cb.Code, s.Nonce, s.CodeVerifier} {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks %q", err, secret)
				}
			}
		})
	}
}

// A token signed with a key the cached JWK Set does not have makes one
// refetch (the provider rotated its keys), at most every jwksMinRefetch.
func TestIDTokenKeyRotation(t *testing.T) {
	loadTestKeys(t)
	f := newFixture(t, true, nil)
	if _, err := f.login(t); err != nil {
		t.Fatal(err)
	}
	if n := f.op.hitCount("/jwks"); n != 1 {
		t.Fatalf("JWK Set fetched %d times", n)
	}
	f.op.set(func(op *testOP) { op.published, op.signer = []*keys.PrivateKey{testKeys.rsaB}, testKeys.rsaB })

	// Right after a fetch the unknown kid is refused without asking again.
	_, err := f.login(t)
	wantKind(t, err, KindBadSignature)
	if n := f.op.hitCount("/jwks"); n != 1 {
		t.Fatalf("JWK Set fetched %d times within %s", n, jwksMinRefetch)
	}

	f.clock.Advance(jwksMinRefetch)
	if _, err := f.login(t); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if n := f.op.hitCount("/jwks"); n != 2 {
		t.Fatalf("JWK Set fetched %d times, want 2", n)
	}
	// The new set is cached.
	if _, err := f.login(t); err != nil {
		t.Fatal(err)
	}
	if n := f.op.hitCount("/jwks"); n != 2 {
		t.Fatalf("JWK Set fetched %d times, want 2", n)
	}

	// A kid the provider never publishes makes one refetch and fails.
	f.clock.Advance(jwksMinRefetch)
	f.op.set(func(op *testOP) { op.signer = testKeys.rsaA })
	_, err = f.login(t)
	wantKind(t, err, KindBadSignature)
	if n := f.op.hitCount("/jwks"); n != 3 {
		t.Fatalf("JWK Set fetched %d times, want 3", n)
	}
}

func TestUserinfo(t *testing.T) {
	loadTestKeys(t)
	jwt := "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"
	cases := []struct {
		name string
		edit func(o *Options)
		op   func(op *testOP)
		kind Kind
	}{
		{name: "plain JSON"},
		{name: "signed", edit: func(o *Options) { o.UserinfoSignedResponseAlg = "RS256" },
			op: func(op *testOP) { op.userinfoAlg = "RS256" }},
		{name: "signed with another alg", edit: func(o *Options) { o.UserinfoSignedResponseAlg = "RS256" },
			op: func(op *testOP) { op.userinfoAlg = "PS256" }, kind: KindBadSignature},
		{name: "plain with another sub", op: func(op *testOP) {
			op.userinfoMutate = func(c map[string]any) { c["sub"] = "someone-else" }
		}, kind: KindSubjectMismatch},
		{name: "plain without sub", op: func(op *testOP) {
			op.userinfoMutate = func(c map[string]any) { delete(c, "sub") }
		}, kind: KindSubjectMismatch},
		{name: "signed with another sub", edit: func(o *Options) { o.UserinfoSignedResponseAlg = "RS256" },
			op: func(op *testOP) {
				op.userinfoAlg = "RS256"
				op.userinfoMutate = func(c map[string]any) { c["sub"] = "someone-else" }
			}, kind: KindSubjectMismatch},
		{name: "signed with a wrong aud", edit: func(o *Options) { o.UserinfoSignedResponseAlg = "RS256" },
			op: func(op *testOP) {
				op.userinfoAlg = "RS256"
				op.userinfoMutate = func(c map[string]any) { c["aud"] = "other" }
			}, kind: KindWrongAudience},
		{name: "signed expected, plain sent", edit: func(o *Options) { o.UserinfoSignedResponseAlg = "RS256" },
			kind: KindBadResponse},
		{name: "signed sent, plain expected", op: func(op *testOP) { op.userinfoRaw, op.userinfoType = &jwt, "application/jwt" },
			kind: KindBadResponse},
		{name: "not JSON", op: func(op *testOP) {
			body := "<html>"
			op.userinfoRaw, op.userinfoType = &body, "text/html"
		}, kind: KindBadResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, true, func(o *Options) {
				o.FetchUserinfo = true
				if tc.edit != nil {
					tc.edit(o)
				}
			})
			if tc.op != nil {
				tc.op(f.op)
			}
			res, err := f.login(t)
			if tc.kind != 0 {
				wantKind(t, err, tc.kind)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Userinfo["preferred_username"] != "alice" {
				t.Errorf("userinfo %v", res.Userinfo)
			}
			// Upstream's merge: userinfo claims, overridden by the ID token's.
			if user := userClaims(res); user["name"] != "From ID token" || user["preferred_username"] != "alice" || user["email"] != "user@example.test" {
				t.Errorf("merged claims %v", user)
			}
		})
	}
}

// A JWK Set that cannot be fetched fails the login as unreachable, and
// the failure is remembered for failureTTL.
func TestJWKSUnreachable(t *testing.T) {
	f := newFixture(t, true, nil)
	f.op.jwksStatus = 503
	for range 2 {
		_, err := f.login(t)
		wantKind(t, err, KindUnreachable)
	}
	if n := f.op.hitCount("/jwks"); n != 1 {
		t.Fatalf("JWK Set asked %d times, want 1", n)
	}
	f.op.set(func(op *testOP) { op.jwksStatus = 0 })
	f.clock.Advance(failureTTL)
	if _, err := f.login(t); err != nil {
		t.Fatal(err)
	}
}
