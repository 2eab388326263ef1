package oidc

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"mas/internal/clock"
	"mas/internal/keys"
)

// DiscoveryMode is how the provider's metadata is found.
type DiscoveryMode string

// Discovery modes.
const (
	// DiscoveryOIDC fetches the discovery document and checks it strictly.
	DiscoveryOIDC DiscoveryMode = "oidc"
	// DiscoveryInsecure fetches it and only checks that the endpoints we
	// need are known.
	DiscoveryInsecure DiscoveryMode = "insecure"
	// DiscoveryDisabled fetches nothing: every endpoint comes from Options.
	DiscoveryDisabled DiscoveryMode = "disabled"
)

// PKCEMethod says when to send a PKCE challenge.
type PKCEMethod string

// PKCE methods.
const (
	// PKCEAuto uses S256 when the metadata lists it in
	// code_challenge_methods_supported (never with discovery disabled).
	PKCEAuto   PKCEMethod = "auto"
	PKCEAlways PKCEMethod = "always"
	PKCENever  PKCEMethod = "never"
)

// ResponseMode is how the provider sends the user back.
type ResponseMode string

// Response modes. The empty mode sends no response_mode parameter and
// the provider's default (query, for the code flow) applies.
const (
	ResponseModeQuery    ResponseMode = "query"
	ResponseModeFormPost ResponseMode = "form_post"
)

// AuthMethod is how we authenticate to the token endpoint.
type AuthMethod string

// Token endpoint authentication methods.
const (
	AuthNone              AuthMethod = "none"
	AuthClientSecretBasic AuthMethod = "client_secret_basic"
	AuthClientSecretPost  AuthMethod = "client_secret_post"
	AuthClientSecretJWT   AuthMethod = "client_secret_jwt"
	AuthPrivateKeyJWT     AuthMethod = "private_key_jwt"
	AuthSignInWithApple   AuthMethod = "sign_in_with_apple"
)

// SignInWithApple holds what Apple's client secret JWT is made from.
type SignInWithApple struct {
	// PrivateKeyPEM is the P-256 key from the Apple developer portal
	// (the contents of private_key or private_key_file).
	PrivateKeyPEM []byte
	TeamID        string
	KeyID         string
}

// Options configure one provider. They mirror the run-time fields of
// upstream_oauth2.providers[] (the wiring fills them from the
// configuration; this package does not read it).
type Options struct {
	// ID is the provider's id; it names the provider in errors.
	ID string
	// Issuer is compared exactly with the metadata's and the tokens' iss.
	// It may be empty only with discovery disabled, and then any iss is
	// accepted (the signature still ties tokens to the configured keys).
	Issuer string

	ClientID string
	// ClientSecret is for the client_secret_* methods, and is the HMAC
	// key of HS* ID tokens.
	ClientSecret            string
	TokenEndpointAuthMethod AuthMethod
	// TokenEndpointAuthSigningAlg signs client assertions. Empty means
	// HS256 for client_secret_jwt, and for private_key_jwt RS256 when a
	// key of ours can sign it (upstream's default), else the first
	// algorithm our first suitable key signs with.
	TokenEndpointAuthSigningAlg string
	SignInWithApple             *SignInWithApple
	// Keys are our own signing keys (secrets.keys), for private_key_jwt.
	Keys *keys.KeySet

	// IDTokenSignedResponseAlg is the only algorithm accepted on ID
	// tokens and logout tokens; empty means RS256.
	IDTokenSignedResponseAlg string
	// Scope is sent as is; empty means "openid". A nonce is sent (and
	// required back) only when the scope contains openid.
	Scope         string
	DiscoveryMode DiscoveryMode // empty means oidc
	PKCEMethod    PKCEMethod    // empty means auto
	ResponseMode  ResponseMode

	FetchUserinfo bool
	// UserinfoSignedResponseAlg, when set, requires a signed
	// (application/jwt) userinfo response with that algorithm.
	UserinfoSignedResponseAlg string

	// Endpoint overrides win over discovery in every mode.
	AuthorizationEndpoint string
	TokenEndpoint         string
	UserinfoEndpoint      string
	JWKSURI               string

	// HTTPClient makes every request to the provider; nil means
	// NewHTTPClient(). A client without CheckRedirect gets ours (few
	// redirects, no https-to-http downgrade).
	HTTPClient *http.Client
	// Clock drives token time checks and cache lifetimes; nil means the
	// system clock.
	Clock clock.Clock
}

// Provider talks to one upstream provider. It is safe for concurrent use;
// keep one per configured provider so that its caches are shared.
type Provider struct {
	opts      Options
	http      *http.Client
	clock     clock.Clock
	apple     *keys.PrivateKey
	assertAlg string
	meta      metadataCache
	jwks      jwksCache
}

// verifiableAlgs are the algorithms internal/keys verifies; HS* use the
// client secret.
var verifiableAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES256K", "HS256", "HS384", "HS512"}

func isHMAC(alg string) bool { return strings.HasPrefix(alg, "HS") }

// New checks opts and returns a Provider. It contacts nobody; errors are
// of KindConfig.
func New(opts Options) (*Provider, error) {
	p := &Provider{opts: opts}
	o := &p.opts
	if o.Scope == "" {
		o.Scope = "openid"
	}
	if o.IDTokenSignedResponseAlg == "" {
		o.IDTokenSignedResponseAlg = "RS256"
	}
	if o.DiscoveryMode == "" {
		o.DiscoveryMode = DiscoveryOIDC
	}
	if o.PKCEMethod == "" {
		o.PKCEMethod = PKCEAuto
	}
	p.clock = o.Clock
	if p.clock == nil {
		p.clock = clock.System{}
	}
	p.http = o.HTTPClient
	if p.http == nil {
		p.http = NewHTTPClient()
	} else if p.http.CheckRedirect == nil {
		c := *p.http
		c.CheckRedirect = checkRedirect
		p.http = &c
	}
	if err := p.check(); err != nil {
		return nil, p.fail(KindConfig, nil, "%s", err)
	}
	return p, nil
}

func (p *Provider) check() error {
	o := &p.opts
	if o.ClientID == "" {
		return errors.New("client_id is required")
	}
	switch o.DiscoveryMode {
	case DiscoveryOIDC, DiscoveryInsecure:
		if o.Issuer == "" {
			return errors.New("issuer is required unless discovery is disabled")
		}
	case DiscoveryDisabled:
		if err := p.checkStaticEndpoints(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown discovery_mode %q", o.DiscoveryMode)
	}
	if o.Issuer != "" {
		if err := absoluteHTTP(o.Issuer); err != nil {
			return fmt.Errorf("issuer: %v", err)
		}
	}
	for _, e := range []struct{ name, value string }{
		{"authorization_endpoint", o.AuthorizationEndpoint},
		{"token_endpoint", o.TokenEndpoint},
		{"userinfo_endpoint", o.UserinfoEndpoint},
		{"jwks_uri", o.JWKSURI},
	} {
		if e.value == "" {
			continue
		}
		if err := absoluteHTTP(e.value); err != nil {
			return fmt.Errorf("%s: %v", e.name, err)
		}
	}
	switch o.PKCEMethod {
	case PKCEAuto, PKCEAlways, PKCENever:
	default:
		return fmt.Errorf("unknown pkce_method %q", o.PKCEMethod)
	}
	switch o.ResponseMode {
	case "", ResponseModeQuery, ResponseModeFormPost:
	default:
		return fmt.Errorf("unknown response_mode %q", o.ResponseMode)
	}
	if err := checkVerifyAlg("id_token_signed_response_alg", o.IDTokenSignedResponseAlg, o.ClientSecret); err != nil {
		return err
	}
	if o.UserinfoSignedResponseAlg != "" {
		if err := checkVerifyAlg("userinfo_signed_response_alg", o.UserinfoSignedResponseAlg, o.ClientSecret); err != nil {
			return err
		}
	}
	return p.checkClientAuth()
}

// checkStaticEndpoints requires, with discovery disabled, every endpoint
// the configuration will use.
func (p *Provider) checkStaticEndpoints() error {
	o := &p.opts
	var missing []string
	if o.AuthorizationEndpoint == "" {
		missing = append(missing, "authorization_endpoint")
	}
	if o.TokenEndpoint == "" {
		missing = append(missing, "token_endpoint")
	}
	if o.FetchUserinfo && o.UserinfoEndpoint == "" {
		missing = append(missing, "userinfo_endpoint")
	}
	if o.JWKSURI == "" && p.needsJWKS() {
		missing = append(missing, "jwks_uri")
	}
	if len(missing) > 0 {
		return fmt.Errorf("discovery is disabled, so %s must be configured", strings.Join(missing, ", "))
	}
	return nil
}

// needsJWKS tells whether any token we will verify is signed with the
// provider's keys. A provider asked for no openid scope sends no ID token.
func (p *Provider) needsJWKS() bool {
	o := &p.opts
	return (p.openID() && !isHMAC(o.IDTokenSignedResponseAlg)) ||
		(o.UserinfoSignedResponseAlg != "" && !isHMAC(o.UserinfoSignedResponseAlg))
}

// openID reports whether the scope asks for OpenID Connect.
func (p *Provider) openID() bool {
	return slices.Contains(strings.Fields(p.opts.Scope), "openid")
}

func checkVerifyAlg(name, alg, secret string) error {
	if !slices.Contains(verifiableAlgs, alg) {
		return fmt.Errorf("%s %q is not supported (supported: %s)", name, alg, strings.Join(verifiableAlgs, ", "))
	}
	if isHMAC(alg) && secret == "" {
		return fmt.Errorf("%s %s needs a client_secret to verify with", name, alg)
	}
	return nil
}

func absoluteHTTP(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", u.Redacted())
	}
	return nil
}

// ID returns Options.ID.
func (p *Provider) ID() string { return p.opts.ID }

// ResponseMode returns the configured response mode: the callback reads
// the form body for form_post and the query otherwise.
func (p *Provider) ResponseMode() ResponseMode { return p.opts.ResponseMode }
