package encrypt

import (
	"encoding/base64"
	"errors"
)

// SealCookie encrypts a cookie value. The cookie name is authenticated as
// associated data, so a value sealed for one cookie cannot be replayed in
// another.
//
// The format is that of upstream's private cookie jar (the Rust "cookie"
// crate): standard padded base64 of nonce(12) ‖ AES-256-GCM ciphertext ‖
// tag(16), which only uses characters allowed in cookie values. Keeping it
// means browser sessions survive a switch between implementations in either
// direction; upstream only accepts UTF-8 values, which JSON payloads are.
func (e *Encrypter) SealCookie(name string, value []byte) (string, error) {
	if name == "" {
		return "", errors.New("encrypt: empty cookie name")
	}
	sealed, err := seal(e.cookies, e.rng, value, []byte(name))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sealed), nil
}

// OpenCookie authenticates and decrypts a value produced by SealCookie for
// the same cookie name.
func (e *Encrypter) OpenCookie(name, sealed string) ([]byte, error) {
	data, err := decodeStrict(base64.StdEncoding, sealed)
	if err != nil {
		return nil, err
	}
	return open(e.cookies, data, []byte(name))
}
