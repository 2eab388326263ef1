// Package encrypt protects data with the service's 32-byte encryption secret
// (secrets.encryption): database fields such as client secrets, and browser
// cookies.
//
// Both formats are the upstream service's, so data and cookies written before
// a migration stay readable afterwards (and after a rollback).
package encrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// Errors returned by Decrypt and OpenCookie.
var (
	ErrBadEncoding = errors.New("encrypted value is not valid base64")
	ErrTooShort    = errors.New("encrypted value is too short")
	ErrAuth        = errors.New("decryption failed: wrong key or tampered value")
)

// Encrypter encrypts and decrypts with keys derived from one secret. It is
// safe for concurrent use if its random source is.
type Encrypter struct {
	fields  cipher.AEAD // ChaCha20-Poly1305 keyed with the secret itself
	cookies cipher.AEAD // AES-256-GCM keyed with a derived key
	rng     io.Reader
}

// New returns an Encrypter for the given secret; rng supplies nonces
// (crypto/rand.Reader in production).
func New(key [32]byte, rng io.Reader) *Encrypter {
	fields, err := chacha20poly1305.New(key[:])
	if err != nil {
		// Only a wrong key length makes this fail, and the type rules it out.
		panic("encrypt: " + err.Error())
	}
	cookieKey := deriveCookieKey(key)
	block, err := aes.NewCipher(cookieKey[:])
	if err != nil {
		panic("encrypt: " + err.Error())
	}
	cookies, err := cipher.NewGCM(block)
	if err != nil {
		panic("encrypt: " + err.Error())
	}
	return &Encrypter{fields: fields, cookies: cookies, rng: rng}
}

// Encrypt seals plaintext for storage, returning standard padded base64 of
// nonce(12) ‖ ciphertext ‖ tag(16), the layout upstream uses for encrypted
// columns such as oauth2_clients.encrypted_client_secret.
func (e *Encrypter) Encrypt(plaintext []byte) (string, error) {
	sealed, err := seal(e.fields, e.rng, plaintext, nil)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sealed), nil
}

// Decrypt reverses Encrypt.
func (e *Encrypter) Decrypt(s string) ([]byte, error) {
	data, err := decodeStrict(base64.StdEncoding, s)
	if err != nil {
		return nil, err
	}
	return open(e.fields, data, nil)
}

// decodeStrict rejects anything but the canonical encoding; Go's decoder on
// its own skips line breaks.
func decodeStrict(enc *base64.Encoding, s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, ErrBadEncoding
	}
	b, err := enc.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEncoding, err)
	}
	return b, nil
}

// seal returns nonce ‖ ciphertext ‖ tag with a random nonce.
func seal(aead cipher.AEAD, rng io.Reader, plaintext, ad []byte) ([]byte, error) {
	if rng == nil {
		return nil, errors.New("encrypt: no random source")
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(rng, out); err != nil {
		return nil, fmt.Errorf("encrypt: reading nonce: %w", err)
	}
	return aead.Seal(out, out, plaintext, ad), nil
}

func open(aead cipher.AEAD, data, ad []byte) ([]byte, error) {
	if len(data) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: %d bytes, need at least %d", ErrTooShort, len(data), aead.NonceSize()+aead.Overhead())
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, data[:n], data[n:], ad)
	if err != nil {
		return nil, ErrAuth
	}
	if plain == nil {
		plain = []byte{}
	}
	return plain, nil
}

// cookieKeyInfo is the HKDF info string of the Rust "cookie" crate's
// Key::derive_from, which upstream uses for its private cookie jar. The
// 64-byte expansion yields a signing key (unused here) then the encryption
// key.
const cookieKeyInfo = "COOKIE;SIGNED:HMAC-SHA256;PRIVATE:AEAD-AES-256-GCM"

// deriveCookieKey derives the cookie encryption key so that the raw secret,
// used directly for database fields, is never used with a second algorithm.
// Like the cookie crate, it runs HKDF-Expand only, with the secret as the
// pseudorandom key: the secret is already uniformly random.
func deriveCookieKey(secret [32]byte) [32]byte {
	both, err := hkdf.Expand(sha256.New, secret[:], cookieKeyInfo, 64)
	if err != nil {
		panic("encrypt: " + err.Error()) // cannot happen for a 64-byte output
	}
	var k [32]byte
	copy(k[:], both[32:])
	return k
}
