package config

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// SecretsConfig is the `secrets` section: the encryption key and the
// signing keys.
type SecretsConfig struct {
	// Encryption is 32 bytes in hex; it encrypts cookies and database
	// fields and must never change.
	Encryption     string `yaml:"encryption,omitempty"`
	EncryptionFile string `yaml:"encryption_file,omitempty"`
	// Keys are signing keys given one by one; KeysDir names a directory
	// whose regular files are each one unencrypted key. Upstream uses both
	// when both are set.
	Keys    []KeyConfig `yaml:"keys,omitempty"`
	KeysDir string      `yaml:"keys_dir,omitempty"`
}

// KeyConfig is one signing key: PEM or DER, PKCS#1, PKCS#8 (possibly
// encrypted) or SEC1.
type KeyConfig struct {
	// Kid is the JWK key ID; empty means the RFC 7638 thumbprint.
	Kid          string `yaml:"kid,omitempty"`
	Key          string `yaml:"key,omitempty"`
	KeyFile      string `yaml:"key_file,omitempty"`
	Password     string `yaml:"password,omitempty"`
	PasswordFile string `yaml:"password_file,omitempty"`
}

// EncryptionKey returns the 32-byte encryption key from `encryption` or
// `encryption_file` (whose content may end with a newline).
func (s *SecretsConfig) EncryptionKey() ([32]byte, error) {
	var key [32]byte
	value, path := s.Encryption, "secrets.encryption"
	switch {
	case s.Encryption != "" && s.EncryptionFile != "":
		return key, pathErr("secrets", "Cannot specify both `encryption` and `encryption_file`")
	case s.EncryptionFile != "":
		path = "secrets.encryption_file"
		v, err := readSecretFile(path, s.EncryptionFile)
		if err != nil {
			return key, err
		}
		value = v
	case s.Encryption == "":
		return key, pathErr("secrets", "Missing `encryption` or `encryption_file`")
	}
	if err := decodeEncryptionKey(value, &key); err != nil {
		return key, fmt.Errorf("%s: %v", path, err)
	}
	return key, nil
}

func decodeEncryptionKey(s string, key *[32]byte) error {
	if len(s) != 64 {
		return fmt.Errorf("must be 64 hexadecimal characters (32 bytes), found %d characters", len(s))
	}
	if _, err := hex.Decode(key[:], []byte(s)); err != nil {
		return fmt.Errorf("must be 64 hexadecimal characters (32 bytes): %v", err)
	}
	return nil
}

// KeyBytes returns the key material, PEM or DER, as given. Errors name the
// setting as secrets.keys; SigningKeys adds the index.
func (k KeyConfig) KeyBytes() ([]byte, error) { return k.keyBytes("secrets.keys") }

// PasswordBytes returns the password decrypting the key, or nil.
func (k KeyConfig) PasswordBytes() ([]byte, error) { return k.passwordBytes("secrets.keys") }

func (k KeyConfig) keyBytes(path string) ([]byte, error) {
	b, err := bytesValue(path, "key", k.Key, k.KeyFile)
	if err == nil && b == nil {
		err = pathErr(path, "Missing `key` or `key_file`")
	}
	return b, err
}

func (k KeyConfig) passwordBytes(path string) ([]byte, error) {
	p, err := secretValue(path, "password", k.Password, k.PasswordFile)
	if err != nil || p == "" {
		return nil, err
	}
	return []byte(p), nil
}

// SigningKey is one signing key with its material loaded.
type SigningKey struct {
	// Kid is the configured key ID; empty means the key's thumbprint.
	Kid string
	// Key is PEM or DER.
	Key []byte
	// Password decrypts an encrypted PKCS#8 key; nil for none.
	Password []byte
	// Source names where the key came from, for error messages.
	Source string
}

// SigningKeys loads every signing key: first the files in `keys_dir`
// (sorted by name), then the `keys` entries, as upstream combines them.
func (s *SecretsConfig) SigningKeys() ([]SigningKey, error) {
	var out []SigningKey
	if s.KeysDir != "" {
		entries, err := os.ReadDir(s.KeysDir)
		if err != nil {
			return nil, fmt.Errorf("secrets.keys_dir: cannot read %q: %v", s.KeysDir, unwrapPathError(err))
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, name := range names {
			p := filepath.Join(s.KeysDir, name)
			st, err := os.Stat(p)
			if err != nil || !st.Mode().IsRegular() {
				continue
			}
			b, err := readRawFile("secrets.keys_dir", p)
			if err != nil {
				return nil, err
			}
			out = append(out, SigningKey{Key: b, Source: p})
		}
	}
	for i, k := range s.Keys {
		path := indexPath("secrets.keys", i)
		key, err := k.keyBytes(path)
		if err != nil {
			return nil, err
		}
		pw, err := k.passwordBytes(path)
		if err != nil {
			return nil, err
		}
		src := path + ".key"
		if k.KeyFile != "" {
			src = path + ".key_file (" + k.KeyFile + ")"
		}
		out = append(out, SigningKey{Kid: k.Kid, Key: key, Password: pw, Source: src})
	}
	return out, nil
}

func (s *SecretsConfig) isZero() bool {
	return s.Encryption == "" && s.EncryptionFile == "" && len(s.Keys) == 0 && s.KeysDir == ""
}

func (s *SecretsConfig) validate(v *validator) {
	const p = "secrets"
	if s.isZero() {
		v.add(p, "required section is missing (it needs at least `encryption` or `encryption_file`)")
		return
	}
	v.exactlyOne(p, "encryption", s.Encryption, s.EncryptionFile)
	var key [32]byte
	switch {
	case s.Encryption != "" && s.EncryptionFile == "":
		if err := decodeEncryptionKey(s.Encryption, &key); err != nil {
			v.add(joinPath(p, "encryption"), "%v", err)
		}
	case s.EncryptionFile != "" && s.Encryption == "" && checkReadable(s.EncryptionFile) == nil:
		// The brief content check is worth a read: a wrong key file is
		// otherwise only noticed when the first cookie fails to decrypt.
		if content, err := readSecretFile(joinPath(p, "encryption_file"), s.EncryptionFile); err == nil {
			if err := decodeEncryptionKey(content, &key); err != nil {
				v.add(joinPath(p, "encryption_file"), "content of %q %v", s.EncryptionFile, err)
			}
		}
	}
	v.readableDir(joinPath(p, "keys_dir"), s.KeysDir)
	kids := map[string]int{}
	for i, k := range s.Keys {
		kp := indexPath(joinPath(p, "keys"), i)
		v.exactlyOne(kp, "key", k.Key, k.KeyFile)
		v.atMostOne(kp, "password", k.Password, k.PasswordFile)
		if k.Kid != "" {
			if first, dup := kids[k.Kid]; dup {
				v.add(joinPath(kp, "kid"), "duplicate key ID %q (also used by secrets.keys[%d])", k.Kid, first)
			} else {
				kids[k.Kid] = i
			}
		}
	}
}
