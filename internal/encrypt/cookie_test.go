package encrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// The cookie key must match the Rust cookie crate's Key::derive_from: HKDF
// expand only, second 32 bytes. Expected value computed with Python's hmac
// module.
func TestCookieKeyDerivation(t *testing.T) {
	got := deriveCookieKey(testKey())
	const want = "d207b57c35531044acbb96e4b8794616e2d6568350cae0aae4ffa445f70cf5b1"
	if hex.EncodeToString(got[:]) != want {
		t.Fatalf("cookie key = %x, want %s", got, want)
	}
}

// A cookie as upstream would set it, sealed by Python's "cryptography".
func TestCookieVector(t *testing.T) {
	const (
		sealed = "ZGVmZ2hpamtsbW5vs4YBFyTOsZUjCdkZswT+onLJR1jwj0L1UcgbJNxvrJCCuzwVIB3iroc5uC5CYFScjzjZ1ZXVsPQ="
		value  = `{"current":"01HZZZZZZZZZZZZZZZZZZZZZZZ"}`
	)
	e := New(testKey(), fixedNonce())
	got, err := e.OpenCookie("session", sealed)
	if err != nil || string(got) != value {
		t.Fatalf("OpenCookie = %q, %v", got, err)
	}
	again, err := e.SealCookie("session", []byte(value))
	if err != nil || again != sealed {
		t.Fatalf("SealCookie = %q, %v; want %q", again, err, sealed)
	}
}

// The Rust cookie crate's own private-jar test vector, for a jar whose
// encryption key is given directly.
func TestCookieCrateVector(t *testing.T) {
	key, _ := hex.DecodeString("9d2987811fe2c410c6a886042a01c4183967f193c9b9e90ab4aabb59fc896e6b")
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, _ := cipher.NewGCM(block)
	e := &Encrypter{cookies: gcm}
	got, err := e.OpenCookie("encrypted_with_ring014", "lObeZJorGVyeSWUA8khTO/8UCzFVBY9g0MGU6/J3NN1R5x11dn2JIA==")
	if err != nil || string(got) != "Tamper-proof" {
		t.Fatalf("OpenCookie = %q, %v", got, err)
	}
}

func TestCookieRoundTripAndBinding(t *testing.T) {
	e := New(testKey(), rand.Reader)
	sealed, err := e.SealCookie("csrf", []byte(`{"token":"abc"}`))
	if err != nil {
		t.Fatal(err)
	}
	// The value survives net/http unchanged (no quoting or stripping).
	c := &http.Cookie{Name: "csrf", Value: sealed}
	if !strings.HasPrefix(c.String(), "csrf="+sealed) {
		t.Fatalf("net/http rewrote the cookie: %s", c.String())
	}
	got, err := e.OpenCookie("csrf", sealed)
	if err != nil || string(got) != `{"token":"abc"}` {
		t.Fatalf("OpenCookie = %q, %v", got, err)
	}

	raw, _ := base64.StdEncoding.DecodeString(sealed)
	raw[20] ^= 0x80
	tampered := base64.StdEncoding.EncodeToString(raw)
	other := New([32]byte{0xEA}, rand.Reader)
	fieldSealed, _ := e.Encrypt([]byte(`{"token":"abc"}`))

	tests := []struct {
		name, cookie, value string
		open                func(string, string) ([]byte, error)
		err                 error
	}{
		{"other cookie name", "session", sealed, e.OpenCookie, ErrAuth},
		{"tampered", "csrf", tampered, e.OpenCookie, ErrAuth},
		{"wrong key", "csrf", sealed, other.OpenCookie, ErrAuth},
		{"field ciphertext is not a cookie", "csrf", fieldSealed, e.OpenCookie, ErrAuth},
		{"garbage", "csrf", "not base64!", e.OpenCookie, ErrBadEncoding},
		{"too short", "csrf", "AAAA", e.OpenCookie, ErrTooShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.open(tt.cookie, tt.value); !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
	if _, err := e.Decrypt(sealed); !errors.Is(err, ErrAuth) {
		t.Errorf("cookie decrypted as a field: %v", err)
	}
	if _, err := e.SealCookie("", []byte("x")); err == nil {
		t.Error("empty cookie name accepted")
	}
}
