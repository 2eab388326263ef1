package keys

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Spec describes one configured key before it is parsed.
type Spec struct {
	// KID is the key ID to publish; empty means the RFC 7638 thumbprint.
	KID string
	// Data is the key, PEM or DER encoded.
	Data []byte
	// Password decrypts an encrypted PKCS#8 key. Empty means "no password".
	Password []byte
	// Source names where the key came from (a config path or file name) so
	// that errors point the operator at the right place.
	Source string
}

// LoadDir reads every regular file in dir, in name order, as an unencrypted
// key. Symbolic links are followed, so the layout Kubernetes uses for mounted
// secrets (files linked through a "..data" directory) works; directories are
// skipped.
func LoadDir(dir string) ([]Spec, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading keys directory: %w", err)
	}
	var specs []Spec
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		info, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("reading key file: %w", err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading key file: %w", err)
		}
		specs = append(specs, Spec{Data: data, Source: path})
	}
	return specs, nil
}

// ParsePrivateKey decodes the key described by spec. Errors name
// spec.Source.
func ParsePrivateKey(spec Spec) (*PrivateKey, error) {
	k, err := parsePrivateKey(spec)
	if err == nil {
		return k, nil
	}
	if spec.Source == "" {
		return nil, fmt.Errorf("loading key: %w", err)
	}
	return nil, fmt.Errorf("loading key from %s: %w", spec.Source, err)
}

func parsePrivateKey(spec Spec) (*PrivateKey, error) {
	raw, err := parseKeyData(spec.Data, spec.Password)
	if err != nil {
		return nil, err
	}
	return newPrivateKey(raw, spec.KID)
}

// parseKeyData returns an *rsa.PrivateKey, *ecdsa.PrivateKey or
// *secp256k1.PrivateKey.
func parseKeyData(data, password []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: empty key", ErrMalformedKey)
	}
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		return parsePEM(data, password)
	}
	return parseDER(data, password)
}

var pemKeyTypes = []string{"RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"}

func parsePEM(data, password []byte) (any, error) {
	var (
		keyBlocks []*pem.Block
		others    []string
	)
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if slices.Contains(pemKeyTypes, b.Type) {
			keyBlocks = append(keyBlocks, b)
		} else if b.Type != "EC PARAMETERS" { // written by "openssl ecparam -genkey"
			others = append(others, b.Type)
		}
	}
	switch {
	case len(keyBlocks) == 0 && len(others) == 0:
		return nil, fmt.Errorf("%w: invalid PEM data", ErrMalformedKey)
	case len(keyBlocks) == 0:
		return nil, fmt.Errorf("%w: PEM data holds no private key (found %s)", ErrUnsupportedKey, strings.Join(others, ", "))
	case len(keyBlocks) > 1:
		return nil, fmt.Errorf("%w: PEM data holds %d private keys, expected one", ErrUnsupportedKey, len(keyBlocks))
	}

	block := keyBlocks[0]
	if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, fmt.Errorf("%w: legacy OpenSSL PEM encryption is not supported, "+
			"convert the key to encrypted PKCS#8 (openssl pkcs8 -topk8)", ErrUnsupportedKey)
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" {
		return parseEncrypted(block.Bytes, password)
	}
	if len(password) > 0 {
		return nil, ErrUnexpectedPassword
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PKCS#1: %v", ErrMalformedKey, err)
		}
		return k, nil
	case "EC PRIVATE KEY":
		return parseSEC1(block.Bytes, nil)
	default: // "PRIVATE KEY"
		return parsePKCS8(block.Bytes)
	}
}

func parseDER(der, password []byte) (any, error) {
	if isEncryptedPKCS8(der) {
		return parseEncrypted(der, password)
	}
	var (
		key any
		err error
	)
	switch {
	case isPKCS8(der):
		key, err = parsePKCS8(der)
	case isSEC1(der):
		key, err = parseSEC1(der, nil)
	default:
		if key, err = x509.ParsePKCS1PrivateKey(der); err != nil {
			return nil, fmt.Errorf("%w: not a PEM document nor a DER-encoded PKCS#1, PKCS#8 or SEC1 key", ErrMalformedKey)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(password) > 0 {
		return nil, ErrUnexpectedPassword
	}
	return key, nil
}

func parseEncrypted(der, password []byte) (any, error) {
	if len(password) == 0 {
		return nil, ErrPasswordRequired
	}
	plain, err := decryptPKCS8(der, password)
	if err != nil {
		return nil, err
	}
	key, err := parsePKCS8(plain)
	if errors.Is(err, ErrMalformedKey) {
		// Bad padding is the usual sign of a wrong password, but about one
		// wrong password in 256 yields valid-looking padding and garbage.
		return nil, ErrWrongPassword
	}
	return key, err
}

// unmarshalWhole decodes exactly one DER value filling out, with nothing
// trailing.
func unmarshalWhole(der []byte, out any) bool {
	rest, err := asn1.Unmarshal(der, out)
	return err == nil && len(rest) == 0
}

func isPKCS8(der []byte) bool {
	var info pkcs8Info
	return unmarshalWhole(der, &info)
}

func isSEC1(der []byte) bool {
	var k ecPrivateKey
	return unmarshalWhole(der, &k) && k.Version == 1
}

func isEncryptedPKCS8(der []byte) bool {
	var info encryptedPrivateKeyInfo
	return unmarshalWhole(der, &info)
}
