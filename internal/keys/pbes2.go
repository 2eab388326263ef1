package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"hash"

	"golang.org/x/crypto/scrypt"
)

// Encrypted PKCS#8 (RFC 5208 §6) with the PBES2 scheme of PKCS#5 v2.1
// (RFC 8018), which is what "openssl pkcs8 -topk8" writes. Keys derived with
// PBKDF2 or scrypt (RFC 7914) and encrypted with AES-CBC are supported; older
// PBES1 and PKCS#12 schemes, and DES-based ciphers, are rejected by name.

type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Cipher pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

type scryptParams struct {
	Salt      []byte
	N         int
	R         int
	P         int
	KeyLength int `asn1:"optional"`
}

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
)

var pbkdf2PRFs = map[string]func() hash.Hash{
	"1.2.840.113549.2.7":  sha1.New, // the default when the PRF is omitted
	"1.2.840.113549.2.8":  sha256.New224,
	"1.2.840.113549.2.9":  sha256.New,
	"1.2.840.113549.2.10": sha512.New384,
	"1.2.840.113549.2.11": sha512.New,
}

// AES-CBC key sizes by cipher OID.
var aesCBCKeySizes = map[string]int{
	"2.16.840.1.101.3.4.1.2":  16,
	"2.16.840.1.101.3.4.1.22": 24,
	"2.16.840.1.101.3.4.1.42": 32,
}

var unsupportedSchemeNames = map[string]string{
	"1.2.840.113549.1.5.3":    "PBES1 (MD5, DES)",
	"1.2.840.113549.1.5.10":   "PBES1 (SHA-1, DES)",
	"1.2.840.113549.1.12.1.3": "PKCS#12 (SHA-1, 3DES)",
	"1.2.840.113549.1.12.1.6": "PKCS#12 (SHA-1, RC2)",
	"1.2.840.113549.3.7":      "DES-EDE3-CBC",
	"1.3.14.3.2.7":            "DES-CBC",
}

// Bounds on attacker-free but possibly mistyped parameters, so that a bad
// key file fails fast instead of hanging startup or exhausting memory.
const (
	maxPBKDF2Iterations  = 10_000_000
	maxScryptMemory      = 256 << 20 // bytes; 128·N·r
	maxScryptParallelism = 64
)

func nameOf(oid asn1.ObjectIdentifier) string {
	if n, ok := unsupportedSchemeNames[oid.String()]; ok {
		return n
	}
	return oid.String()
}

// decryptPKCS8 returns the DER PrivateKeyInfo inside an
// EncryptedPrivateKeyInfo.
func decryptPKCS8(der, password []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if !unmarshalWhole(der, &info) {
		return nil, fmt.Errorf("%w: invalid encrypted PKCS#8 structure", ErrMalformedKey)
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("%w: key encryption scheme %s, only PBES2 is supported (openssl pkcs8 -topk8 -v2 aes-256-cbc)",
			ErrUnsupportedKey, nameOf(info.Algorithm.Algorithm))
	}
	var params pbes2Params
	if !unmarshalWhole(info.Algorithm.Parameters.FullBytes, &params) {
		return nil, fmt.Errorf("%w: invalid PBES2 parameters", ErrMalformedKey)
	}

	keySize, ok := aesCBCKeySizes[params.Cipher.Algorithm.String()]
	if !ok {
		return nil, fmt.Errorf("%w: key encryption cipher %s, only AES-CBC is supported",
			ErrUnsupportedKey, nameOf(params.Cipher.Algorithm))
	}
	var iv []byte
	if !unmarshalWhole(params.Cipher.Parameters.FullBytes, &iv) || len(iv) != aes.BlockSize {
		return nil, fmt.Errorf("%w: invalid AES-CBC initialisation vector", ErrMalformedKey)
	}

	key, err := deriveKey(params.KDF, password, keySize)
	if err != nil {
		return nil, err
	}

	if len(info.Data) == 0 || len(info.Data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: encrypted data is not a whole number of AES blocks", ErrMalformedKey)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)
	return unpad(plain)
}

func deriveKey(kdf pkix.AlgorithmIdentifier, password []byte, keySize int) ([]byte, error) {
	switch {
	case kdf.Algorithm.Equal(oidPBKDF2):
		var p pbkdf2Params
		if !unmarshalWhole(kdf.Parameters.FullBytes, &p) {
			return nil, fmt.Errorf("%w: invalid PBKDF2 parameters", ErrMalformedKey)
		}
		if p.KeyLength != 0 && p.KeyLength != keySize {
			return nil, fmt.Errorf("%w: PBKDF2 key length %d does not fit the cipher", ErrMalformedKey, p.KeyLength)
		}
		if p.Iterations < 1 || p.Iterations > maxPBKDF2Iterations {
			return nil, fmt.Errorf("%w: PBKDF2 iteration count %d out of range", ErrUnsupportedKey, p.Iterations)
		}
		prf := "1.2.840.113549.2.7"
		if len(p.PRF.Algorithm) > 0 {
			prf = p.PRF.Algorithm.String()
		}
		h, ok := pbkdf2PRFs[prf]
		if !ok {
			return nil, fmt.Errorf("%w: PBKDF2 pseudo-random function %s", ErrUnsupportedKey, prf)
		}
		key, err := pbkdf2.Key(h, string(password), p.Salt, p.Iterations, keySize)
		if err != nil {
			return nil, fmt.Errorf("%w: PBKDF2: %v", ErrUnsupportedKey, err)
		}
		return key, nil

	case kdf.Algorithm.Equal(oidScrypt):
		var p scryptParams
		if !unmarshalWhole(kdf.Parameters.FullBytes, &p) {
			return nil, fmt.Errorf("%w: invalid scrypt parameters", ErrMalformedKey)
		}
		if p.KeyLength != 0 && p.KeyLength != keySize {
			return nil, fmt.Errorf("%w: scrypt key length %d does not fit the cipher", ErrMalformedKey, p.KeyLength)
		}
		if p.N < 2 || p.R < 1 || p.P < 1 || p.P > maxScryptParallelism || p.N > maxScryptMemory/128/p.R {
			return nil, fmt.Errorf("%w: scrypt parameters N=%d r=%d p=%d out of range", ErrUnsupportedKey, p.N, p.R, p.P)
		}
		key, err := scrypt.Key(password, p.Salt, p.N, p.R, p.P, keySize)
		if err != nil {
			return nil, fmt.Errorf("%w: scrypt: %v", ErrUnsupportedKey, err)
		}
		return key, nil
	}
	return nil, fmt.Errorf("%w: key derivation function %s, only PBKDF2 and scrypt are supported",
		ErrUnsupportedKey, nameOf(kdf.Algorithm))
}

// unpad strips PKCS#7 padding. Invalid padding after decryption almost
// always means the password was wrong.
func unpad(b []byte) ([]byte, error) {
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize || n > len(b) {
		return nil, ErrWrongPassword
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, ErrWrongPassword
		}
	}
	return b[:len(b)-n], nil
}
