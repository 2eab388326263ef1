package keys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Kind is the type of a signing key.
type Kind int

// Supported key kinds.
const (
	KindRSA Kind = iota + 1
	KindP256
	KindP384
	KindSecp256k1
)

func (k Kind) String() string {
	switch k {
	case KindRSA:
		return "RSA"
	case KindP256:
		return "EC P-256"
	case KindP384:
		return "EC P-384"
	case KindSecp256k1:
		return "EC secp256k1"
	}
	return fmt.Sprintf("keys.Kind(%d)", int(k))
}

// curveInfo ties together the names a curve goes by in ASN.1 and JOSE.
type curveInfo struct {
	kind    Kind
	oid     asn1.ObjectIdentifier
	jwkName string
	size    int            // bytes per coordinate and per signature half
	nist    elliptic.Curve // nil for secp256k1, which the standard library lacks
}

var (
	oidRSA            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECPublicKey    = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidCurveP256      = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidCurveP384      = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidCurveSecp256k1 = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
)

var curves = []curveInfo{
	{KindP256, oidCurveP256, "P-256", 32, elliptic.P256()},
	{KindP384, oidCurveP384, "P-384", 48, elliptic.P384()},
	{KindSecp256k1, oidCurveSecp256k1, "secp256k1", 32, nil},
}

// Curves we recognise only to name them in error messages.
var unsupportedCurveNames = map[string]string{
	"1.3.132.0.35":        "P-521",
	"1.3.132.0.33":        "P-224",
	"1.2.840.10045.3.1.1": "P-192",
}

var unsupportedAlgorithmNames = map[string]string{
	"1.3.101.112":       "Ed25519",
	"1.3.101.113":       "Ed448",
	"1.3.101.110":       "X25519",
	"1.3.101.111":       "X448",
	"1.2.840.10040.4.1": "DSA",
}

func curveByOID(oid asn1.ObjectIdentifier) (curveInfo, bool) {
	for _, c := range curves {
		if c.oid.Equal(oid) {
			return c, true
		}
	}
	return curveInfo{}, false
}

func curveByKind(k Kind) (curveInfo, bool) {
	for _, c := range curves {
		if c.kind == k {
			return c, true
		}
	}
	return curveInfo{}, false
}

func curveByJWKName(name string) (curveInfo, bool) {
	// "P-256K" was used by drafts of RFC 8812 and still shows up in the wild.
	if name == "P-256K" {
		name = "secp256k1"
	}
	for _, c := range curves {
		if c.jwkName == name {
			return c, true
		}
	}
	return curveInfo{}, false
}

// kindOfPublic tells the kind of a public key, or 0 if unsupported.
func kindOfPublic(pub any) Kind {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return KindRSA
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256():
			return KindP256
		case elliptic.P384():
			return KindP384
		}
	case *secp256k1.PublicKey:
		return KindSecp256k1
	}
	return 0
}
