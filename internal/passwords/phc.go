package passwords

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// phcB64 is the "B64" of the PHC string format: the standard alphabet
// without padding. Decoding is strict (no stray trailing bits) like the
// upstream base64ct decoder, so one hash has exactly one spelling.
var phcB64 = base64.RawStdEncoding.Strict()

// phcString is a parsed PHC string:
// $<id>[$v=<version>][$<param>=<value>(,<param>=<value>)*][$<salt>[$<hash>]]
type phcString struct {
	id         string
	version    string // raw decimal, "" when absent
	params     []phcParam
	salt, hash string // still B64-encoded
}

type phcParam struct{ name, value string }

// parsePHC splits a PHC string into its fields. Only the syntax is checked
// here; each algorithm validates the meaning of its fields.
func parsePHC(s string) (*phcString, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("%w: PHC string does not start with '$'", ErrMalformedHash)
	}
	fields := strings.Split(s[1:], "$")
	if len(fields) > 5 {
		return nil, fmt.Errorf("%w: PHC string has too many '$'-separated fields", ErrMalformedHash)
	}
	p := &phcString{id: fields[0]}
	if !validPHCSymbol(p.id) {
		return nil, fmt.Errorf("%w: invalid algorithm identifier %q", ErrMalformedHash, p.id)
	}
	rest := fields[1:]
	if len(rest) > 0 && strings.HasPrefix(rest[0], "v=") {
		p.version = rest[0][len("v="):]
		if _, err := parsePHCDecimal(p.version); err != nil {
			return nil, fmt.Errorf("%w: version: %v", ErrMalformedHash, err)
		}
		rest = rest[1:]
	}
	if len(rest) > 0 && strings.Contains(rest[0], "=") {
		for _, kv := range strings.Split(rest[0], ",") {
			name, value, ok := strings.Cut(kv, "=")
			if !ok || !validPHCSymbol(name) {
				return nil, fmt.Errorf("%w: invalid parameter %q", ErrMalformedHash, kv)
			}
			for _, seen := range p.params {
				if seen.name == name {
					return nil, fmt.Errorf("%w: duplicate parameter %q", ErrMalformedHash, name)
				}
			}
			p.params = append(p.params, phcParam{name, value})
		}
		rest = rest[1:]
	}
	switch len(rest) {
	case 2:
		p.hash = rest[1]
		fallthrough
	case 1:
		p.salt = rest[0]
	case 0:
	default:
		return nil, fmt.Errorf("%w: PHC string has too many fields", ErrMalformedHash)
	}
	return p, nil
}

// validPHCSymbol accepts the identifier alphabet of the PHC format:
// [a-z0-9-], 1 to 32 characters.
func validPHCSymbol(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// parsePHCDecimal parses a PHC decimal: digits only, no sign, no leading
// zero, fitting in 32 bits.
func parsePHCDecimal(s string) (uint32, error) {
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("number %q has a leading zero", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", s)
		}
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("number %q does not fit in 32 bits", s)
	}
	return uint32(v), nil
}

// decodePHCB64 decodes a salt or hash field, bounding its size first.
func decodePHCB64(what, s string, minLen, maxLen int) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: missing %s", ErrMalformedHash, what)
	}
	if phcB64.DecodedLen(len(s)) > maxLen {
		return nil, fmt.Errorf("%w: %s longer than %d bytes", ErrMalformedHash, what, maxLen)
	}
	b, err := phcB64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not valid unpadded base64", ErrMalformedHash, what)
	}
	if len(b) < minLen {
		return nil, fmt.Errorf("%w: %s shorter than %d bytes", ErrMalformedHash, what, minLen)
	}
	return b, nil
}
