package keys

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Header is the protected header of a compact JWS.
type Header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
	Typ string `json:"typ,omitempty"`
}

// parsedJWS is a compact JWS split into its parts, not yet verified.
type parsedJWS struct {
	header       Header
	signingInput string
	payload      []byte
	signature    []byte
}

// isBase64URL reports whether s only uses the unpadded base64url alphabet.
// The decoder alone is not enough: it skips line breaks.
func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func parseCompact(token string) (*parsedJWS, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: expected 3 dot-separated parts, got %d", ErrMalformedToken, len(parts))
	}
	for i, name := range []string{"header", "payload", "signature"} {
		if !isBase64URL(parts[i]) {
			return nil, fmt.Errorf("%w: %s is not base64url", ErrMalformedToken, name)
		}
	}
	if parts[2] == "" {
		return nil, fmt.Errorf("%w: missing signature", ErrMalformedToken)
	}

	rawHeader, err := b64.DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformedToken, err)
	}
	var h struct {
		Header
		Crit json.RawMessage `json:"crit"`
	}
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformedToken, err)
	}
	if h.Alg == "" {
		return nil, fmt.Errorf("%w: header has no alg", ErrMalformedToken)
	}
	// RFC 7515 §4.1.11: extensions listed in "crit" must be understood, and
	// we understand none.
	if len(h.Crit) > 0 && string(h.Crit) != "null" {
		return nil, fmt.Errorf("%w: unsupported critical header parameters %s", ErrMalformedToken, h.Crit)
	}

	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformedToken, err)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrMalformedToken, err)
	}
	return &parsedJWS{
		header:       h.Header,
		signingInput: parts[0] + "." + parts[1],
		payload:      payload,
		signature:    sig,
	}, nil
}

// encodeCompact builds a compact JWS; claims are JSON-encoded (a
// json.RawMessage is used as is).
func encodeCompact(h Header, claims any, sign func(input []byte) ([]byte, error)) (string, error) {
	rawHeader, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding JWT claims: %w", err)
	}
	input := b64.EncodeToString(rawHeader) + "." + b64.EncodeToString(payload)
	sig, err := sign([]byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// resolveAlg returns the token's algorithm if it is one of allowed.
func resolveAlg(name string, allowed map[string]bool) (algorithm, error) {
	if !allowed[name] {
		return algorithm{}, fmt.Errorf("%w: %q", ErrAlgNotAllowed, name)
	}
	return algorithms[name], nil
}

// signWith signs input with a private key (*rsa.PrivateKey,
// *ecdsa.PrivateKey, *secp256k1.PrivateKey) or an HMAC secret ([]byte).
// Callers have already matched the key to the algorithm.
func signWith(a algorithm, key any, input []byte) ([]byte, error) {
	digest := a.digest(input)
	switch k := key.(type) {
	case *rsa.PrivateKey:
		// The standard library ignores a caller-supplied random source for
		// these operations, so there is nothing to inject here.
		if a.family == familyPSS {
			return rsa.SignPSS(rand.Reader, k, a.hash, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(rand.Reader, k, a.hash, digest)
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			return nil, err
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		sig := make([]byte, 2*size)
		r.FillBytes(sig[:size])
		s.FillBytes(sig[size:])
		return sig, nil
	case *secp256k1.PrivateKey:
		return signES256K(k, digest), nil
	case []byte:
		mac := hmac.New(a.hash.New, k)
		mac.Write(input)
		return mac.Sum(nil), nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, key)
}

// verifySignature checks sig over input. The key type must match the
// algorithm family; anything else fails closed.
func verifySignature(a algorithm, key any, input, sig []byte) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		digest := a.digest(input)
		switch a.family {
		case familyRSA:
			return rsa.VerifyPKCS1v15(k, a.hash, digest, sig) == nil
		case familyPSS:
			// RFC 7518 fixes the salt length to the hash size, but some
			// signers use the maximum; accepting any salt costs nothing.
			return rsa.VerifyPSS(k, a.hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
		}
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		if a.family != familyECDSA || len(sig) != 2*size {
			return false
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(k, a.digest(input), r, s)
	case *secp256k1.PublicKey:
		return a.family == familyK256 && verifyES256K(k, a.digest(input), sig)
	case []byte:
		if a.family != familyHMAC {
			return false
		}
		mac := hmac.New(a.hash.New, k)
		mac.Write(input)
		return hmac.Equal(mac.Sum(nil), sig)
	}
	return false
}
