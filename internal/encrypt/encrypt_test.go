package encrypt

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func testKey() [32]byte {
	var k [32]byte
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

// fixedNonce returns a reader that yields bytes 100, 101, ... so that
// outputs can be compared with vectors produced by another implementation.
func fixedNonce() *bytes.Reader {
	b := make([]byte, 64)
	for i := range b {
		b[i] = byte(100 + i)
	}
	return bytes.NewReader(b)
}

// The expected strings below were produced with Python's "cryptography"
// package, independently of this code.
func TestEncryptVector(t *testing.T) {
	e := New(testKey(), fixedNonce())
	got, err := e.Encrypt([]byte("client-secret-123456"))
	if err != nil {
		t.Fatal(err)
	}
	const want = "ZGVmZ2hpamtsbW5vV33Sr/bRWyGevWcahqTpoUPypwIB+XbhMmi0qgF3M0kJ3LZ6"
	if got != want {
		t.Fatalf("Encrypt = %s, want %s", got, want)
	}
	plain, err := e.Decrypt(want)
	if err != nil || string(plain) != "client-secret-123456" {
		t.Fatalf("Decrypt = %q, %v", plain, err)
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	e := New(testKey(), rand.Reader)
	for _, msg := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("secret"), 1000)} {
		a, err := e.Encrypt(msg)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := e.Encrypt(msg)
		if a == b {
			t.Error("two encryptions of the same value are identical (nonce reuse)")
		}
		got, err := e.Decrypt(a)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) || got == nil {
			t.Errorf("round trip of %d bytes gave %d bytes (nil=%v)", len(msg), len(got), got == nil)
		}
	}
}

func TestDecryptErrors(t *testing.T) {
	e := New(testKey(), rand.Reader)
	good, err := e.Encrypt([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(good)
	flipped := append([]byte{}, raw...)
	flipped[len(flipped)-1] ^= 1
	other := New([32]byte{1}, rand.Reader)

	tests := []struct {
		name string
		in   string
		dec  func(string) ([]byte, error)
		err  error
	}{
		{"not base64", "!!!", e.Decrypt, ErrBadEncoding},
		{"url alphabet", strings.NewReplacer("+", "-", "/", "_").Replace(good) + "-_", e.Decrypt, ErrBadEncoding},
		{"missing padding", strings.TrimRight(base64.StdEncoding.EncodeToString(raw[:len(raw)-1]), "="), e.Decrypt, ErrBadEncoding},
		{"line break", good[:4] + "\n" + good[4:], e.Decrypt, ErrBadEncoding},
		{"empty", "", e.Decrypt, ErrTooShort},
		{"nonce only", base64.StdEncoding.EncodeToString(raw[:12]), e.Decrypt, ErrTooShort},
		{"tag cut", base64.StdEncoding.EncodeToString(raw[:len(raw)-1]), e.Decrypt, ErrAuth},
		{"tampered", base64.StdEncoding.EncodeToString(flipped), e.Decrypt, ErrAuth},
		{"wrong key", good, other.Decrypt, ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.dec(tt.in); !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestRandomSourceErrors(t *testing.T) {
	e := New(testKey(), bytes.NewReader(make([]byte, 5)))
	if _, err := e.Encrypt([]byte("x")); err == nil {
		t.Error("Encrypt with exhausted random source succeeded")
	}
	if _, err := New(testKey(), nil).SealCookie("c", []byte("x")); err == nil {
		t.Error("SealCookie without random source succeeded")
	}
}
