package keys

import "errors"

// Errors returned while loading keys. They are wrapped with the key's source
// and further detail; test with errors.Is.
var (
	ErrPasswordRequired   = errors.New("key is encrypted but no password was given")
	ErrWrongPassword      = errors.New("cannot decrypt key: wrong password or corrupted key")
	ErrUnexpectedPassword = errors.New("a password was given but the key is not encrypted")
	ErrUnsupportedKey     = errors.New("unsupported key")
	ErrMalformedKey       = errors.New("malformed key")
)

// Errors returned while verifying tokens.
var (
	ErrMalformedToken   = errors.New("malformed JWT")
	ErrAlgNotAllowed    = errors.New("JWT algorithm not allowed")
	ErrNoMatchingKey    = errors.New("no key matches the JWT")
	ErrInvalidSignature = errors.New("invalid JWT signature")
)
