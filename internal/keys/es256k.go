package keys

import (
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// ES256K (RFC 8812) is ECDSA over secp256k1 with SHA-256, the signature
// being R || S as two 32-byte big-endian integers like the other ES
// algorithms. Neither the standard library nor go-jose has the curve, so the
// arithmetic comes from decred's secp256k1 package.

// signES256K produces R || S, 32 bytes each. The decred signer is
// deterministic (RFC 6979) and always returns the low-S form, which some
// verifiers (Bitcoin-derived ones) insist on.
func signES256K(k *secp256k1.PrivateKey, digest []byte) []byte {
	sig := k1ecdsa.Sign(k, digest)
	r, s := sig.R(), sig.S()
	out := make([]byte, 64)
	r.PutBytesUnchecked(out[:32])
	s.PutBytesUnchecked(out[32:])
	return out
}

// verifyES256K accepts both low- and high-S signatures, as RFC 8812 does not
// require the low form.
func verifyES256K(k *secp256k1.PublicKey, digest, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	var r, s secp256k1.ModNScalar
	if r.SetByteSlice(sig[:32]) || s.SetByteSlice(sig[32:]) {
		return false // a value ≥ the group order is not a valid signature
	}
	return k1ecdsa.NewSignature(&r, &s).Verify(digest, k)
}
