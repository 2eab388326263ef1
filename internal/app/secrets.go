package app

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"mas/internal/config"
	"mas/internal/encrypt"
	"mas/internal/keys"
)

type secrets struct {
	keys      *keys.KeySet
	encrypter *encrypt.Encrypter
}

// loadSecrets reads the encryption key and parses every signing key,
// collecting every problem so an operator fixes them in one go.
func loadSecrets(cfg *config.Config, rng io.Reader) (*secrets, error) {
	var problems []error
	var out secrets

	encKey, err := cfg.Secrets.EncryptionKey()
	if err != nil {
		problems = append(problems, err)
	} else {
		out.encrypter = encrypt.New(encKey, rng)
	}

	signing, err := cfg.Secrets.SigningKeys()
	if err != nil {
		problems = append(problems, err)
	}
	specs := make([]keys.Spec, 0, len(signing))
	for _, k := range signing {
		specs = append(specs, keys.Spec{KID: k.Kid, Data: k.Key, Password: k.Password, Source: k.Source})
	}
	if err == nil {
		if len(specs) == 0 {
			problems = append(problems, errors.New("secrets: no signing keys configured (set `secrets.keys` or `secrets.keys_dir`)"))
		} else if out.keys, err = keys.NewKeySet(specs); err != nil {
			problems = append(problems, fmt.Errorf("secrets: %w", err))
		} else if !slices.Contains(out.keys.Algorithms(), "RS256") {
			// ID tokens default to RS256, which OpenID Connect requires.
			problems = append(problems, errors.New("secrets.keys: at least one RSA key is required (ID tokens are signed with RS256 by default)"))
		}
	}

	if _, err := cfg.Matrix.SecretValue(); err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return &out, nil
}

// CheckSecrets loads every secret the configuration refers to (encryption
// key, signing keys, homeserver secret, TLS certificates) without opening
// the database, for `config check`.
func CheckSecrets(cfg *config.Config) error {
	var problems []error
	if _, err := loadSecrets(cfg, nil); err != nil {
		problems = append(problems, err)
	}
	if _, err := listeners(cfg); err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}

// CheckKeyMaterial loads only the signing keys and TLS certificates: the
// checks that structural validation cannot make, run even when validation
// failed so that `config check` reports everything in one go.
func CheckKeyMaterial(cfg *config.Config) error {
	var problems []error
	if signing, err := cfg.Secrets.SigningKeys(); err != nil {
		problems = append(problems, err)
	} else {
		for _, k := range signing {
			if _, err := keys.ParsePrivateKey(keys.Spec{KID: k.Kid, Data: k.Key, Password: k.Password, Source: k.Source}); err != nil {
				problems = append(problems, fmt.Errorf("secrets: %w", err))
			}
		}
	}
	if _, err := listeners(cfg); err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}
