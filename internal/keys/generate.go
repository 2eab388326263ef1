package keys

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Generate creates a new key of the given kind and returns it PEM encoded the
// way the upstream "config generate" writes keys: RSA (2048 bits) as PKCS#1,
// EC keys as SEC1 with the named curve and public key included.
func Generate(kind Kind, rng io.Reader) ([]byte, error) {
	block, err := generateBlock(kind, rng)
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", kind, err)
	}
	return pem.EncodeToMemory(block), nil
}

func generateBlock(kind Kind, rng io.Reader) (*pem.Block, error) {
	curve, _ := curveByKind(kind)
	var d, pub []byte
	switch kind {
	case KindRSA:
		k, err := rsa.GenerateKey(rng, 2048)
		if err != nil {
			return nil, err
		}
		return &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}, nil
	case KindP256, KindP384:
		k, err := ecdsa.GenerateKey(curve.nist, rng)
		if err != nil {
			return nil, err
		}
		if d, err = k.Bytes(); err != nil {
			return nil, err
		}
		if pub, err = k.PublicKey.Bytes(); err != nil {
			return nil, err
		}
	case KindSecp256k1:
		k, err := secp256k1.GeneratePrivateKeyFromRand(rng)
		if err != nil {
			return nil, err
		}
		d, pub = k.Serialize(), k.PubKey().SerializeUncompressed()
	default:
		return nil, ErrUnsupportedKey
	}
	der, err := marshalSEC1(curve, d, pub)
	if err != nil {
		return nil, err
	}
	return &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}, nil
}
