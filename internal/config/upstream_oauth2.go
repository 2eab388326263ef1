package config

import (
	"slices"
	"strings"
)

// UpstreamOAuth2Config is the `upstream_oauth2` section.
type UpstreamOAuth2Config struct {
	Providers []UpstreamProvider `yaml:"providers" required:"true"`
}

// UpstreamProvider is one upstream OAuth 2.0 / OpenID Connect provider.
type UpstreamProvider struct {
	Enabled bool   `yaml:"enabled,omitempty"`
	ID      string `yaml:"id" required:"true"`
	// SynapseIdpID maps Synapse's provider for syn2mas: `oidc-<idp_id>`,
	// or `oidc` for the legacy oidc_config.
	SynapseIdpID string `yaml:"synapse_idp_id,omitempty"`
	// Issuer is required unless discovery is disabled.
	Issuer    string `yaml:"issuer,omitempty"`
	HumanName string `yaml:"human_name,omitempty"`
	// BrandName selects a logo, e.g. apple, google, facebook, github,
	// gitlab, twitter, discord.
	BrandName string `yaml:"brand_name,omitempty"`
	ClientID  string `yaml:"client_id" required:"true"`
	// ClientSecretFile and ClientSecret are for the client_secret_*
	// methods only.
	ClientSecretFile        string           `yaml:"client_secret_file,omitempty"`
	ClientSecret            string           `yaml:"client_secret,omitempty"`
	TokenEndpointAuthMethod TokenAuthMethod  `yaml:"token_endpoint_auth_method" required:"true"`
	SignInWithApple         *SignInWithApple `yaml:"sign_in_with_apple,omitempty"`
	// TokenEndpointAuthSigningAlg is required by, and only allowed for,
	// client_secret_jwt and private_key_jwt.
	TokenEndpointAuthSigningAlg JWSAlgorithm  `yaml:"token_endpoint_auth_signing_alg,omitempty"`
	IDTokenSignedResponseAlg    JWSAlgorithm  `yaml:"id_token_signed_response_alg,omitempty"`
	Scope                       string        `yaml:"scope,omitempty"`
	DiscoveryMode               DiscoveryMode `yaml:"discovery_mode,omitempty"`
	PKCEMethod                  PKCEMethod    `yaml:"pkce_method,omitempty"`
	FetchUserinfo               bool          `yaml:"fetch_userinfo,omitempty"`
	// UserinfoSignedResponseAlg asks for a signed userinfo response.
	UserinfoSignedResponseAlg JWSAlgorithm `yaml:"userinfo_signed_response_alg,omitempty"`
	// The endpoints override what discovery finds.
	AuthorizationEndpoint string        `yaml:"authorization_endpoint,omitempty"`
	UserinfoEndpoint      string        `yaml:"userinfo_endpoint,omitempty"`
	TokenEndpoint         string        `yaml:"token_endpoint,omitempty"`
	JWKSURI               string        `yaml:"jwks_uri,omitempty"`
	ResponseMode          ResponseMode  `yaml:"response_mode,omitempty"`
	ClaimsImports         ClaimsImports `yaml:"claims_imports,omitempty"`
	// AdditionalAuthorizationParameters are added to the authorization
	// request; each value is a template rendered with the downstream
	// request's `params` and `logged_out`.
	AdditionalAuthorizationParameters map[string]string `yaml:"additional_authorization_parameters,omitempty"`
	// ForwardLoginHint is deprecated in favour of a `login_hint` entry in
	// AdditionalAuthorizationParameters.
	ForwardLoginHint          bool                `yaml:"forward_login_hint,omitempty"`
	OnBackchannelLogout       OnBackchannelLogout `yaml:"on_backchannel_logout,omitempty"`
	RegistrationTokenRequired bool                `yaml:"registration_token_required,omitempty"`
}

// TokenAuthMethod is how MAS authenticates to an upstream token endpoint.
type TokenAuthMethod string

const (
	TokenAuthNone              TokenAuthMethod = "none"
	TokenAuthClientSecretBasic TokenAuthMethod = "client_secret_basic"
	TokenAuthClientSecretPost  TokenAuthMethod = "client_secret_post"
	TokenAuthClientSecretJWT   TokenAuthMethod = "client_secret_jwt"
	TokenAuthPrivateKeyJWT     TokenAuthMethod = "private_key_jwt"
	TokenAuthSignInWithApple   TokenAuthMethod = "sign_in_with_apple"
)

func (TokenAuthMethod) enumValues() []string {
	return []string{"none", "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "sign_in_with_apple"}
}

// JWSAlgorithm is a JSON Web Signature "alg" value.
type JWSAlgorithm string

func (JWSAlgorithm) enumValues() []string {
	return []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
		"PS256", "PS384", "PS512", "none", "EdDSA", "ES256K", "Ed25519", "Ed448"}
}

// DiscoveryMode is how the provider's metadata is found.
type DiscoveryMode string

const (
	DiscoveryOIDC     DiscoveryMode = "oidc"
	DiscoveryInsecure DiscoveryMode = "insecure"
	DiscoveryDisabled DiscoveryMode = "disabled"
)

func (DiscoveryMode) enumValues() []string { return []string{"oidc", "insecure", "disabled"} }

// PKCEMethod says when to use PKCE with the provider.
type PKCEMethod string

const (
	PKCEAuto   PKCEMethod = "auto"
	PKCEAlways PKCEMethod = "always"
	PKCENever  PKCEMethod = "never"
)

func (PKCEMethod) enumValues() []string { return []string{"auto", "always", "never"} }

// ResponseMode is how the provider returns to the callback; empty means
// query.
type ResponseMode string

const (
	ResponseModeQuery    ResponseMode = "query"
	ResponseModeFormPost ResponseMode = "form_post"
)

func (ResponseMode) enumValues() []string { return []string{"query", "form_post"} }

// OnBackchannelLogout says what an OIDC back-channel logout ends.
type OnBackchannelLogout string

const (
	BackchannelDoNothing         OnBackchannelLogout = "do_nothing"
	BackchannelLogoutBrowserOnly OnBackchannelLogout = "logout_browser_only"
	BackchannelLogoutAll         OnBackchannelLogout = "logout_all"
)

func (OnBackchannelLogout) enumValues() []string {
	return []string{"do_nothing", "logout_browser_only", "logout_all"}
}

// SignInWithApple holds the extra settings of the sign_in_with_apple method.
type SignInWithApple struct {
	PrivateKeyFile string `yaml:"private_key_file,omitempty"`
	PrivateKey     string `yaml:"private_key,omitempty"`
	TeamID         string `yaml:"team_id" required:"true"`
	KeyID          string `yaml:"key_id" required:"true"`
}

// ClaimsImports says how upstream claims become local attributes.
type ClaimsImports struct {
	Subject SubjectImport `yaml:"subject,omitempty"`
	// SkipConfirmation skips the attribute confirmation screen; it needs
	// localpart.action require and no `suggest` action elsewhere.
	SkipConfirmation bool              `yaml:"skip_confirmation,omitempty"`
	Localpart        LocalpartImport   `yaml:"localpart,omitempty"`
	Displayname      AttributeImport   `yaml:"displayname,omitempty"`
	Email            EmailImport       `yaml:"email,omitempty"`
	AccountName      AccountNameImport `yaml:"account_name,omitempty"`
}

// SubjectImport picks the subject; the default template is {{ user.sub }}.
type SubjectImport struct {
	Template string `yaml:"template,omitempty"`
}

// LocalpartImport picks the Matrix localpart.
type LocalpartImport struct {
	Action ImportAction `yaml:"action,omitempty"`
	// Template defaults to {{ user.preferred_username }}.
	Template   string     `yaml:"template,omitempty"`
	OnConflict OnConflict `yaml:"on_conflict,omitempty"`
}

// AttributeImport is the display name or email import. The default
// templates are {{ user.name }} and {{ user.email }}.
type AttributeImport struct {
	Action   ImportAction `yaml:"action,omitempty"`
	Template string       `yaml:"template,omitempty"`
}

// EmailImport is the email import; the default template is
// {{ user.email }}.
type EmailImport struct {
	Action   ImportAction `yaml:"action,omitempty"`
	Template string       `yaml:"template,omitempty"`
	// SetEmailVerification is a key upstream dropped that configurations
	// (and the seed documentation) still carry; it is honoured: import
	// (the default) marks an imported address verified when the provider's
	// email_verified claim says so, always marks it verified, never leaves
	// it to be verified by code.
	SetEmailVerification EmailVerification `yaml:"set_email_verification,omitempty"`
}

// EmailVerification says whether an imported email counts as verified.
type EmailVerification string

const (
	EmailVerificationImport EmailVerification = "import"
	EmailVerificationAlways EmailVerification = "always"
	EmailVerificationNever  EmailVerification = "never"
)

// readLenient drops a signing algorithm given with a method that signs
// nothing: upstream refuses the configuration, but the key has no effect,
// and the playbook's documented example, with its commented fields switched
// on, sets it beside client_secret_post.
func (p *UpstreamProvider) readLenient(d *decoder, n *node, path string) *node {
	alg, ok := n.children["token_endpoint_auth_signing_alg"]
	method, hasMethod := n.children["token_endpoint_auth_method"]
	if !ok || !hasMethod || method.kind != kindScalar {
		return n
	}
	switch m, _ := method.value.(string); TokenAuthMethod(m) {
	case TokenAuthClientSecretJWT, TokenAuthPrivateKeyJWT:
		return n
	default:
		d.warn(alg, joinPath(path, "token_endpoint_auth_signing_alg"),
			"has no effect with the %q method, which signs nothing (upstream refuses it)", m)
		return n.without("token_endpoint_auth_signing_alg")
	}
}

func (EmailVerification) enumValues() []string { return []string{"import", "always", "never"} }

func (e *EmailImport) readLenient(d *decoder, n *node, path string) *node {
	if child, ok := n.children["set_email_verification"]; ok {
		d.notice(child, joinPath(path, "set_email_verification"),
			"removed from upstream; honoured here (import: verified when the provider says so, always, never)")
	}
	return n
}

// AccountNameImport names the upstream account for display.
type AccountNameImport struct {
	Template string `yaml:"template,omitempty"`
}

// ImportAction is what to do with a claim.
type ImportAction string

const (
	ImportIgnore  ImportAction = "ignore"
	ImportSuggest ImportAction = "suggest"
	ImportForce   ImportAction = "force"
	ImportRequire ImportAction = "require"
)

func (ImportAction) enumValues() []string { return []string{"ignore", "suggest", "force", "require"} }

// OnConflict is what to do when the imported localpart already exists.
type OnConflict string

const (
	ConflictFail    OnConflict = "fail"
	ConflictAdd     OnConflict = "add"
	ConflictReplace OnConflict = "replace"
	ConflictSet     OnConflict = "set"
)

func (OnConflict) enumValues() []string { return []string{"fail", "add", "replace", "set"} }

// Default claim templates, applied when a template is empty.
const (
	DefaultSubjectTemplate     = "{{ user.sub }}"
	DefaultLocalpartTemplate   = "{{ user.preferred_username }}"
	DefaultDisplaynameTemplate = "{{ user.name }}"
	DefaultEmailTemplate       = "{{ user.email }}"
)

func (p *UpstreamProvider) setDefaults() {
	*p = UpstreamProvider{
		Enabled:                  true,
		IDTokenSignedResponseAlg: "RS256",
		Scope:                    "openid",
		DiscoveryMode:            DiscoveryOIDC,
		PKCEMethod:               PKCEAuto,
		OnBackchannelLogout:      BackchannelDoNothing,
	}
	p.ClaimsImports.setDefaults()
}

func (c *ClaimsImports) setDefaults() {
	*c = ClaimsImports{
		Localpart:   LocalpartImport{Action: ImportIgnore, OnConflict: ConflictFail},
		Displayname: AttributeImport{Action: ImportIgnore},
		Email:       EmailImport{Action: ImportIgnore},
	}
}

func (l *LocalpartImport) setDefaults() {
	*l = LocalpartImport{Action: ImportIgnore, OnConflict: ConflictFail}
}
func (a *AttributeImport) setDefaults() { *a = AttributeImport{Action: ImportIgnore} }
func (e *EmailImport) setDefaults()     { *e = EmailImport{Action: ImportIgnore} }

// Verification is SetEmailVerification, import when unset.
func (e EmailImport) Verification() EmailVerification {
	if e.SetEmailVerification == "" {
		return EmailVerificationImport
	}
	return e.SetEmailVerification
}

// ClientSecretValue returns the provider's client secret, or "".
func (p *UpstreamProvider) ClientSecretValue() (string, error) {
	return secretValue("upstream_oauth2.providers["+p.ID+"]", "client_secret", p.ClientSecret, p.ClientSecretFile)
}

// PrivateKeyPEM returns the Sign in with Apple private key.
func (s *SignInWithApple) PrivateKeyPEM() ([]byte, error) {
	b, err := bytesValue("sign_in_with_apple", "private_key", s.PrivateKey, s.PrivateKeyFile)
	if err == nil && b == nil {
		err = pathErr("sign_in_with_apple", "Missing `private_key` or `private_key_file`")
	}
	return b, err
}

func (u *UpstreamOAuth2Config) validate(v *validator) {
	ids := map[string]int{}
	for i := range u.Providers {
		p := &u.Providers[i]
		path := indexPath("upstream_oauth2.providers", i)
		v.ulid(joinPath(path, "id"), p.ID)
		key := strings.ToUpper(p.ID)
		if first, dup := ids[key]; dup && p.ID != "" {
			v.add(joinPath(path, "id"), "duplicate provider id (also used by upstream_oauth2.providers[%d])", first)
		} else {
			ids[key] = i
		}
		p.validate(v, path)
	}
}

func (p *UpstreamProvider) validate(v *validator, path string) {
	if p.DiscoveryMode != DiscoveryDisabled && p.Issuer == "" {
		v.add(joinPath(path, "issuer"), "The `issuer` field is required when discovery is enabled")
	}
	v.absoluteURL(joinPath(path, "issuer"), p.Issuer)
	if p.ClientID == "" {
		v.add(joinPath(path, "client_id"), "required")
	}
	hasSecret := p.ClientSecret != "" || p.ClientSecretFile != ""
	v.atMostOne(path, "client_secret", p.ClientSecret, p.ClientSecretFile)
	m := p.TokenEndpointAuthMethod
	switch m {
	case "":
		v.add(joinPath(path, "token_endpoint_auth_method"), "required")
	case TokenAuthClientSecretBasic, TokenAuthClientSecretPost, TokenAuthClientSecretJWT:
		if !hasSecret {
			v.add(joinPath(path, "client_secret"), "required (or client_secret_file) for the %s method", m)
		}
	default:
		if hasSecret {
			v.add(joinPath(path, "client_secret"), "Unexpected field `client_secret` for the selected authentication method")
		}
	}
	switch m {
	case TokenAuthClientSecretJWT, TokenAuthPrivateKeyJWT:
		if p.TokenEndpointAuthSigningAlg == "" {
			v.add(joinPath(path, "token_endpoint_auth_signing_alg"), "required for the %s method", m)
		}
	case "":
	default:
		if p.TokenEndpointAuthSigningAlg != "" {
			v.add(joinPath(path, "token_endpoint_auth_signing_alg"), "Unexpected field `token_endpoint_auth_signing_alg` for the selected authentication method")
		}
	}
	switch {
	case m == TokenAuthSignInWithApple && p.SignInWithApple == nil:
		v.add(joinPath(path, "sign_in_with_apple"), "required for the sign_in_with_apple method")
	case m != TokenAuthSignInWithApple && p.SignInWithApple != nil:
		v.add(joinPath(path, "sign_in_with_apple"), "Unexpected field `sign_in_with_apple` for the selected authentication method")
	}
	if s := p.SignInWithApple; s != nil {
		sp := joinPath(path, "sign_in_with_apple")
		v.exactlyOne(sp, "private_key", s.PrivateKey, s.PrivateKeyFile)
		if s.TeamID == "" {
			v.add(joinPath(sp, "team_id"), "required")
		}
		if s.KeyID == "" {
			v.add(joinPath(sp, "key_id"), "required")
		}
	}
	p.validateSigningAlg(v, path)
	p.validateEndpoints(v, path)
	for _, u := range []struct{ key, value string }{
		{"authorization_endpoint", p.AuthorizationEndpoint},
		{"userinfo_endpoint", p.UserinfoEndpoint},
		{"token_endpoint", p.TokenEndpoint},
		{"jwks_uri", p.JWKSURI},
	} {
		v.absoluteURL(joinPath(path, u.key), u.value)
	}
	p.ClaimsImports.validate(v, joinPath(path, "claims_imports"))
}

func (c *ClaimsImports) validate(v *validator, path string) {
	lp := c.Localpart
	if lp.OnConflict != "" && lp.OnConflict != ConflictFail && lp.Action != ImportForce && lp.Action != ImportRequire {
		v.add(joinPath(path, "localpart.on_conflict"), "`%s` requires localpart.action to be `force` or `require`", lp.OnConflict)
	}
	if c.SkipConfirmation {
		if lp.Action != ImportRequire {
			v.add(joinPath(path, "skip_confirmation"), "requires localpart.action to be `require`")
		}
		if c.Displayname.Action == ImportSuggest {
			v.add(joinPath(path, "skip_confirmation"), "requires displayname.action to be `ignore`, `force` or `require`, not `suggest`")
		}
		if c.Email.Action == ImportSuggest {
			v.add(joinPath(path, "skip_confirmation"), "requires email.action to be `ignore`, `force` or `require`, not `suggest`")
		}
	}
}

// validateSigningAlg checks that a client assertion algorithm fits its
// method: client_secret_jwt signs with the secret (HMAC), private_key_jwt
// with one of our keys. Upstream accepts any pair and fails at the first
// login; the mismatch is always a mistake.
func (p *UpstreamProvider) validateSigningAlg(v *validator, path string) {
	alg := string(p.TokenEndpointAuthSigningAlg)
	if alg == "" {
		return
	}
	hmac := strings.HasPrefix(alg, "HS")
	switch {
	case p.TokenEndpointAuthMethod == TokenAuthClientSecretJWT && !hmac:
		v.add(joinPath(path, "token_endpoint_auth_signing_alg"),
			"`%s` cannot sign with the client secret: client_secret_jwt needs HS256, HS384 or HS512", alg)
	case p.TokenEndpointAuthMethod == TokenAuthPrivateKeyJWT && (hmac || alg == "none"):
		v.add(joinPath(path, "token_endpoint_auth_signing_alg"),
			"`%s` is not a public-key algorithm: private_key_jwt signs with a key of secrets.keys (e.g. RS256, ES256)", alg)
	}
}

// validateEndpoints requires, when discovery is disabled, the endpoints
// the login flow would otherwise have found in the provider's metadata:
// authorization and token always, the JWKS when an ID token is asked for
// (scope openid), userinfo when it is fetched. Upstream only fails at the
// first login.
func (p *UpstreamProvider) validateEndpoints(v *validator, path string) {
	if p.DiscoveryMode != DiscoveryDisabled {
		return
	}
	scope := p.Scope
	if scope == "" {
		scope = "openid"
	}
	for _, e := range []struct {
		key, value string
		needed     bool
		why        string
	}{
		{"authorization_endpoint", p.AuthorizationEndpoint, true, "discovery is disabled"},
		{"token_endpoint", p.TokenEndpoint, true, "discovery is disabled"},
		{"jwks_uri", p.JWKSURI, slices.Contains(strings.Fields(scope), "openid"),
			"discovery is disabled and the scope asks for an ID token (openid), whose signature is checked with it"},
		{"userinfo_endpoint", p.UserinfoEndpoint, p.FetchUserinfo, "discovery is disabled and fetch_userinfo is set"},
	} {
		if e.needed && e.value == "" {
			v.add(joinPath(path, e.key), "required when %s", e.why)
		}
	}
}
