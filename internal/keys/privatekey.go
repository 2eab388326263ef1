package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// PrivateKey is a parsed signing key with its key ID.
type PrivateKey struct {
	kid    string
	kind   Kind
	signer any // *rsa.PrivateKey, *ecdsa.PrivateKey or *secp256k1.PrivateKey
	public publicKey
	jwk    jwk // public JWK including kid and use
}

func newPrivateKey(raw any, kid string) (*PrivateKey, error) {
	var pub any
	switch k := raw.(type) {
	case *rsa.PrivateKey:
		pub = &k.PublicKey
	case *ecdsa.PrivateKey:
		pub = &k.PublicKey
	case *secp256k1.PrivateKey:
		pub = k.PubKey()
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, raw)
	}
	kind := kindOfPublic(pub)
	if kind == 0 {
		return nil, fmt.Errorf("%w: curve not supported", ErrUnsupportedKey)
	}
	j, err := publicJWK(pub)
	if err != nil {
		return nil, err
	}
	if kid == "" {
		if kid, err = thumbprint(j); err != nil {
			return nil, err
		}
	}
	j.Kid = kid
	j.Use = "sig"
	// An EC key can only ever sign with one algorithm, so saying so helps
	// clients pick it. RSA keys sign with six; pinning one would make strict
	// verifiers reject the others (for example a PS256 ID token).
	if kind != KindRSA {
		j.Alg = algorithmsFor(kind)[0]
	}
	return &PrivateKey{
		kid:    kid,
		kind:   kind,
		signer: raw,
		public: publicKey{kid: kid, kind: kind, key: pub},
		jwk:    j,
	}, nil
}

// KID returns the key ID published in the JWK Set and in token headers.
func (k *PrivateKey) KID() string { return k.kid }

// Kind returns the key type.
func (k *PrivateKey) Kind() Kind { return k.kind }

// Algorithms lists the JWS algorithms this key can sign with.
func (k *PrivateKey) Algorithms() []string { return algorithmsFor(k.kind) }

// PublicJWK returns the public half of the key as a JWK (JSON).
func (k *PrivateKey) PublicJWK() []byte {
	b, _ := json.Marshal(k.jwk) // a struct of strings always encodes
	return b
}

// Sign returns a compact JWS over the JSON encoding of claims (pass a
// json.RawMessage for JSON that is already encoded), with a header carrying
// alg, the key's kid and typ "JWT".
func (k *PrivateKey) Sign(alg string, claims any) (string, error) {
	if !slices.Contains(k.Algorithms(), alg) {
		return "", fmt.Errorf("%w: %s key %q cannot sign %q", ErrAlgNotAllowed, k.kind, k.kid, alg)
	}
	a := algorithms[alg]
	return encodeCompact(Header{Alg: alg, Kid: k.kid, Typ: "JWT"}, claims, func(input []byte) ([]byte, error) {
		return signWith(a, k.signer, input)
	})
}

// CryptoSigner returns the key as a crypto.Signer for TLS. secp256k1 keys
// have none (TLS does not use that curve), so ok is false for them.
func (k *PrivateKey) CryptoSigner() (s crypto.Signer, ok bool) {
	s, ok = k.signer.(crypto.Signer)
	return s, ok
}
