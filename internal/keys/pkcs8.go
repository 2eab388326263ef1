package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// pkcs8Info is PKCS#8 PrivateKeyInfo (RFC 5208). Trailing optional fields
// (attributes, the RFC 5958 public key) are tolerated and ignored.
type pkcs8Info struct {
	Version    int
	Algorithm  pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// ecPrivateKey is the SEC1 ECPrivateKey structure (RFC 5915).
type ecPrivateKey struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

// parsePKCS8 handles RSA through the standard library and every EC key
// itself: crypto/x509 has no secp256k1, and one EC path for all curves is
// simpler than two.
func parsePKCS8(der []byte) (any, error) {
	var info pkcs8Info
	if !unmarshalWhole(der, &info) {
		return nil, fmt.Errorf("%w: invalid PKCS#8 structure", ErrMalformedKey)
	}
	switch alg := info.Algorithm.Algorithm; {
	case alg.Equal(oidRSA):
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("%w: PKCS#8 RSA key: %v", ErrMalformedKey, err)
		}
		return k.(*rsa.PrivateKey), nil
	case alg.Equal(oidECPublicKey):
		var oid asn1.ObjectIdentifier
		if !unmarshalWhole(info.Algorithm.Parameters.FullBytes, &oid) {
			// Absent or explicit curve parameters: the inner key may still
			// name its curve, and parseSEC1 says so if it does not.
			return parseSEC1(info.PrivateKey, nil)
		}
		curve, err := lookupCurve(oid)
		if err != nil {
			return nil, err
		}
		return parseSEC1(info.PrivateKey, &curve)
	default:
		name := alg.String()
		if n, ok := unsupportedAlgorithmNames[name]; ok {
			name = n
		}
		return nil, fmt.Errorf("%w: key algorithm %s (supported: RSA, EC P-256, P-384, secp256k1)", ErrUnsupportedKey, name)
	}
}

func lookupCurve(oid asn1.ObjectIdentifier) (curveInfo, error) {
	if c, ok := curveByOID(oid); ok {
		return c, nil
	}
	name := oid.String()
	if n, ok := unsupportedCurveNames[name]; ok {
		name = n
	}
	return curveInfo{}, fmt.Errorf("%w: elliptic curve %s (supported: P-256, P-384, secp256k1)", ErrUnsupportedKey, name)
}

// parseSEC1 decodes an ECPrivateKey. known is the curve named by an
// enclosing PKCS#8 structure, if any; a SEC1 key on its own must name its
// curve.
func parseSEC1(der []byte, known *curveInfo) (any, error) {
	var k ecPrivateKey
	if !unmarshalWhole(der, &k) {
		return nil, fmt.Errorf("%w: invalid SEC1 EC private key structure", ErrMalformedKey)
	}
	if k.Version != 1 {
		return nil, fmt.Errorf("%w: unknown SEC1 version %d", ErrMalformedKey, k.Version)
	}

	var curve curveInfo
	switch {
	case len(k.NamedCurveOID) > 0:
		c, err := lookupCurve(k.NamedCurveOID)
		if err != nil {
			return nil, err
		}
		if known != nil && known.kind != c.kind {
			return nil, fmt.Errorf("%w: PKCS#8 says %s but the EC key says %s", ErrMalformedKey, known.jwkName, c.jwkName)
		}
		curve = c
	case known != nil:
		curve = *known
	default:
		return nil, fmt.Errorf("%w: EC private key does not name its curve", ErrMalformedKey)
	}

	// Some encoders strip leading zero bytes from the scalar.
	d := k.PrivateKey
	if len(d) > curve.size {
		return nil, fmt.Errorf("%w: EC private key is %d bytes, expected %d", ErrMalformedKey, len(d), curve.size)
	}
	d = append(make([]byte, curve.size-len(d), curve.size), d...)

	var (
		key      any
		derived  []byte
		errRange = fmt.Errorf("%w: EC private key out of range for %s", ErrMalformedKey, curve.jwkName)
	)
	if curve.nist != nil {
		priv, err := ecdsa.ParseRawPrivateKey(curve.nist, d)
		if err != nil {
			return nil, errRange
		}
		if derived, err = priv.PublicKey.Bytes(); err != nil {
			return nil, errRange
		}
		key = priv
	} else {
		var s secp256k1.ModNScalar
		if overflow := s.SetByteSlice(d); overflow || s.IsZero() {
			return nil, errRange
		}
		priv := secp256k1.NewPrivateKey(&s)
		derived = priv.PubKey().SerializeUncompressed()
		key = priv
	}

	if pub := k.PublicKey.RightAlign(); len(pub) > 0 && !samePoint(pub, derived) {
		return nil, fmt.Errorf("%w: embedded public key does not match the private key", ErrMalformedKey)
	}
	return key, nil
}

// samePoint compares an encoded point, compressed or not, with an
// uncompressed one (0x04 || X || Y).
func samePoint(encoded, uncompressed []byte) bool {
	if len(encoded) == 0 || len(uncompressed) < 3 {
		return false
	}
	size := (len(uncompressed) - 1) / 2
	x, y := uncompressed[1:1+size], uncompressed[1+size:]
	switch encoded[0] {
	case 4:
		return bytes.Equal(encoded, uncompressed)
	case 2, 3:
		return len(encoded) == 1+size && bytes.Equal(encoded[1:], x) && encoded[0]&1 == y[size-1]&1
	}
	return false
}

// marshalSEC1 encodes an EC private key with its named curve and public key,
// the form OpenSSL writes and the upstream service generates.
func marshalSEC1(curve curveInfo, d, uncompressedPub []byte) ([]byte, error) {
	return asn1.Marshal(ecPrivateKey{
		Version:       1,
		PrivateKey:    d,
		NamedCurveOID: curve.oid,
		PublicKey:     asn1.BitString{Bytes: uncompressedPub, BitLength: 8 * len(uncompressedPub)},
	})
}
