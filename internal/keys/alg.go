package keys

import (
	"crypto"
	_ "crypto/sha256" // registers SHA-256 for crypto.Hash.New
	_ "crypto/sha512" // registers SHA-384 and SHA-512
)

// family groups algorithms that share a key type and a signature scheme.
type family int

const (
	familyRSA   family = iota + 1 // RSASSA-PKCS1-v1_5
	familyPSS                     // RSASSA-PSS
	familyECDSA                   // ECDSA on a NIST curve
	familyK256                    // ECDSA on secp256k1
	familyHMAC
)

type algorithm struct {
	name   string
	family family
	hash   crypto.Hash
	kind   Kind // key kind for EC algorithms, whose curve is fixed by the name
}

// asymmetricOrder is the order in which algorithms are advertised.
var asymmetricOrder = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES256K"}

var hmacOrder = []string{"HS256", "HS384", "HS512"}

var algorithms = map[string]algorithm{
	"RS256":  {"RS256", familyRSA, crypto.SHA256, KindRSA},
	"RS384":  {"RS384", familyRSA, crypto.SHA384, KindRSA},
	"RS512":  {"RS512", familyRSA, crypto.SHA512, KindRSA},
	"PS256":  {"PS256", familyPSS, crypto.SHA256, KindRSA},
	"PS384":  {"PS384", familyPSS, crypto.SHA384, KindRSA},
	"PS512":  {"PS512", familyPSS, crypto.SHA512, KindRSA},
	"ES256":  {"ES256", familyECDSA, crypto.SHA256, KindP256},
	"ES384":  {"ES384", familyECDSA, crypto.SHA384, KindP384},
	"ES256K": {"ES256K", familyK256, crypto.SHA256, KindSecp256k1},
	"HS256":  {"HS256", familyHMAC, crypto.SHA256, 0},
	"HS384":  {"HS384", familyHMAC, crypto.SHA384, 0},
	"HS512":  {"HS512", familyHMAC, crypto.SHA512, 0},
}

func (a algorithm) digest(data []byte) []byte {
	h := a.hash.New()
	h.Write(data)
	return h.Sum(nil)
}

// algorithmsFor lists the algorithms a key of the given kind can sign with.
func algorithmsFor(k Kind) []string {
	var out []string
	for _, name := range asymmetricOrder {
		if algorithms[name].kind == k {
			out = append(out, name)
		}
	}
	return out
}

// allowedSet resolves a caller's allow-list against the algorithms valid for
// one kind of verification (asymmetric or HMAC). An empty allow-list means
// "every algorithm of that kind"; names outside that kind, "none" included,
// are never allowed, so a caller cannot accidentally let an HMAC token be
// verified with a public key or the other way round.
func allowedSet(allowed []string, valid []string) map[string]bool {
	set := make(map[string]bool, len(valid))
	for _, v := range valid {
		if len(allowed) == 0 {
			set[v] = true
			continue
		}
		for _, a := range allowed {
			if a == v {
				set[v] = true
			}
		}
	}
	return set
}
