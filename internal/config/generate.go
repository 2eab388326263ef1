package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"slices"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/goccy/go-yaml"
)

// Generate returns a complete configuration for a fresh installation: a new
// encryption key, one signing key of each type upstream generates (RSA 2048,
// P-256, P-384, secp256k1) with random key IDs, a random Matrix secret and
// an SQLite database in the working directory, and only loopback as a
// trusted proxy (see GeneratedTrustedProxies). Everything else is default.
//
// Randomness comes from rng, except that since Go 1.26 the standard
// library's RSA and ECDSA key generation ignore the reader they are given
// and always use the system's secure source.
func Generate(rng io.Reader) (*Config, error) {
	c := Default()

	var enc [32]byte
	if _, err := io.ReadFull(rng, enc[:]); err != nil {
		return nil, fmt.Errorf("generating the encryption key: %w", err)
	}
	c.Secrets.Encryption = hex.EncodeToString(enc[:])

	generators := []struct {
		name string
		gen  func(io.Reader) ([]byte, error)
	}{
		{"RSA", generateRSA},
		{"EC P-256", func(r io.Reader) ([]byte, error) { return generateEC(r, elliptic.P256()) }},
		{"EC P-384", func(r io.Reader) ([]byte, error) { return generateEC(r, elliptic.P384()) }},
		{"EC secp256k1", generateSecp256k1},
	}
	for _, g := range generators {
		key, err := g.gen(rng)
		if err != nil {
			return nil, fmt.Errorf("generating the %s signing key: %w", g.name, err)
		}
		kid, err := randomAlphanumeric(rng, 10)
		if err != nil {
			return nil, fmt.Errorf("generating a key ID: %w", err)
		}
		c.Secrets.Keys = append(c.Secrets.Keys, KeyConfig{Kid: kid, Key: string(key)})
	}

	secret, err := randomAlphanumeric(rng, 32)
	if err != nil {
		return nil, fmt.Errorf("generating the Matrix secret: %w", err)
	}
	c.Matrix.Secret = secret
	c.Database.URI = "sqlite:mas.db"
	c.HTTP.TrustedProxies = append([]string(nil), GeneratedTrustedProxies...)
	return c, nil
}

// trustedProxiesHelp explains the generated trusted_proxies list where an
// operator will look for it: in the file, above the key. Each line starts
// with a space so that it reads "# text".
var trustedProxiesHelp = []string{
	" Addresses allowed to report the client's address in X-Forwarded-For.",
	" Loopback only: right for a reverse proxy on this machine. If the proxy",
	" runs elsewhere, add its exact address (e.g. 10.0.0.5/32), never its whole",
	" network: every host in a listed range can choose the client address it",
	" reports, and so escape the per-IP rate limits.",
}

// yamlComments are the comments Marshal adds. The trusted_proxies note is
// tied to the list's value rather than to Generate having been called, so
// that a generated configuration keeps round-tripping to an equal Config.
func (c *Config) yamlComments() yaml.CommentMap {
	if !slices.Equal(c.HTTP.TrustedProxies, GeneratedTrustedProxies) {
		return nil
	}
	return yaml.CommentMap{"$.http.trusted_proxies": {yaml.HeadComment(trustedProxiesHelp...)}}
}

func generateRSA(rng io.Reader) ([]byte, error) {
	k, err := rsa.GenerateKey(rng, 2048)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), nil
}

func generateEC(rng io.Reader, curve elliptic.Curve) ([]byte, error) {
	k, err := ecdsa.GenerateKey(curve, rng)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// oidSecp256k1 is the named-curve OID of secp256k1 (SEC 2).
var oidSecp256k1 = asn1.ObjectIdentifier{1, 3, 132, 0, 10}

// sec1PrivateKey is the ECPrivateKey structure of RFC 5915 (SEC 1). The
// standard library only writes it for the NIST curves, so we encode the
// secp256k1 key ourselves.
type sec1PrivateKey struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

func generateSecp256k1(rng io.Reader) ([]byte, error) {
	k, err := secp256k1.GeneratePrivateKeyFromRand(rng)
	if err != nil {
		return nil, err
	}
	pub := k.PubKey().SerializeUncompressed()
	der, err := asn1.Marshal(sec1PrivateKey{
		Version:       1,
		PrivateKey:    k.Serialize(),
		NamedCurveOID: oidSecp256k1,
		PublicKey:     asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)},
	})
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlphanumeric draws n characters uniformly, rejecting bytes that
// would bias the result towards the start of the alphabet.
func randomAlphanumeric(rng io.Reader, n int) (string, error) {
	const limit = 256 - 256%len(alphanumerics)
	out := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(out) < n {
		if _, err := io.ReadFull(rng, buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphanumerics[int(b)%len(alphanumerics)])
			}
		}
	}
	return string(out), nil
}
