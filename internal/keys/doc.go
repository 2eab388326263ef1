// Package keys loads the service's signing keys, publishes them as a JWK Set,
// and signs and verifies compact JWS/JWT tokens.
//
// Supported key types are the ones the upstream service accepts: RSA, and EC
// keys on P-256, P-384 and secp256k1, in PKCS#1, PKCS#8 (optionally
// password-encrypted with PBES2) or SEC1 form, PEM or DER encoded.
//
// JWS handling is implemented here on top of the standard library rather than
// through a JOSE library: secp256k1 (ES256K) is not supported by go-jose, and
// a single code path for every algorithm keeps the rules (which algorithm may
// be used with which key, what "allowed" means) in one place. Interoperability
// with go-jose is covered by the tests.
package keys
