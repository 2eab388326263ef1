package tokens

import (
	"errors"
	"fmt"
	"io"
)

const (
	alphanumeric      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperAlphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	digits            = "0123456789"
)

// RandomAlphanumeric returns n characters drawn uniformly from [A-Za-z0-9].
// It is used for token bodies, authorisation codes, client secrets and the
// like.
func RandomAlphanumeric(rng io.Reader, n int) (string, error) {
	return randomString(rng, alphanumeric, n)
}

// RandomDigits returns n decimal digits, leading zeros included, for codes a
// person types in (email verification).
func RandomDigits(rng io.Reader, n int) (string, error) {
	return randomString(rng, digits, n)
}

// RandomUpperAlphanumeric returns n characters drawn uniformly from [A-Z0-9],
// for device-flow user codes that are read aloud and typed case-insensitively.
func RandomUpperAlphanumeric(rng io.Reader, n int) (string, error) {
	return randomString(rng, upperAlphanumeric, n)
}

// randomString draws n characters uniformly from alphabet (at most 256
// characters) using rejection sampling: a byte is only used if it falls below
// the largest multiple of len(alphabet), so that no character is favoured by
// the modulo.
func randomString(rng io.Reader, alphabet string, n int) (string, error) {
	if n < 0 {
		return "", fmt.Errorf("tokens: negative length %d", n)
	}
	if rng == nil {
		return "", errors.New("tokens: no random source")
	}
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	// Reading a little more than needed keeps the number of reads low even
	// though some bytes are rejected.
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		if _, err := io.ReadFull(rng, buf); err != nil {
			return "", fmt.Errorf("tokens: reading random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out = append(out, alphabet[int(b)%len(alphabet)])
			if len(out) == n {
				break
			}
		}
	}
	return string(out), nil
}
