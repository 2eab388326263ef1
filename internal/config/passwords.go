package config

// PasswordsConfig is the `passwords` section.
type PasswordsConfig struct {
	Enabled bool `yaml:"enabled"`
	// Schemes are the hashing schemes; the highest version hashes new
	// passwords and the others verify (and upgrade) existing hashes.
	Schemes []HashingScheme `yaml:"schemes"`
	// MinimumComplexity is the lowest zxcvbn score (0 to 4) accepted.
	MinimumComplexity uint8 `yaml:"minimum_complexity"`
}

// HashingScheme is one entry of `passwords.schemes`.
type HashingScheme struct {
	Version   uint16            `yaml:"version" required:"true"`
	Algorithm PasswordAlgorithm `yaml:"algorithm" required:"true"`
	// UnicodeNormalization applies NFKC before hashing, as Synapse does.
	UnicodeNormalization bool `yaml:"unicode_normalization,omitempty"`
	// Cost is the bcrypt cost; nil means DefaultBcryptCost.
	Cost *uint32 `yaml:"cost,omitempty"`
	// Secret is a pepper mixed into the hash.
	Secret     string `yaml:"secret,omitempty"`
	SecretFile string `yaml:"secret_file,omitempty"`
}

// PasswordAlgorithm is a password hashing algorithm.
type PasswordAlgorithm string

const (
	AlgorithmArgon2id PasswordAlgorithm = "argon2id"
	AlgorithmBcrypt   PasswordAlgorithm = "bcrypt"
	AlgorithmPBKDF2   PasswordAlgorithm = "pbkdf2"
)

func (PasswordAlgorithm) enumValues() []string { return []string{"bcrypt", "argon2id", "pbkdf2"} }

// DefaultBcryptCost is used when a bcrypt scheme sets no cost.
const DefaultBcryptCost = 12

func (p *PasswordsConfig) setDefaults() {
	*p = PasswordsConfig{
		Enabled:           true,
		Schemes:           []HashingScheme{{Version: 1, Algorithm: AlgorithmArgon2id}},
		MinimumComplexity: 3,
	}
}

// BcryptCost returns the bcrypt cost of the scheme.
func (h HashingScheme) BcryptCost() int {
	if h.Cost == nil {
		return DefaultBcryptCost
	}
	return int(*h.Cost)
}

// Pepper returns the scheme's secret, or nil. A secret file is used byte for
// byte (no trimming), exactly like upstream, so existing hashes verify.
func (h HashingScheme) Pepper() ([]byte, error) {
	return bytesValue("passwords.schemes", "secret", h.Secret, h.SecretFile)
}

func (p *PasswordsConfig) validate(v *validator) {
	const path = "passwords"
	if p.Enabled && len(p.Schemes) == 0 {
		v.add(joinPath(path, "schemes"), "Requires at least one password scheme in the config")
	}
	seen := map[uint16]int{}
	for i, s := range p.Schemes {
		sp := indexPath(joinPath(path, "schemes"), i)
		if first, dup := seen[s.Version]; dup {
			v.add(joinPath(sp, "version"), "Multiple password schemes have the same versions (%d, also used by passwords.schemes[%d])", s.Version, first)
		} else {
			seen[s.Version] = i
		}
		if s.Algorithm == "" {
			v.add(joinPath(sp, "algorithm"), "required")
		}
		if s.Cost != nil && s.Algorithm == AlgorithmBcrypt && (*s.Cost < 4 || *s.Cost > 31) {
			v.add(joinPath(sp, "cost"), "bcrypt cost must be between 4 and 31 (found %d)", *s.Cost)
		}
		v.atMostOne(sp, "secret", s.Secret, s.SecretFile)
	}
}
