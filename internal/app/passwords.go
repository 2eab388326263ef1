package app

import (
	"fmt"
	"io"

	"mas/internal/config"
	"mas/internal/passwords"
)

// passwordManager builds the hashing schemes; nil when passwords are
// disabled (passwords.enabled: false).
func passwordManager(cfg *config.Config, rng io.Reader) (*passwords.Manager, error) {
	if !cfg.Passwords.Enabled {
		return nil, nil
	}
	schemes := make([]passwords.Scheme, 0, len(cfg.Passwords.Schemes))
	for i, s := range cfg.Passwords.Schemes {
		pepper, err := s.Pepper()
		if err != nil {
			return nil, fmt.Errorf("passwords.schemes[%d]: %w", i, err)
		}
		scheme := passwords.Scheme{
			Version:              int(s.Version),
			Algorithm:            string(s.Algorithm),
			UnicodeNormalization: s.UnicodeNormalization,
			Secret:               pepper,
		}
		if s.Algorithm == config.AlgorithmBcrypt {
			scheme.Cost = s.BcryptCost()
		}
		schemes = append(schemes, scheme)
	}
	m, err := passwords.New(schemes, passwords.Options{
		Rand:              rng,
		MinimumComplexity: int(cfg.Passwords.MinimumComplexity),
	})
	if err != nil {
		return nil, fmt.Errorf("passwords: %w", err)
	}
	return m, nil
}
