package tokens

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

const randomLen = 30

// Errors returned by Check, wrapped with details about the offending token.
var (
	ErrInvalidFormat = errors.New("invalid token format")
	ErrUnknownPrefix = errors.New("unknown token prefix")
	ErrBadChecksum   = errors.New("token checksum mismatch")
)

// Generate returns a new token of kind t: "<prefix>_<30 alphanumerics>_<checksum>".
func Generate(t Type, rng io.Reader) (string, error) {
	if !t.valid() {
		return "", fmt.Errorf("tokens: cannot generate token of unknown kind %v", t)
	}
	random, err := RandomAlphanumeric(rng, randomLen)
	if err != nil {
		return "", err
	}
	base := t.Prefix() + "_" + random
	return base + "_" + checksum(base), nil
}

// Check tells which kind of token s is, or why it is not a token we could
// have issued. A successful Check says nothing about whether the token exists
// or is still valid; it only spares a database lookup for garbage.
//
// Tokens migrated from Synapse are accepted without further checks: "syt_"
// and "syr_" tokens, and Synapse macaroons (guest and very old sessions), are
// recognised as compat tokens.
func Check(s string) (Type, error) {
	switch {
	case strings.HasPrefix(s, "syt_"):
		return CompatAccessToken, nil
	case strings.HasPrefix(s, "syr_"):
		return CompatRefreshToken, nil
	case len(s) == tokenLen && s[3] == '_' && s[4+randomLen] == '_':
		// Our own format (the hot path of introspection): skip the
		// macaroon decoding attempts below.
	case isLikelyMacaroon(s):
		return CompatAccessToken, nil
	}

	parts := strings.Split(s, "_")
	if len(parts) != 3 {
		return 0, fmt.Errorf("%w: expected 3 parts separated by '_', got %d", ErrInvalidFormat, len(parts))
	}
	prefix, random, sum := parts[0], parts[1], parts[2]
	switch {
	case len(prefix) != 3:
		return 0, fmt.Errorf("%w: prefix must be 3 characters, got %d", ErrInvalidFormat, len(prefix))
	case len(random) != randomLen:
		return 0, fmt.Errorf("%w: random part must be %d characters, got %d", ErrInvalidFormat, randomLen, len(random))
	case !isAlphanumeric(random):
		return 0, fmt.Errorf("%w: random part must be alphanumeric", ErrInvalidFormat)
	case len(sum) != checksumLen:
		return 0, fmt.Errorf("%w: checksum must be %d characters, got %d", ErrInvalidFormat, checksumLen, len(sum))
	}

	t, ok := typeForPrefix(prefix)
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrUnknownPrefix, prefix)
	}
	if want := checksum(prefix + "_" + random); sum != want {
		// The expected value is deliberately not included: it would turn
		// error messages into a checksum oracle.
		return 0, fmt.Errorf("%w for %s", ErrBadChecksum, t)
	}
	return t, nil
}

// tokenLen is the length of a token in our format: prefix, random part,
// checksum and two separators.
const tokenLen = 3 + 1 + randomLen + 1 + checksumLen

func isAlphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// macaroonEncodings are tried in turn: Synapse serialised macaroons as
// URL-safe base64, and depending on the version with or without padding; the
// standard alphabet is accepted too, as it costs nothing.
var macaroonEncodings = []*base64.Encoding{
	base64.RawURLEncoding,
	base64.URLEncoding,
	base64.RawStdEncoding,
	base64.StdEncoding,
}

// isLikelyMacaroon reports whether s decodes to a macaroon whose first packet
// is the "location" caveat: a 4-hex-digit packet length followed by
// "location ". That is how every Synapse macaroon starts; we do not try to
// parse or verify the rest.
func isLikelyMacaroon(s string) bool {
	// Go's decoder silently skips line breaks; a token never contains them.
	if strings.ContainsAny(s, "\r\n") {
		return false
	}
	for _, enc := range macaroonEncodings {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		return len(b) >= 13 && string(b[4:13]) == "location "
	}
	return false
}
