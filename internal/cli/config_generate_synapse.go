package cli

import (
	"slices"

	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/syn2mas/synapseconfig"
)

// adjustForSynapse fits a generated configuration to the homeserver being
// migrated, as upstream's adjust_mas_config does: the matrix section, the
// password schemes that verify Synapse's hashes, account and CAPTCHA
// settings, and one upstream provider per Synapse OIDC provider (with its
// synapse_idp_id, which syn2mas maps external IDs through). It returns
// what could not be carried over, for the operator.
func adjustForSynapse(cfg *config.Config, s *synapseconfig.Config, ids *domain.IDGenerator) (warnings []string) {
	cfg.Matrix.Homeserver = s.ServerName
	if s.PublicBaseURL != "" {
		cfg.Matrix.Endpoint = s.PublicBaseURL
	}

	// Scheme 1 verifies the imported hashes: bcrypt over NFKC(password) ‖
	// pepper, as Synapse hashes. Scheme 2, the default algorithm, hashes
	// new passwords, and each user's hash moves to it at their next
	// login. Both are written even when Synapse has passwords disabled
	// (upstream then keeps the default scheme), so that syn2mas's check
	// of scheme 1 still passes and old hashes stay usable if passwords
	// are turned on later.
	rounds := uint32(s.BcryptRounds)
	cfg.Passwords.Enabled = s.Password.Enabled
	cfg.Passwords.Schemes = []config.HashingScheme{
		{Version: 1, Algorithm: config.AlgorithmBcrypt, Cost: &rounds, Secret: s.Password.Pepper, UnicodeNormalization: true},
		{Version: 2, Algorithm: config.AlgorithmArgon2id},
	}
	if s.Password.OnlyForReauth {
		warnings = append(warnings, "password_config.enabled is only_for_reauth: passwords are disabled in the generated configuration")
	}

	if s.Enable3PIDChanges != nil {
		cfg.Account.EmailChangeAllowed = *s.Enable3PIDChanges
	}
	cfg.Account.DisplaynameChangeAllowed = s.EnableSetDisplayName
	if s.Password.Enabled {
		cfg.Account.PasswordRegistrationEnabled = s.EnableRegistration
		// Beyond upstream: Synapse's own registration requirements.
		cfg.Account.PasswordRegistrationEmailRequired = slices.Contains(s.RegistrationsRequire3PID, "email")
		cfg.Account.PasswordRegistrationTokenRequired = s.RegistrationRequiresToken
	}

	if s.EnableRegistrationCaptcha {
		if s.RecaptchaPublicKey != "" && s.RecaptchaPrivateKey != "" {
			cfg.Captcha = config.CaptchaConfig{
				Service:   config.CaptchaRecaptchaV2,
				SiteKey:   s.RecaptchaPublicKey,
				SecretKey: s.RecaptchaPrivateKey,
			}
		} else {
			warnings = append(warnings, "enable_registration_captcha is set without recaptcha_public_key and recaptcha_private_key: no CAPTCHA configured")
		}
	}

	for i := range s.OIDCProviders {
		p, w, ok := upstreamProvider(&s.OIDCProviders[i], ids)
		warnings = append(warnings, w...)
		if ok {
			cfg.UpstreamOAuth2.Providers = append(cfg.UpstreamOAuth2.Providers, p)
		}
	}
	return warnings
}
