// Package synapseconfig reads what syn2mas and `config generate
// --synapse-config` need from Synapse's homeserver.yaml: one or more files,
// merged as upstream's syn2mas merges them (see Load), each key read with
// Synapse's default when absent.
package synapseconfig

// Config is the part of a Synapse configuration the migration looks at.
type Config struct {
	ServerName string
	// PublicBaseURL is public_baseurl, ending in "/" as Synapse makes it
	// ("" when unset).
	PublicBaseURL string
	Database      Database
	Password      PasswordConfig
	// BcryptRounds is bcrypt_rounds (default 12).
	BcryptRounds int
	// EnableSetDisplayName is enable_set_display_name (default true).
	EnableSetDisplayName bool
	// RegistrationRequiresToken is registration_requires_token.
	RegistrationRequiresToken bool
	// RegistrationsRequire3PID is registrations_require_3pid (e.g. ["email"]).
	RegistrationsRequire3PID []string
	// RecaptchaPublicKey and RecaptchaPrivateKey are the reCAPTCHA keys of
	// enable_registration_captcha.
	RecaptchaPublicKey, RecaptchaPrivateKey string

	AllowGuestAccess bool
	// Enable3PIDChanges is enable_3pid_changes; nil when not set (only an
	// explicit true is a problem).
	Enable3PIDChanges              *bool
	LoginViaExistingSessionEnabled bool // login_via_existing_session.enabled
	EnableRegistration             bool
	EnableRegistrationCaptcha      bool
	// UserConsent is set when the user_consent section is present.
	UserConsent bool
	CASEnabled  bool // cas_config present (and enabled unless enabled: false), as Synapse reads it
	SAML2       bool // saml2_config present (and enabled unless enabled: false)
	JWTEnabled  bool // jwt_config.enabled

	// OIDCProviders are oidc_providers[] and the legacy oidc_config, each
	// with the idp ID as Synapse writes it in user_external_ids.
	OIDCProviders []OIDCProvider
}

// Database is the database section.
type Database struct {
	// Name is database.name: "psycopg2" or "sqlite3" (others are refused
	// by Source).
	Name string
	// Args is database.args as written.
	Args map[string]any
}

// PasswordConfig is password_config.
type PasswordConfig struct {
	Enabled        bool // default true; false for "only_for_reauth"
	LocalDBEnabled bool // localdb_enabled, default true
	// OnlyForReauth is enabled: only_for_reauth (passwords kept for
	// re-authentication, not for login).
	OnlyForReauth bool
	// Pepper is password_config.pepper; HasPepper distinguishes an empty
	// pepper from none.
	Pepper    string
	HasPepper bool
}

// OIDCProvider is one of Synapse's OpenID Connect providers.
type OIDCProvider struct {
	// IdpID is the auth_provider value of user_external_ids: "oidc" for
	// an idp_id of "oidc" or none (so for the legacy oidc_config as
	// usually written), "oidc-<idp_id>" otherwise, for oidc_config too, as
	// Synapse stores it.
	IdpID string
	// Enabled is false for a legacy oidc_config without enabled: true,
	// which Synapse ignores but upstream's syn2mas still maps.
	Enabled      bool
	IdpName      string // idp_name, for display (default "OIDC")
	IdpBrand     string
	Issuer       string
	ClientID     string
	ClientSecret string
	// ClientSecretPath is client_secret_path: a file Synapse reads the
	// secret from.
	ClientSecretPath string
	// ClientSecretJWTKey is client_secret_jwt_key: Synapse signs a JWT
	// with it and sends that as the client secret (Sign in with Apple's
	// scheme); nil when unset.
	ClientSecretJWTKey *JWTKey
	// ClientAuthMethod is client_auth_method; Synapse's default is "none"
	// without a client secret (or JWT key) and client_secret_basic with one.
	ClientAuthMethod string
	Scopes           []string
	Discover         bool   // discover (default true)
	SkipVerification bool   // skip_verification
	PKCEMethod       string // pkce_method (default "auto")
	// UserProfileMethod is user_profile_method: "auto" (default) or
	// "userinfo_endpoint".
	UserProfileMethod string
	// IDTokenSigningAlgValuesSupported is id_token_signing_alg_values_supported.
	IDTokenSigningAlgValuesSupported []string
	AllowExistingUsers               bool // allow_existing_users
	EnableRegistration               bool // enable_registration (default true)
	// HasAttributeRequirements is set when attribute_requirements is given.
	HasAttributeRequirements   bool
	BackchannelLogoutEnabled   bool // backchannel_logout_enabled
	BackchannelLogoutIgnoreSub bool // backchannel_logout_ignore_sub
	// AdditionalAuthorizationParameters is additional_authorization_parameters.
	AdditionalAuthorizationParameters map[string]string
	ForwardLoginHint                  bool // forward_login_hint (read by upstream)
	// Endpoints given explicitly (discover: false).
	AuthorizationEndpoint, TokenEndpoint, UserinfoEndpoint, JWKSURI string
	// UserMappingModule is user_mapping_provider.module, with Synapse's
	// default (JinjaOidcMappingProvider) filled in and its legacy name
	// (synapse.handlers.oidc_handler.…) mapped to the current one.
	UserMappingModule string
	// UserMapping is user_mapping_provider.config: localpart_template,
	// display_name_template, email_template, subject_claim (as written).
	UserMapping map[string]any
}

// JWTKey is an OIDC provider's client_secret_jwt_key.
type JWTKey struct {
	// Key is the PEM key itself, KeyFile the file holding it.
	Key, KeyFile string
	// Header and Payload are jwt_header (alg, kid) and jwt_payload (iss).
	Header, Payload map[string]string
}

// JinjaMappingProvider is Synapse's default user mapping provider, whose
// config holds Jinja templates over `user`.
const JinjaMappingProvider = "synapse.handlers.oidc.JinjaOidcMappingProvider"
