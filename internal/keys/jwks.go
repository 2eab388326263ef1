package keys

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// PublicKeys is a parsed JWK Set, such as a client's "jwks", used to verify
// the tokens it signs. Parse it once and reuse it when the set is cached.
type PublicKeys struct {
	keys []publicKey
	// skipped explains, for error messages, why some keys are unusable.
	skipped []string
}

// ParseJWKS parses a JWK Set. Keys that cannot verify signatures (encryption
// keys, unsupported types such as OKP) are skipped rather than failing the
// whole set, because clients publish sets that mix them; keys with a
// secp256k1 curve are supported.
func ParseJWKS(data []byte) (*PublicKeys, error) {
	var set struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("invalid JWK Set: %w", err)
	}
	if set.Keys == nil {
		return nil, errors.New(`invalid JWK Set: missing "keys"`)
	}
	p := &PublicKeys{}
	for i, raw := range *set.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			p.skipped = append(p.skipped, fmt.Sprintf("key %d: %v", i, err))
			continue
		}
		pk, err := parseJWK(k)
		if err != nil {
			p.skipped = append(p.skipped, fmt.Sprintf("key %d (kid %q): %v", i, k.Kid, err))
			continue
		}
		p.keys = append(p.keys, pk)
	}
	return p, nil
}

// Len returns the number of usable keys.
func (p *PublicKeys) Len() int { return len(p.keys) }

// Verify checks a compact JWS signed with one of the keys and returns its
// payload. allowedAlgs restricts the accepted algorithms; empty means every
// supported asymmetric algorithm. HMAC algorithms and "none" are never
// accepted here.
func (p *PublicKeys) Verify(token string, allowedAlgs []string) ([]byte, Header, error) {
	return verifyAsymmetric(token, p.keys, p.skipped, allowedAlgs)
}

// VerifyWithJWKS parses jwks and verifies token against it; see
// PublicKeys.Verify.
func VerifyWithJWKS(token string, jwks []byte, allowedAlgs []string) ([]byte, Header, error) {
	p, err := ParseJWKS(jwks)
	if err != nil {
		return nil, Header{}, err
	}
	return p.Verify(token, allowedAlgs)
}

func verifyAsymmetric(token string, keys []publicKey, skipped []string, allowedAlgs []string) ([]byte, Header, error) {
	jws, err := parseCompact(token)
	if err != nil {
		return nil, Header{}, err
	}
	alg, err := resolveAlg(jws.header.Alg, allowedSet(allowedAlgs, asymmetricOrder))
	if err != nil {
		return nil, jws.header, err
	}
	tried := 0
	for _, k := range keys {
		if !k.usableFor(alg, jws.header.Kid) {
			continue
		}
		tried++
		if verifySignature(alg, k.key, []byte(jws.signingInput), jws.signature) {
			return jws.payload, jws.header, nil
		}
	}
	if tried == 0 {
		msg := fmt.Sprintf("%s key", alg.kind)
		if jws.header.Kid != "" {
			msg += fmt.Sprintf(" with kid %q", jws.header.Kid)
		}
		if len(skipped) > 0 {
			msg += "; unusable keys: " + strings.Join(skipped, "; ")
		}
		return nil, jws.header, fmt.Errorf("%w: no %s for %s", ErrNoMatchingKey, msg, alg.name)
	}
	return nil, jws.header, ErrInvalidSignature
}
