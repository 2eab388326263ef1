package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// UpstreamSettingsVersion is the version of UpstreamProviderSettings this
// binary writes. A change that older readers would misread (a field whose
// meaning changes, a new field they must not ignore) bumps it; adding an
// optional field that defaults to the old behaviour does not.
const UpstreamSettingsVersion = 1

// UpstreamProviderSettings is the JSON document kept in
// UpstreamProvider.Settings: everything the login flow needs at run time
// that has no column of its own. `mas-cli config sync` (and the server at
// start) writes it from the upstream_oauth2.providers entry; defaults are
// already applied, so readers never need the configuration's defaults.
//
// Secrets in it are encrypted with secrets.encryption (internal/encrypt),
// like UpstreamProvider.EncryptedClientSecret.
type UpstreamProviderSettings struct {
	// Version is UpstreamSettingsVersion at the time of writing.
	Version int `json:"version"`
	// SynapseIdpID is Synapse's name for the provider (`oidc-<idp_id>`
	// or `oidc`), used by syn2mas only.
	SynapseIdpID string `json:"synapse_idp_id,omitempty"`

	DiscoveryMode UpstreamDiscoveryMode `json:"discovery_mode"`
	PKCEMethod    UpstreamPKCEMethod    `json:"pkce_method"`
	ResponseMode  UpstreamResponseMode  `json:"response_mode"`
	// The endpoints override what discovery finds; with discovery
	// disabled, configuration validation requires the ones the flow uses.
	AuthorizationEndpoint string `json:"authorization_endpoint,omitempty"`
	TokenEndpoint         string `json:"token_endpoint,omitempty"`
	UserinfoEndpoint      string `json:"userinfo_endpoint,omitempty"`
	JWKSURI               string `json:"jwks_uri,omitempty"`

	// TokenEndpointAuthSigningAlg is set for client_secret_jwt and
	// private_key_jwt only.
	TokenEndpointAuthSigningAlg string `json:"token_endpoint_auth_signing_alg,omitempty"`
	// IDTokenSignedResponseAlg defaults to RS256.
	IDTokenSignedResponseAlg string `json:"id_token_signed_response_alg"`
	FetchUserinfo            bool   `json:"fetch_userinfo"`
	// UserinfoSignedResponseAlg, when set, asks for a signed userinfo
	// response (a JWT) instead of JSON.
	UserinfoSignedResponseAlg string `json:"userinfo_signed_response_alg,omitempty"`

	// AdditionalAuthorizationParameters are added to the authorization
	// request; each value is a Jinja template rendered with `params` (the
	// downstream authorization request's query) and `logged_out`; an
	// empty result drops the parameter.
	AdditionalAuthorizationParameters map[string]string `json:"additional_authorization_parameters,omitempty"`
	// ForwardLoginHint (deprecated upstream) forwards the downstream
	// login_hint to the provider.
	ForwardLoginHint          bool                      `json:"forward_login_hint"`
	OnBackchannelLogout       UpstreamBackchannelLogout `json:"on_backchannel_logout"`
	RegistrationTokenRequired bool                      `json:"registration_token_required"`

	ClaimsImports UpstreamClaimsImports `json:"claims_imports"`
	// SignInWithApple is set for the sign_in_with_apple method only.
	SignInWithApple *UpstreamSignInWithApple `json:"sign_in_with_apple,omitempty"`
}

// UpstreamClaimsImports says how claims become local attributes. Every
// template is a Jinja template over `user` (the ID-token claims merged
// with userinfo); the defaults are filled in.
type UpstreamClaimsImports struct {
	// SubjectTemplate defaults to {{ user.sub }}.
	SubjectTemplate  string                  `json:"subject_template"`
	SkipConfirmation bool                    `json:"skip_confirmation"`
	Localpart        UpstreamLocalpartImport `json:"localpart"`
	Displayname      UpstreamAttributeImport `json:"displayname"`
	Email            UpstreamEmailImport     `json:"email"`
	// AccountNameTemplate names the upstream account for display; empty
	// means none.
	AccountNameTemplate string `json:"account_name_template,omitempty"`
}

// UpstreamLocalpartImport: the template defaults to
// {{ user.preferred_username }}, OnConflict to fail.
type UpstreamLocalpartImport struct {
	Action     UpstreamImportAction `json:"action"`
	Template   string               `json:"template"`
	OnConflict UpstreamOnConflict   `json:"on_conflict"`
}

// UpstreamAttributeImport is the display name import; the template
// defaults to {{ user.name }}.
type UpstreamAttributeImport struct {
	Action   UpstreamImportAction `json:"action"`
	Template string               `json:"template"`
}

// UpstreamEmailImport: the template defaults to {{ user.email }}.
type UpstreamEmailImport struct {
	Action   UpstreamImportAction `json:"action"`
	Template string               `json:"template"`
	// Verification is the seed documentation's set_email_verification
	// (upstream dropped it; we honour it), import by default.
	Verification UpstreamEmailVerification `json:"set_email_verification"`
}

// UpstreamSignInWithApple holds what the sign_in_with_apple method signs
// its client assertion with.
type UpstreamSignInWithApple struct {
	TeamID string `json:"team_id"`
	KeyID  string `json:"key_id"`
	// EncryptedPrivateKey is the PEM (PKCS#8) private key, encrypted with
	// secrets.encryption.
	EncryptedPrivateKey string `json:"encrypted_private_key"`
}

// UpstreamDiscoveryMode is how the provider's metadata is found: oidc
// (discovery with strict validation), insecure (discovery, lax
// validation) or disabled (the configured endpoints only).
type UpstreamDiscoveryMode string

const (
	UpstreamDiscoveryOIDC     UpstreamDiscoveryMode = "oidc"
	UpstreamDiscoveryInsecure UpstreamDiscoveryMode = "insecure"
	UpstreamDiscoveryDisabled UpstreamDiscoveryMode = "disabled"
)

// UpstreamPKCEMethod: auto uses S256 when the metadata advertises it,
// always uses S256, never does not use PKCE.
type UpstreamPKCEMethod string

const (
	UpstreamPKCEAuto   UpstreamPKCEMethod = "auto"
	UpstreamPKCEAlways UpstreamPKCEMethod = "always"
	UpstreamPKCENever  UpstreamPKCEMethod = "never"
)

// UpstreamResponseMode is how the provider answers the callback.
type UpstreamResponseMode string

const (
	UpstreamResponseQuery    UpstreamResponseMode = "query"
	UpstreamResponseFormPost UpstreamResponseMode = "form_post"
)

// UpstreamBackchannelLogout is what a back-channel logout ends.
type UpstreamBackchannelLogout string

const (
	UpstreamBackchannelDoNothing         UpstreamBackchannelLogout = "do_nothing"
	UpstreamBackchannelLogoutBrowserOnly UpstreamBackchannelLogout = "logout_browser_only"
	UpstreamBackchannelLogoutAll         UpstreamBackchannelLogout = "logout_all"
)

// UpstreamImportAction is what to do with an imported attribute.
type UpstreamImportAction string

const (
	UpstreamImportIgnore  UpstreamImportAction = "ignore"
	UpstreamImportSuggest UpstreamImportAction = "suggest"
	UpstreamImportForce   UpstreamImportAction = "force"
	UpstreamImportRequire UpstreamImportAction = "require"
)

// UpstreamOnConflict is what to do when the imported localpart is taken.
type UpstreamOnConflict string

const (
	UpstreamConflictFail    UpstreamOnConflict = "fail"
	UpstreamConflictAdd     UpstreamOnConflict = "add"
	UpstreamConflictReplace UpstreamOnConflict = "replace"
	UpstreamConflictSet     UpstreamOnConflict = "set"
)

// UpstreamEmailVerification says whether an imported email counts as
// verified: import (when the email_verified claim says so), always, never.
type UpstreamEmailVerification string

const (
	UpstreamEmailVerificationImport UpstreamEmailVerification = "import"
	UpstreamEmailVerificationAlways UpstreamEmailVerification = "always"
	UpstreamEmailVerificationNever  UpstreamEmailVerification = "never"
)

// ErrUpstreamSettings marks a Settings document this binary cannot use.
var ErrUpstreamSettings = errors.New("unusable upstream provider settings")

// DecodeSettings parses and checks the provider's Settings.
func (p *UpstreamProvider) DecodeSettings() (*UpstreamProviderSettings, error) {
	s, err := DecodeUpstreamSettings(p.Settings)
	if err != nil {
		return nil, fmt.Errorf("upstream provider %s: %w", p.ID, err)
	}
	return s, nil
}

// DecodeUpstreamSettings parses a Settings document and checks its version
// and enumerations, so that a document written by a newer binary, or
// edited by hand, is refused rather than half understood.
func DecodeUpstreamSettings(doc string) (*UpstreamProviderSettings, error) {
	var s UpstreamProviderSettings
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUpstreamSettings, err)
	}
	if s.Version < 1 || s.Version > UpstreamSettingsVersion {
		return nil, fmt.Errorf("%w: version %d, this binary reads 1 to %d (run `mas-cli config sync` with this version)",
			ErrUpstreamSettings, s.Version, UpstreamSettingsVersion)
	}
	if err := s.checkEnums(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUpstreamSettings, err)
	}
	return &s, nil
}

// Encode is the JSON document of s, stamped with the current
// version.
func (s UpstreamProviderSettings) Encode() (string, error) {
	s.Version = UpstreamSettingsVersion
	if err := s.checkEnums(); err != nil {
		return "", fmt.Errorf("%w: %v", ErrUpstreamSettings, err)
	}
	b, err := json.Marshal(s)
	return string(b), err
}

func (s *UpstreamProviderSettings) checkEnums() error {
	c := s.ClaimsImports
	actions := []UpstreamImportAction{UpstreamImportIgnore, UpstreamImportSuggest, UpstreamImportForce, UpstreamImportRequire}
	for _, e := range []struct {
		name    string
		value   string
		allowed []string
	}{
		{"discovery_mode", string(s.DiscoveryMode), strs(UpstreamDiscoveryOIDC, UpstreamDiscoveryInsecure, UpstreamDiscoveryDisabled)},
		{"pkce_method", string(s.PKCEMethod), strs(UpstreamPKCEAuto, UpstreamPKCEAlways, UpstreamPKCENever)},
		{"response_mode", string(s.ResponseMode), strs(UpstreamResponseQuery, UpstreamResponseFormPost)},
		{"on_backchannel_logout", string(s.OnBackchannelLogout),
			strs(UpstreamBackchannelDoNothing, UpstreamBackchannelLogoutBrowserOnly, UpstreamBackchannelLogoutAll)},
		{"claims_imports.localpart.action", string(c.Localpart.Action), strs(actions...)},
		{"claims_imports.localpart.on_conflict", string(c.Localpart.OnConflict),
			strs(UpstreamConflictFail, UpstreamConflictAdd, UpstreamConflictReplace, UpstreamConflictSet)},
		{"claims_imports.displayname.action", string(c.Displayname.Action), strs(actions...)},
		{"claims_imports.email.action", string(c.Email.Action), strs(actions...)},
		{"claims_imports.email.set_email_verification", string(c.Email.Verification),
			strs(UpstreamEmailVerificationImport, UpstreamEmailVerificationAlways, UpstreamEmailVerificationNever)},
	} {
		if !slices.Contains(e.allowed, e.value) {
			return fmt.Errorf("%s: unknown value %q", e.name, e.value)
		}
	}
	return nil
}

func strs[T ~string](values ...T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}
