package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

const fixturePassword = "correct-horse"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadFixture(t testing.TB, name, password string) *PrivateKey {
	t.Helper()
	k, err := ParsePrivateKey(Spec{Data: readFixture(t, name), Password: []byte(password), Source: name})
	if err != nil {
		t.Fatalf("loading %s: %v", name, err)
	}
	return k
}

// Every encoding of the same key must load to the same key, which the
// thumbprint-derived kid shows.
func TestLoadFormats(t *testing.T) {
	groups := []struct {
		kind  Kind
		files []string
	}{
		{KindRSA, []string{"rsa_pkcs1.pem", "rsa_pkcs1.der", "rsa_pkcs8.pem", "rsa_pkcs8.der"}},
		{KindP256, []string{"p256_sec1.pem", "p256_sec1.der", "p256_pkcs8.pem", "p256_pkcs8.der"}},
		{KindP384, []string{"p384_sec1.pem", "p384_sec1.der", "p384_pkcs8.pem", "p384_pkcs8.der"}},
		{KindSecp256k1, []string{"k256_sec1.pem", "k256_sec1.der", "k256_pkcs8.pem", "k256_pkcs8.der"}},
	}
	for _, g := range groups {
		t.Run(g.kind.String(), func(t *testing.T) {
			var kid string
			for _, f := range g.files {
				k := loadFixture(t, f, "")
				if k.Kind() != g.kind {
					t.Errorf("%s: kind %v, want %v", f, k.Kind(), g.kind)
				}
				if kid == "" {
					kid = k.KID()
				} else if k.KID() != kid {
					t.Errorf("%s: kid %q differs from %q", f, k.KID(), kid)
				}
			}
		})
	}
}

// For the curves the standard library knows, our own SEC1/PKCS#8 parser
// must agree with crypto/x509.
func TestLoadMatchesStdlib(t *testing.T) {
	for _, f := range []string{"p256_pkcs8.der", "p384_pkcs8.der", "rsa_pkcs8.der"} {
		want, err := x509.ParsePKCS8PrivateKey(readFixture(t, f))
		if err != nil {
			t.Fatal(err)
		}
		got := loadFixture(t, f, "")
		switch w := want.(type) {
		case *ecdsa.PrivateKey:
			if !w.Equal(got.signer) {
				t.Errorf("%s: key differs from crypto/x509", f)
			}
		case *rsa.PrivateKey:
			if !w.Equal(got.signer) {
				t.Errorf("%s: key differs from crypto/x509", f)
			}
		}
	}
}

func TestLoadEncrypted(t *testing.T) {
	tests := []struct {
		file  string
		plain string
	}{
		{"rsa_enc_aes256_sha256.pem", "rsa_pkcs8.pem"},
		{"p256_enc_aes128_sha1.pem", "p256_pkcs8.pem"},
		{"p384_enc_aes192_sha384.pem", "p384_pkcs8.pem"},
		{"k256_enc_aes256_sha512.pem", "k256_pkcs8.pem"},
		{"k256_enc_aes256_sha512.der", "k256_pkcs8.pem"},
		{"p256_enc_scrypt.pem", "p256_pkcs8.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			want := loadFixture(t, tt.plain, "")
			got := loadFixture(t, tt.file, fixturePassword)
			if got.KID() != want.KID() {
				t.Errorf("decrypted key differs from %s", tt.plain)
			}

			data := readFixture(t, tt.file)
			_, err := ParsePrivateKey(Spec{Data: data, Password: []byte("Correct-horse"), Source: "secrets.keys[3]"})
			if !errors.Is(err, ErrWrongPassword) {
				t.Errorf("wrong password: err = %v, want ErrWrongPassword", err)
			}
			if err != nil && !strings.Contains(err.Error(), "secrets.keys[3]") {
				t.Errorf("error %q does not name the source", err)
			}
			_, err = ParsePrivateKey(Spec{Data: data, Source: "k"})
			if !errors.Is(err, ErrPasswordRequired) {
				t.Errorf("no password: err = %v, want ErrPasswordRequired", err)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	pkcs8 := readFixture(t, "p256_pkcs8.der")
	tests := []struct {
		name     string
		data     []byte
		password string
		err      error
		msg      string
	}{
		{"empty", nil, "", ErrMalformedKey, "empty"},
		{"garbage", []byte("hello world"), "", ErrMalformedKey, "PKCS#1, PKCS#8 or SEC1"},
		{"truncated DER", pkcs8[:len(pkcs8)-3], "", ErrMalformedKey, ""},
		{"bad PEM", []byte("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n"), "", ErrMalformedKey, "PEM"},
		{"certificate only", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), "", ErrUnsupportedKey, "CERTIFICATE"},
		{"two keys", append(readFixture(t, "p256_sec1.pem"), readFixture(t, "p384_sec1.pem")...), "", ErrUnsupportedKey, "2 private keys"},
		{"P-521", readFixture(t, "p521_pkcs8.pem"), "", ErrUnsupportedKey, "P-521"},
		{"Ed25519", readFixture(t, "ed25519_pkcs8.pem"), "", ErrUnsupportedKey, "Ed25519"},
		{"3DES", readFixture(t, "rsa_enc_des3.pem"), fixturePassword, ErrUnsupportedKey, "DES-EDE3-CBC"},
		{"legacy PEM encryption", readFixture(t, "rsa_legacy_enc.pem"), fixturePassword, ErrUnsupportedKey, "pkcs8 -topk8"},
		{"password for plain PEM", readFixture(t, "rsa_pkcs1.pem"), "x", ErrUnexpectedPassword, ""},
		{"password for plain DER", pkcs8, "x", ErrUnexpectedPassword, ""},
		{"bad RSA PEM body", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs8}), "", ErrMalformedKey, "PKCS#1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePrivateKey(Spec{Data: tt.data, Password: []byte(tt.password), Source: "/etc/mas/key.pem"})
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !strings.Contains(err.Error(), "/etc/mas/key.pem") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q should name the source and mention %q", err, tt.msg)
			}
		})
	}
}

// Some encoders leave the curve out of the PKCS#8 algorithm parameters and
// only name it inside the SEC1 structure.
func TestLoadPKCS8CurveOnlyInner(t *testing.T) {
	inner := readFixture(t, "k256_sec1.der")
	der, err := asn1.Marshal(pkcs8Info{
		Algorithm:  pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.NullRawValue},
		PrivateKey: inner,
	})
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePrivateKey(Spec{Data: der})
	if err != nil {
		t.Fatal(err)
	}
	if k.KID() != loadFixture(t, "k256_sec1.der", "").KID() {
		t.Error("different key")
	}
}

func TestLoadECParametersBlock(t *testing.T) {
	k := loadFixture(t, "p256_with_params.pem", "")
	if k.Kind() != KindP256 {
		t.Fatalf("kind = %v", k.Kind())
	}
}

func TestSEC1PublicKeyMismatch(t *testing.T) {
	curve, _ := curveByKind(KindSecp256k1)
	key := loadFixture(t, "k256_sec1.der", "").signer.(*secp256k1.PrivateKey)
	other, err := secp256k1.GeneratePrivateKeyFromRand(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := marshalSEC1(curve, key.Serialize(), other.PubKey().SerializeUncompressed())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey(Spec{Data: der}); !errors.Is(err, ErrMalformedKey) {
		t.Fatalf("mismatched public key: err = %v, want ErrMalformedKey", err)
	}
	// The compressed form of the right public key is fine.
	if der, err = marshalSEC1(curve, key.Serialize(), key.PubKey().SerializeCompressed()); err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey(Spec{Data: der}); err != nil {
		t.Fatalf("compressed public key: %v", err)
	}
	// A scalar of zero or above the group order is not a key.
	for _, d := range [][]byte{make([]byte, 32), bytes.Repeat([]byte{0xff}, 32)} {
		der, _ := marshalSEC1(curve, d, nil)
		if _, err := ParsePrivateKey(Spec{Data: der}); !errors.Is(err, ErrMalformedKey) {
			t.Errorf("scalar %x: err = %v", d[:2], err)
		}
	}
}

func TestGenerate(t *testing.T) {
	for _, kind := range []Kind{KindRSA, KindP256, KindP384, KindSecp256k1} {
		t.Run(kind.String(), func(t *testing.T) {
			data, err := Generate(kind, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			wantType := "EC PRIVATE KEY"
			if kind == KindRSA {
				wantType = "RSA PRIVATE KEY"
			}
			if !bytes.HasPrefix(data, []byte("-----BEGIN "+wantType+"-----\n")) {
				t.Errorf("unexpected PEM:\n%s", data)
			}
			k, err := ParsePrivateKey(Spec{Data: data, KID: "abc"})
			if err != nil {
				t.Fatal(err)
			}
			if k.Kind() != kind || k.KID() != "abc" {
				t.Errorf("got %v %q", k.Kind(), k.KID())
			}
		})
	}
	if _, err := Generate(Kind(99), rand.Reader); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("unknown kind: err = %v", err)
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Mimic a Kubernetes secret mount: real files in a timestamped
	// directory, reached through symlinks.
	data := filepath.Join(dir, "..2024_01_01")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "b-ec.pem"), readFixture(t, "p256_sec1.pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..2024_01_01", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", "b-ec.pem"), filepath.Join(dir, "b-ec.pem")); err != nil {
		t.Fatal(err)
	}
	write("a-rsa.der", readFixture(t, "rsa_pkcs1.der"))
	write("c-k256.pem", readFixture(t, "k256_pkcs8.pem"))

	specs, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range specs {
		names = append(names, filepath.Base(s.Source))
	}
	if got := strings.Join(names, ","); got != "a-rsa.der,b-ec.pem,c-k256.pem" {
		t.Fatalf("loaded %s", got)
	}
	ks, err := NewKeySet(specs)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ks.Algorithms(), " "); got != "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K" {
		t.Errorf("algorithms = %s", got)
	}

	if _, err := LoadDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing directory accepted")
	}
	if err := os.Symlink("nowhere", filepath.Join(dir, "d-broken")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "d-broken") {
		t.Errorf("broken symlink: err = %v", err)
	}
}

func TestKeySetErrors(t *testing.T) {
	if _, err := NewKeySet(nil); err == nil {
		t.Error("empty key set accepted")
	}
	p256 := Spec{Data: readFixture(t, "p256_sec1.pem"), Source: "a"}
	same := Spec{Data: readFixture(t, "p256_pkcs8.der"), Source: "b"}
	if _, err := NewKeySet([]Spec{p256, same}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate key: err = %v", err)
	}
	if _, err := NewKeySet([]Spec{p256, {Data: []byte("junk"), Source: "secrets.keys[1]"}}); err == nil ||
		!strings.Contains(err.Error(), "secrets.keys[1]") {
		t.Errorf("bad key: err = %v", err)
	}
}
