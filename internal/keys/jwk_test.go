package keys

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// allKindsKeySet loads one key of every kind, RSA first as a real
// configuration would.
func allKindsKeySet(t testing.TB) *KeySet {
	t.Helper()
	var specs []Spec
	for _, f := range []string{"rsa_pkcs1.pem", "p256_sec1.pem", "p384_pkcs8.der", "k256_sec1.pem"} {
		specs = append(specs, Spec{Data: readFixture(t, f), Source: f})
	}
	ks, err := NewKeySet(specs)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func TestThumbprintRFC7638(t *testing.T) {
	// The example key of RFC 7638 §3.1.
	k := jwk{
		Kty: "RSA",
		N: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn6" +
			"4tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9" +
			"1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
		E:   "AQAB",
		Alg: "RS256",
		Kid: "2011-04-29",
	}
	got, err := thumbprint(k)
	if err != nil {
		t.Fatal(err)
	}
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Fatalf("thumbprint = %s, want %s", got, want)
	}
	// The key parses, and re-deriving its JWK gives the same thumbprint.
	pk, err := parseJWK(k)
	if err != nil {
		t.Fatal(err)
	}
	j, err := publicJWK(pk.key)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := thumbprint(j); again != got {
		t.Fatalf("round-tripped thumbprint = %s", again)
	}
}

func TestJWKSOutput(t *testing.T) {
	ks := allKindsKeySet(t)
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(ks.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 4 {
		t.Fatalf("%d keys in JWKS, want 4", len(set.Keys))
	}
	wantCrv := []string{"", "P-256", "P-384", "secp256k1"}
	wantAlg := []string{"", "ES256", "ES384", "ES256K"}
	for i, raw := range set.Keys {
		var k map[string]any
		if err := json.Unmarshal(raw, &k); err != nil {
			t.Fatal(err)
		}
		if _, private := k["d"]; private {
			t.Fatalf("key %d leaks its private part", i)
		}
		if k["use"] != "sig" || k["kid"] != ks.Keys()[i].KID() {
			t.Errorf("key %d: use=%v kid=%v", i, k["use"], k["kid"])
		}
		if crv, _ := k["crv"].(string); crv != wantCrv[i] {
			t.Errorf("key %d: crv %q, want %q", i, crv, wantCrv[i])
		}
		if alg, _ := k["alg"].(string); alg != wantAlg[i] {
			t.Errorf("key %d: alg %q, want %q", i, alg, wantAlg[i])
		}
		if wantCrv[i] == "secp256k1" {
			continue // go-jose does not know this curve
		}
		// go-jose (used by go-oidc) must read every other key, and agree on
		// the thumbprint from which the kid was derived.
		var jk jose.JSONWebKey
		if err := jk.UnmarshalJSON(raw); err != nil {
			t.Fatalf("go-jose cannot parse key %d: %v", i, err)
		}
		if !jk.Valid() || !jk.IsPublic() || jk.KeyID != ks.Keys()[i].KID() {
			t.Errorf("go-jose key %d: valid=%v public=%v kid=%q", i, jk.Valid(), jk.IsPublic(), jk.KeyID)
		}
		tp, err := jk.Thumbprint(crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if got := base64.RawURLEncoding.EncodeToString(tp); got != ks.Keys()[i].KID() {
			t.Errorf("key %d: go-jose thumbprint %s, our kid %s", i, got, ks.Keys()[i].KID())
		}
	}

	// Our own parser reads the whole set back, secp256k1 included.
	p, err := ParseJWKS(ks.JWKS())
	if err != nil || p.Len() != 4 {
		t.Fatalf("ParseJWKS: %d keys, %v", p.Len(), err)
	}
}

func TestConfiguredKID(t *testing.T) {
	k, err := ParsePrivateKey(Spec{KID: "my-key", Data: readFixture(t, "k256_sec1.der")})
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]string
	if err := json.Unmarshal(k.PublicJWK(), &j); err != nil {
		t.Fatal(err)
	}
	if j["kid"] != "my-key" || j["kty"] != "EC" || j["crv"] != "secp256k1" || len(j["x"]) != 43 || len(j["y"]) != 43 {
		t.Errorf("unexpected JWK %v", j)
	}
}

func TestParseJWKS(t *testing.T) {
	ks := allKindsKeySet(t)
	var good []json.RawMessage
	for _, k := range ks.Keys() {
		good = append(good, k.PublicJWK())
	}
	p256 := string(good[1])
	withMember := func(member string) string {
		return strings.Replace(p256, `{"kty":"EC",`, `{"kty":"EC",`+member+`,`, 1)
	}
	tests := []struct {
		name    string
		jwks    string
		usable  int
		wantErr bool
	}{
		{"not JSON", `{"keys":`, 0, true},
		{"no keys member", `{}`, 0, true},
		{"keys not an array", `{"keys":{}}`, 0, true},
		{"empty", `{"keys":[]}`, 0, false},
		{"all kinds", `{"keys":[` + string(good[0]) + `,` + p256 + `,` + string(good[2]) + `,` + string(good[3]) + `]}`, 4, false},
		{"encryption key skipped", `{"keys":[` + strings.Replace(p256, `"use":"sig"`, `"use":"enc"`, 1) + `]}`, 0, false},
		{"key_ops without verify skipped", `{"keys":[` + withMember(`"key_ops":["encrypt"]`) + `]}`, 0, false},
		{"key_ops with verify", `{"keys":[` + strings.Replace(withMember(`"key_ops":["verify"]`), `"use":"sig",`, "", 1) + `]}`, 1, false},
		{"OKP skipped", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},` + p256 + `]}`, 1, false},
		{"oct skipped", `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`, 0, false},
		{"wrong coordinate size", `{"keys":[{"kty":"EC","crv":"P-256","x":"AQ","y":"AQ"}]}`, 0, false},
		{"point not on curve", `{"keys":[{"kty":"EC","crv":"P-256","x":"` + strings.Repeat("A", 43) + `","y":"` + strings.Repeat("A", 43) + `"}]}`, 0, false},
		{"alg of another kind", `{"keys":[` + strings.Replace(p256, `"alg":"ES256"`, `"alg":"ES384"`, 1) + `]}`, 0, false},
		{"HMAC alg", `{"keys":[` + strings.Replace(p256, `"alg":"ES256"`, `"alg":"HS256"`, 1) + `]}`, 0, false},
		{"RSA even exponent", `{"keys":[{"kty":"RSA","n":"AQAB","e":"Ag"}]}`, 0, false},
		{"padded base64", `{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB="}]}`, 0, false},
		{"key not an object", `{"keys":[42]}`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseJWKS([]byte(tt.jwks))
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Len() != tt.usable {
				t.Fatalf("usable keys = %d, want %d (skipped: %v)", p.Len(), tt.usable, p.skipped)
			}
		})
	}
}

// When no key fits, the error explains which keys were unusable.
func TestNoMatchingKeyExplains(t *testing.T) {
	ks := allKindsKeySet(t)
	tok, err := ks.Sign("ES256", map[string]string{"sub": "x"})
	if err != nil {
		t.Fatal(err)
	}
	jwks := `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`
	_, _, err = VerifyWithJWKS(tok, []byte(jwks), nil)
	if !errors.Is(err, ErrNoMatchingKey) || !strings.Contains(err.Error(), `"ed"`) || !strings.Contains(err.Error(), "OKP") {
		t.Fatalf("err = %v", err)
	}
}
