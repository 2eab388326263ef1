package keys

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// jwk holds the members of a public JSON Web Key (RFC 7517) that we read or
// write. Field order is the output order.
type jwk struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid,omitempty"`
	Use    string   `json:"use,omitempty"`
	Alg    string   `json:"alg,omitempty"`
	KeyOps []string `json:"key_ops,omitempty"`
	Crv    string   `json:"crv,omitempty"`
	N      string   `json:"n,omitempty"`
	E      string   `json:"e,omitempty"`
	X      string   `json:"x,omitempty"`
	Y      string   `json:"y,omitempty"`
}

var b64 = base64.RawURLEncoding.Strict()

// publicJWK describes a public key as a JWK without kid, use or alg.
func publicJWK(pub any) (jwk, error) {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return jwk{
			Kty: "RSA",
			N:   b64.EncodeToString(p.N.Bytes()),
			E:   b64.EncodeToString(big.NewInt(int64(p.E)).Bytes()),
		}, nil
	case *ecdsa.PublicKey, *secp256k1.PublicKey:
		curve, _ := curveByKind(kindOfPublic(pub))
		var point []byte
		if k1, ok := p.(*secp256k1.PublicKey); ok {
			point = k1.SerializeUncompressed()
		} else {
			var err error
			if point, err = p.(*ecdsa.PublicKey).Bytes(); err != nil {
				return jwk{}, err
			}
		}
		return jwk{
			Kty: "EC",
			Crv: curve.jwkName,
			X:   b64.EncodeToString(point[1 : 1+curve.size]),
			Y:   b64.EncodeToString(point[1+curve.size:]),
		}, nil
	}
	return jwk{}, fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

// thumbprint computes the RFC 7638 JWK thumbprint: SHA-256 over the required
// members in lexicographic order, without whitespace. Struct field order
// gives the member order and encoding/json adds no whitespace.
func thumbprint(k jwk) (string, error) {
	var (
		canonical []byte
		err       error
	)
	switch k.Kty {
	case "RSA":
		canonical, err = json.Marshal(struct {
			E   string `json:"e"`
			Kty string `json:"kty"`
			N   string `json:"n"`
		}{k.E, k.Kty, k.N})
	case "EC":
		canonical, err = json.Marshal(struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
			Y   string `json:"y"`
		}{k.Crv, k.Kty, k.X, k.Y})
	default:
		return "", fmt.Errorf("%w: thumbprint of key type %q", ErrUnsupportedKey, k.Kty)
	}
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canonical)
	return b64.EncodeToString(sum[:]), nil
}

// publicKey is a verification key with the JWK metadata that restricts its
// use.
type publicKey struct {
	kid  string
	alg  string // "" when the JWK does not pin an algorithm
	kind Kind
	key  any // *rsa.PublicKey, *ecdsa.PublicKey or *secp256k1.PublicKey
}

// usableFor tells whether the key may verify a token with the given
// algorithm and key ID. Key IDs only narrow the search: a token without kid,
// or a published key without one, is matched on key type and alg alone.
func (p publicKey) usableFor(a algorithm, kid string) bool {
	return p.kind == a.kind &&
		(p.alg == "" || p.alg == a.name) &&
		(kid == "" || p.kid == "" || p.kid == kid)
}

// parseJWK turns a JWK into a verification key. Keys that cannot be used for
// signature verification are reported as errors so that the caller can skip
// them.
func parseJWK(k jwk) (publicKey, error) {
	if k.Use != "" && k.Use != "sig" {
		return publicKey{}, fmt.Errorf("use is %q", k.Use)
	}
	if len(k.KeyOps) > 0 && !slices.Contains(k.KeyOps, "verify") {
		return publicKey{}, errors.New("key_ops does not include verify")
	}
	if k.Alg != "" {
		a, ok := algorithms[k.Alg]
		if !ok || a.family == familyHMAC {
			return publicKey{}, fmt.Errorf("unsupported alg %q", k.Alg)
		}
	}

	pk := publicKey{kid: k.Kid, alg: k.Alg}
	switch k.Kty {
	case "RSA":
		n, err1 := b64.DecodeString(k.N)
		e, err2 := b64.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			return publicKey{}, errors.New("invalid RSA modulus or exponent")
		}
		exp := new(big.Int).SetBytes(e).Int64()
		if exp < 3 || exp%2 == 0 || exp > 1<<31-1 {
			return publicKey{}, errors.New("invalid RSA exponent")
		}
		pk.kind, pk.key = KindRSA, &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}
	case "EC":
		curve, ok := curveByJWKName(k.Crv)
		if !ok {
			return publicKey{}, fmt.Errorf("unsupported curve %q", k.Crv)
		}
		x, err1 := b64.DecodeString(k.X)
		y, err2 := b64.DecodeString(k.Y)
		if err1 != nil || err2 != nil || len(x) != curve.size || len(y) != curve.size {
			return publicKey{}, fmt.Errorf("invalid %s coordinates", curve.jwkName)
		}
		point := append(append([]byte{4}, x...), y...)
		var err error
		if curve.nist != nil {
			pk.key, err = ecdsa.ParseUncompressedPublicKey(curve.nist, point)
		} else {
			pk.key, err = secp256k1.ParsePubKey(point)
		}
		if err != nil {
			return publicKey{}, fmt.Errorf("point not on %s", curve.jwkName)
		}
		pk.kind = curve.kind
	default:
		return publicKey{}, fmt.Errorf("unsupported key type %q", k.Kty)
	}
	if k.Alg != "" && algorithms[k.Alg].kind != pk.kind {
		return publicKey{}, fmt.Errorf("alg %s does not fit a %s key", k.Alg, pk.kind)
	}
	return pk, nil
}
