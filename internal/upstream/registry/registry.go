// Package registry holds the upstream providers users may log in with, as
// the login flow uses them: for each enabled provider mirrored in the
// database (config sync writes them at start), its relying-party client
// (internal/upstream/oidc), its compiled claims_imports and its compiled
// additional_authorization_parameters (internal/upstream/claims). It is
// built once at start; a template that does not compile fails the start,
// naming the provider and the key.
package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/keys"
	"mas/internal/store"
	"mas/internal/upstream/claims"
	"mas/internal/upstream/oidc"
)

// Provider is one enabled upstream provider, ready for the login flow.
type Provider struct {
	ID       domain.ID
	Row      *domain.UpstreamProvider
	Settings *domain.UpstreamProviderSettings
	Client   *oidc.Provider
	Mapper   *claims.Mapper
	Params   *claims.AuthParams
}

// Registry is the set of enabled providers. It is read-only once built
// and safe for concurrent use.
type Registry struct {
	byID map[domain.ID]*Provider
	list []*Provider
}

// Options are what Load needs besides the providers themselves.
type Options struct {
	Store     store.Store
	Encrypter *encrypt.Encrypter
	// Keys are our signing keys, for private_key_jwt.
	Keys *keys.KeySet
	// HTTPClient is shared by every provider; nil means
	// oidc.NewHTTPClient().
	HTTPClient *http.Client
	Clock      clock.Clock
	Logger     *slog.Logger
}

// Load builds the registry from the enabled providers in the database, in
// their UI order. Every problem is reported at once: unreadable settings,
// a secret that does not decrypt, a client configuration that cannot work
// and every template that does not compile, each naming its provider.
// Parameters of additional_authorization_parameters that the flow sets
// itself are logged as ignored.
func Load(ctx context.Context, opts Options) (*Registry, error) {
	rows, err := opts.Store.UpstreamProviders().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing upstream providers: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	httpClient := opts.HTTPClient
	if httpClient == nil {
		httpClient = oidc.NewHTTPClient()
	}
	reg := &Registry{byID: map[domain.ID]*Provider{}}
	var errs []error
	for _, row := range rows {
		if !row.Enabled() {
			continue
		}
		p, err := build(row, opts, httpClient)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ignored := p.Params.Ignored(); len(ignored) > 0 {
			logger.Warn("upstream provider: these additional_authorization_parameters are set by the login flow itself and are ignored",
				"provider_id", p.ID.String(), "parameters", ignored)
		}
		reg.byID[p.ID] = p
		reg.list = append(reg.list, p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return reg, nil
}

// build makes one provider ready.
func build(row *domain.UpstreamProvider, opts Options, httpClient *http.Client) (*Provider, error) {
	s, err := row.DecodeSettings()
	if err != nil {
		return nil, err
	}
	fail := func(what string, err error) error {
		return fmt.Errorf("upstream provider %s: %s: %w", row.ID, what, err)
	}
	var secret string
	if row.EncryptedClientSecret != "" {
		plain, err := opts.Encrypter.Decrypt(row.EncryptedClientSecret)
		if err != nil {
			return nil, fail("decrypting the client secret (was secrets.encryption changed?)", err)
		}
		secret = string(plain)
	}
	o := oidc.Options{
		ID:                          row.ID.String(),
		Issuer:                      row.Issuer,
		ClientID:                    row.ClientID,
		ClientSecret:                secret,
		TokenEndpointAuthMethod:     oidc.AuthMethod(row.TokenEndpointAuthMethod),
		TokenEndpointAuthSigningAlg: s.TokenEndpointAuthSigningAlg,
		Keys:                        opts.Keys,
		IDTokenSignedResponseAlg:    s.IDTokenSignedResponseAlg,
		Scope:                       row.Scope,
		DiscoveryMode:               oidc.DiscoveryMode(s.DiscoveryMode),
		PKCEMethod:                  oidc.PKCEMethod(s.PKCEMethod),
		ResponseMode:                responseMode(s.ResponseMode),
		FetchUserinfo:               s.FetchUserinfo,
		UserinfoSignedResponseAlg:   s.UserinfoSignedResponseAlg,
		AuthorizationEndpoint:       s.AuthorizationEndpoint,
		TokenEndpoint:               s.TokenEndpoint,
		UserinfoEndpoint:            s.UserinfoEndpoint,
		JWKSURI:                     s.JWKSURI,
		HTTPClient:                  httpClient,
		Clock:                       opts.Clock,
	}
	if a := s.SignInWithApple; a != nil {
		key, err := opts.Encrypter.Decrypt(a.EncryptedPrivateKey)
		if err != nil {
			return nil, fail("decrypting the Sign in with Apple key (was secrets.encryption changed?)", err)
		}
		o.SignInWithApple = &oidc.SignInWithApple{PrivateKeyPEM: key, TeamID: a.TeamID, KeyID: a.KeyID}
	}
	client, err := oidc.New(o)
	if err != nil {
		return nil, err
	}
	mapper, params, err := Compile(row.ID, s)
	if err != nil {
		return nil, err
	}
	return &Provider{ID: row.ID, Row: row, Settings: s, Client: client, Mapper: mapper, Params: params}, nil
}

// responseMode leaves query, the code flow's default, unsent, as upstream
// does for a provider without response_mode: some providers refuse a
// response_mode they do not list.
func responseMode(m domain.UpstreamResponseMode) oidc.ResponseMode {
	if m == domain.UpstreamResponseQuery {
		return ""
	}
	return oidc.ResponseMode(m)
}

// Compile compiles a provider's claims_imports and
// additional_authorization_parameters. Its errors are *claims.CompileError
// values naming the provider and the key; `config check` reports them too.
func Compile(id domain.ID, s *domain.UpstreamProviderSettings) (*claims.Mapper, *claims.AuthParams, error) {
	mapper, mapErr := claims.Compile(ClaimsOptions(id, s))
	params, paramErr := claims.CompileAuthParams(id.String(), s.AdditionalAuthorizationParameters, s.ForwardLoginHint)
	if err := errors.Join(mapErr, paramErr); err != nil {
		return nil, nil, err
	}
	return mapper, params, nil
}

// ClaimsOptions are the claims package's options for a provider's
// claims_imports.
func ClaimsOptions(id domain.ID, s *domain.UpstreamProviderSettings) claims.Options {
	c := s.ClaimsImports
	return claims.Options{
		ProviderID:       id.String(),
		SubjectTemplate:  c.SubjectTemplate,
		SkipConfirmation: c.SkipConfirmation,
		Localpart: claims.LocalpartOptions{
			Action:     claims.Action(c.Localpart.Action),
			Template:   c.Localpart.Template,
			OnConflict: claims.OnConflict(c.Localpart.OnConflict),
		},
		Displayname: claims.AttributeOptions{Action: claims.Action(c.Displayname.Action), Template: c.Displayname.Template},
		Email: claims.EmailOptions{
			Action:       claims.Action(c.Email.Action),
			Template:     c.Email.Template,
			Verification: claims.EmailVerification(c.Email.Verification),
		},
		AccountNameTemplate: c.AccountNameTemplate,
	}
}

// Lookup returns the enabled provider id.
func (r *Registry) Lookup(id domain.ID) (*Provider, bool) {
	if r == nil {
		return nil, false
	}
	p, ok := r.byID[id]
	return p, ok
}

// List returns the enabled providers in their UI order.
func (r *Registry) List() []*Provider {
	if r == nil {
		return nil
	}
	return append([]*Provider(nil), r.list...)
}
