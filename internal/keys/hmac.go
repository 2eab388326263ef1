package keys

import (
	"errors"
	"fmt"
)

var errEmptySecret = errors.New("empty HMAC secret")

// SignHMAC signs claims with a shared secret, as a client_secret_jwt client
// assertion is signed. alg is HS256, HS384 or HS512.
func SignHMAC(alg string, secret []byte, claims any) (string, error) {
	a, ok := algorithms[alg]
	if !ok || a.family != familyHMAC {
		return "", fmt.Errorf("%w: %q is not an HMAC algorithm", ErrAlgNotAllowed, alg)
	}
	if len(secret) == 0 {
		return "", errEmptySecret
	}
	return encodeCompact(Header{Alg: alg, Typ: "JWT"}, claims, func(input []byte) ([]byte, error) {
		return signWith(a, secret, input)
	})
}

// VerifyHMAC checks a token signed with a shared secret (client_secret_jwt)
// and returns its payload. allowedAlgs restricts the accepted algorithms;
// empty means HS256, HS384 and HS512. Asymmetric algorithms and "none" are
// never accepted here.
func VerifyHMAC(token string, secret []byte, allowedAlgs []string) ([]byte, Header, error) {
	jws, err := parseCompact(token)
	if err != nil {
		return nil, Header{}, err
	}
	alg, err := resolveAlg(jws.header.Alg, allowedSet(allowedAlgs, hmacOrder))
	if err != nil {
		return nil, jws.header, err
	}
	if len(secret) == 0 {
		return nil, jws.header, errEmptySecret
	}
	if !verifySignature(alg, secret, []byte(jws.signingInput), jws.signature) {
		return nil, jws.header, ErrInvalidSignature
	}
	return jws.payload, jws.header, nil
}
