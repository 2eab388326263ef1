package config

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

func TestGenerateRoundTrip(t *testing.T) {
	c, err := Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("generated config does not validate:\n%v", err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadBytes("generated.yaml", out)
	if err != nil {
		t.Fatalf("reloading:\n%v\n%s", err, out)
	}
	if !reflect.DeepEqual(c, back) {
		t.Errorf("round trip changed the config:\n%s", out)
	}
	if err := back.Validate(); err != nil {
		t.Errorf("reloaded config does not validate:\n%v", err)
	}

	// Sections come out in upstream's order.
	var order []string
	for _, line := range strings.Split(string(out), "\n") {
		if line != "" && line[0] != ' ' && line[0] != '-' {
			order = append(order, strings.TrimSuffix(line, ":"))
		}
	}
	if want := []string{"http", "database", "email", "secrets", "passwords", "matrix"}; !reflect.DeepEqual(order, want) {
		t.Errorf("sections = %v, want %v", order, want)
	}
	for _, want := range []string{"uri: sqlite:mas.db", "homeserver: localhost:8008", "endpoint: http://localhost:8008/", "- address: '[::]:8080'"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestGenerateContents(t *testing.T) {
	c, err := Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if c.Database.Backend() != BackendSQLite || c.Database.SQLitePath() != "mas.db" {
		t.Errorf("database = %+v", c.Database)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(c.Secrets.Encryption) {
		t.Errorf("encryption = %q", c.Secrets.Encryption)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).MatchString(c.Matrix.Secret) {
		t.Errorf("matrix secret = %q", c.Matrix.Secret)
	}
	wantHTTP := Default().HTTP
	wantHTTP.TrustedProxies = []string{"127.0.0.0/8", "::1/128"}
	if !reflect.DeepEqual(c.HTTP, wantHTTP) || !reflect.DeepEqual(c.Passwords, Default().Passwords) {
		t.Error("http (but for trusted_proxies) and passwords should be the defaults")
	}
	keys := c.Secrets.Keys
	if len(keys) != 4 {
		t.Fatalf("got %d keys", len(keys))
	}
	kids := map[string]bool{}
	for _, k := range keys {
		if !regexp.MustCompile(`^[A-Za-z0-9]{10}$`).MatchString(k.Kid) || kids[k.Kid] {
			t.Errorf("bad or repeated kid %q", k.Kid)
		}
		kids[k.Kid] = true
	}

	block := decodePEM(t, keys[0].Key, "RSA PRIVATE KEY")
	rsaKey, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil || rsaKey.N.BitLen() != 2048 {
		t.Errorf("RSA key: %v", err)
	}
	for i, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
		block := decodePEM(t, keys[i+1].Key, "EC PRIVATE KEY")
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil || k.Curve != curve {
			t.Errorf("EC key %d: %v", i+1, err)
		}
		if _, ok := any(k).(*ecdsa.PrivateKey); !ok {
			t.Errorf("EC key %d has type %T", i+1, k)
		}
	}

	block = decodePEM(t, keys[3].Key, "EC PRIVATE KEY")
	var parsed sec1PrivateKey
	if rest, err := asn1.Unmarshal(block.Bytes, &parsed); err != nil || len(rest) != 0 {
		t.Fatalf("secp256k1 key: %v", err)
	}
	if parsed.Version != 1 || !parsed.NamedCurveOID.Equal(asn1.ObjectIdentifier{1, 3, 132, 0, 10}) || len(parsed.PrivateKey) != 32 {
		t.Errorf("secp256k1 key structure: %+v", parsed)
	}
	pub := secp256k1.PrivKeyFromBytes(parsed.PrivateKey).PubKey().SerializeUncompressed()
	if !bytes.Equal(parsed.PublicKey.Bytes, pub) {
		t.Error("secp256k1 public key does not match the private key")
	}
}

func TestGenerateFailingRandomness(t *testing.T) {
	if _, err := Generate(bytes.NewReader(make([]byte, 10))); err == nil {
		t.Error("Generate succeeded with an exhausted random source")
	}
}

func TestRandomAlphanumericIsUnbiased(t *testing.T) {
	// Bytes 248..255 must be skipped (248 = 4*62); 0 and 61 map to the ends
	// of the alphabet.
	s, err := randomAlphanumeric(bytes.NewReader([]byte{255, 248, 0, 61, 62, 1}), 3)
	if err != nil || s != "A9A" {
		t.Errorf("got %q, %v", s, err)
	}
}

func decodePEM(t *testing.T, s, typ string) *pem.Block {
	t.Helper()
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != typ || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("expected one %s PEM block in %q", typ, s)
	}
	return block
}
