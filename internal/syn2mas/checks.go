package syn2mas

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/syn2mas/synapseconfig"
	"mas/internal/syn2mas/synapsedb"
)

// Settings are what the migration needs from this service's configuration
// (the CLI fills them; this package does not read the configuration).
type Settings struct {
	// ServerName is matrix.homeserver.
	ServerName string
	// Schemes are passwords.schemes.
	Schemes []PasswordScheme
	// Providers are the upstream providers that name a synapse_idp_id.
	Providers []Provider
	// TOSURI is branding.tos_uri; CaptchaService is captcha.service.
	TOSURI, CaptchaService string
}

// PasswordScheme is one of passwords.schemes.
type PasswordScheme struct {
	Version   int
	Algorithm string
	// Secret is the pepper; nil for none.
	Secret []byte
}

// Provider maps Synapse's idp ID (the auth_provider of user_external_ids)
// to an upstream provider of this service.
type Provider struct {
	ID           domain.ID
	SynapseIdpID string
}

// migratedPasswordVersion is the scheme version imported hashes get.
const migratedPasswordVersion = 1

// Problems are what the checks found: errors block the migration,
// warnings are for the operator to read.
type Problems struct {
	Errors, Warnings []string
}

func (p *Problems) errorf(format string, args ...any) {
	p.Errors = append(p.Errors, fmt.Sprintf(format, args...))
}

func (p *Problems) warnf(format string, args ...any) {
	p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
}

// Add appends q's problems to p.
func (p *Problems) Add(q Problems) {
	p.Errors = append(p.Errors, q.Errors...)
	p.Warnings = append(p.Warnings, q.Warnings...)
}

// The texts are upstream's, word for word: operators search for them.

// CheckSynapseConfig looks at Synapse's configuration alone.
func CheckSynapseConfig(syn *synapseconfig.Config) Problems {
	var p Problems
	if syn.EnableRegistration {
		p.warnf("Synapse config has registration enabled. This must be disabled after migration before bringing Synapse back online.")
	}
	if syn.UserConsent {
		p.warnf("Synapse config has `user_consent` enabled. This should be disabled after migration.")
	}
	external := func(name string) {
		p.warnf("Synapse config contains %s auth configuration which will need to be manually mapped as an upstream OAuth 2.0 provider during migration.", name)
	}
	if syn.CASEnabled {
		external("CAS")
	}
	if syn.SAML2 {
		external("SAML2")
	}
	if syn.JWTEnabled {
		external("JWT")
	}
	if syn.Password.Enabled && !syn.Password.LocalDBEnabled {
		external("non-standard password provider plugin")
	}
	if syn.Enable3PIDChanges != nil && *syn.Enable3PIDChanges {
		p.errorf("Synapse config has `enable_3pid_changes` explicitly enabled, which must be disabled or removed.")
	}
	if syn.LoginViaExistingSessionEnabled {
		p.errorf("Synapse config has `login_via_existing_session.enabled` set to true, which must be disabled.")
	}
	return p
}

// CheckAgainstSettings compares Synapse's configuration with ours.
func CheckAgainstSettings(syn *synapseconfig.Config, s Settings) Problems {
	var p Problems
	i := slices.IndexFunc(s.Schemes, func(sc PasswordScheme) bool { return sc.Version == migratedPasswordVersion })
	if i < 0 {
		p.errorf("MAS config is missing a password hashing scheme with version '1'")
	} else {
		sc := s.Schemes[i]
		if sc.Algorithm != "bcrypt" {
			p.errorf("Password scheme version '1' in the MAS config must use the Bcrypt algorithm, so that Synapse passwords can be imported and will be compatible.")
		}
		// An empty pepper hashes like none (upstream tells them apart, so
		// a generated configuration, which writes no secret for it, would
		// fail its own check).
		if !bytes.Equal(sc.Secret, []byte(syn.Password.Pepper)) {
			p.errorf("Password scheme version '1' in the MAS config must have the same secret as the `pepper` value from Synapse, so that Synapse passwords can be imported and will be compatible.")
		}
	}
	if syn.AllowGuestAccess {
		p.errorf("Guest support is enabled in the Synapse configuration. Guests aren't supported by MAS, but if you don't have any then you could disable the option. See https://github.com/element-hq/matrix-authentication-service/issues/1445")
	}
	if syn.ServerName != s.ServerName {
		p.errorf("MAS configuration has the wrong `matrix.homeserver` set (%q), it should match Synapse's `server_name` (%q)", s.ServerName, syn.ServerName)
	}
	if syn.EnableRegistrationCaptcha && s.CaptchaService == "" {
		p.warnf("Synapse config has a registration CAPTCHA enabled, but no CAPTCHA has been configured in MAS. You may wish to manually configure this.")
	}
	if syn.UserConsent && s.TOSURI == "" {
		p.warnf("Synapse config has `user_consent` enabled but MAS has not been configured with terms of service. You may wish to set up a `tos_uri` in your MAS branding configuration to replace the user consent.")
	}
	return p
}

// CheckSynapseDatabase looks at the rows: guests, phone numbers and the
// external IDs of each provider, which must be configured on both sides.
// With ignoreMissingProviders, a provider Synapse no longer has is a
// warning (its links are skipped) instead of an error.
func CheckSynapseDatabase(ctx context.Context, src synapsedb.Source, syn *synapseconfig.Config, s Settings, ignoreMissingProviders bool) (Problems, error) {
	var p Problems
	guests, err := src.CountGuests(ctx)
	if err != nil {
		return p, err
	}
	if guests > 0 {
		p.warnf("Synapse database contains %d guests which will be migrated are not supported by MAS. See https://github.com/element-hq/matrix-authentication-service/issues/1445", guests)
	}
	phones, err := src.CountNonEmailThreepids(ctx)
	if err != nil {
		return p, err
	}
	if phones > 0 {
		p.warnf("Synapse database contains %d non-email 3PIDs (probably phone numbers), which will be migrated but are not supported by MAS.", phones)
	}
	counts, err := src.ExternalIDProviders(ctx)
	if err != nil {
		return p, err
	}
	for _, row := range counts {
		if row.AuthProvider == "oauth-delegated" {
			p.errorf("Synapse database has %d mapping entries from a previously-configured MAS instance. If this is from a previous migration attempt, run the following SQL query against the Synapse database: `DELETE FROM user_external_ids WHERE auth_provider = 'oauth-delegated';` and then run the migration again.", row.Users)
			continue
		}
		i := slices.IndexFunc(syn.OIDCProviders, func(o synapseconfig.OIDCProvider) bool { return o.IdpID == row.AuthProvider })
		if i < 0 {
			msg := fmt.Sprintf("Synapse database contains %d users associated to the OpenID Connect or OAuth2 provider '%s' but the Synapse configuration does not contain this provider.", row.Users, row.AuthProvider)
			if ignoreMissingProviders {
				p.Warnings = append(p.Warnings, msg)
			} else {
				p.Errors = append(p.Errors, msg)
			}
			continue
		}
		if !slices.ContainsFunc(s.Providers, func(pr Provider) bool { return pr.SynapseIdpID == row.AuthProvider }) {
			issuer := syn.OIDCProviders[i].Issuer
			if issuer == "" {
				issuer = "<unspecified>"
			}
			p.errorf("Synapse config contains an OpenID Connect or OAuth2 provider '%s' (issuer: %q) used by %d users which must also be configured in the MAS configuration as an upstream provider.", row.AuthProvider, issuer, row.Users)
		}
	}
	return p, nil
}

// destinationTables are the tables the migration fills, which must be
// empty (the providers and static clients config sync writes may exist).
var destinationTables = []string{
	"users", "user_passwords", "user_emails", "user_unsupported_third_party_ids", "upstream_oauth_links",
	"compat_sessions", "compat_access_tokens", "compat_refresh_tokens",
}

// CheckDestination returns upstream's error when our database already
// holds accounts or sessions.
func CheckDestination(ctx context.Context, b store.Bulk) error {
	t, err := b.FirstNonEmpty(ctx, destinationTables)
	if err != nil {
		return fmt.Errorf("checking that the MAS database is empty: %w", err)
	}
	if t != "" {
		return &NotEmptyError{Table: t}
	}
	return nil
}

// NotEmptyError is the refusal of a destination that holds data, in
// upstream's words (import-upstream's too).
type NotEmptyError struct{ Table string }

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("The MAS database is not empty: rows found in at least `%s`. Please drop and recreate the database, then try again.", e.Table)
}
