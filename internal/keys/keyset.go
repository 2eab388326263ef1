package keys

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// KeySet is the service's set of signing keys. It is immutable and safe for
// concurrent use.
type KeySet struct {
	keys []*PrivateKey
	jwks []byte
	algs []string
	pub  []publicKey
}

// NewKeySet parses every spec. Key IDs must be unique, since verifiers pick
// the key by kid.
func NewKeySet(specs []Spec) (*KeySet, error) {
	keys := make([]*PrivateKey, 0, len(specs))
	for _, s := range specs {
		k, err := ParsePrivateKey(s)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return NewKeySetFromKeys(keys...)
}

// NewKeySetFromKeys builds a KeySet from already parsed keys, in order.
func NewKeySetFromKeys(keys ...*PrivateKey) (*KeySet, error) {
	if len(keys) == 0 {
		return nil, errors.New("no signing keys configured")
	}
	ks := &KeySet{keys: slices.Clone(keys)}
	seen := map[string]bool{}
	jwks := struct {
		Keys []jwk `json:"keys"`
	}{}
	for _, k := range keys {
		if seen[k.kid] {
			return nil, fmt.Errorf("duplicate key ID %q (the same key configured twice, or two keys with the same kid)", k.kid)
		}
		seen[k.kid] = true
		jwks.Keys = append(jwks.Keys, k.jwk)
		ks.pub = append(ks.pub, k.public)
	}
	var err error
	if ks.jwks, err = json.Marshal(jwks); err != nil {
		return nil, err
	}
	for _, alg := range asymmetricOrder {
		if ks.keyFor(alg) != nil {
			ks.algs = append(ks.algs, alg)
		}
	}
	return ks, nil
}

// JWKS returns the public JWK Set, as served at the jwks_uri.
func (ks *KeySet) JWKS() []byte { return slices.Clone(ks.jwks) }

// Algorithms lists the signing algorithms the keys support, in a fixed order
// (RS*, PS*, ES256, ES384, ES256K), for the discovery document.
func (ks *KeySet) Algorithms() []string { return slices.Clone(ks.algs) }

// Keys returns the keys in configuration order.
func (ks *KeySet) Keys() []*PrivateKey { return slices.Clone(ks.keys) }

func (ks *KeySet) keyFor(alg string) *PrivateKey {
	for _, k := range ks.keys {
		if slices.Contains(k.Algorithms(), alg) {
			return k
		}
	}
	return nil
}

// Sign signs claims with the first configured key that supports alg.
func (ks *KeySet) Sign(alg string, claims any) (string, error) {
	k := ks.keyFor(alg)
	if k == nil {
		return "", fmt.Errorf("%w: no configured key can sign %q", ErrAlgNotAllowed, alg)
	}
	return k.Sign(alg, claims)
}

// Verify checks a token signed by one of our own keys, such as an ID token
// hint, and returns its payload. allowedAlgs works as in PublicKeys.Verify.
func (ks *KeySet) Verify(token string, allowedAlgs []string) ([]byte, Header, error) {
	return verifyAsymmetric(token, ks.pub, nil, allowedAlgs)
}
