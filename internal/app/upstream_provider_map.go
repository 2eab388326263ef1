package app

import (
	"cmp"
	"fmt"
	"maps"

	"mas/internal/config"
	"mas/internal/domain"
)

// wantedProvider is a configured provider as the database should hold it,
// with its secrets still in clear: they are encrypted only when written,
// because encryption is randomised and an unchanged provider is compared,
// not rewritten.
type wantedProvider struct {
	row      domain.UpstreamProvider
	settings domain.UpstreamProviderSettings
	enabled  bool
	// secret is the client secret, "" for methods without one.
	secret string
	// appleKey is the Sign in with Apple private key (PEM), nil otherwise.
	appleKey []byte
}

// wantedProviders reads every configured provider, its client secret and
// Sign in with Apple key included (files are read now, at sync time), in
// the configuration's order, which becomes the order on the login page.
func wantedProviders(providers []config.UpstreamProvider) ([]wantedProvider, error) {
	out := make([]wantedProvider, 0, len(providers))
	seen := map[domain.ID]int{}
	for i := range providers {
		p := &providers[i]
		path := fmt.Sprintf("upstream_oauth2.providers[%d]", i)
		id, err := domain.ParseID(p.ID)
		if err != nil {
			return nil, fmt.Errorf("%s.id: %w", path, err)
		}
		if first, dup := seen[id]; dup {
			return nil, fmt.Errorf("%s.id: provider %s is configured twice (also upstream_oauth2.providers[%d])", path, id, first)
		}
		seen[id] = i
		secret, err := p.ClientSecretValue()
		if err != nil {
			return nil, err
		}
		w := wantedProvider{
			row: domain.UpstreamProvider{
				ID:                      id,
				Issuer:                  p.Issuer,
				HumanName:               p.HumanName,
				BrandName:               p.BrandName,
				Scope:                   cmp.Or(p.Scope, "openid"),
				ClientID:                p.ClientID,
				TokenEndpointAuthMethod: string(p.TokenEndpointAuthMethod),
				UIOrder:                 i,
			},
			settings: providerSettings(p),
			enabled:  p.Enabled,
			secret:   secret,
		}
		if s := p.SignInWithApple; s != nil {
			if w.appleKey, err = s.PrivateKeyPEM(); err != nil {
				return nil, fmt.Errorf("%s.%w", path, err)
			}
			w.settings.SignInWithApple = &domain.UpstreamSignInWithApple{TeamID: s.TeamID, KeyID: s.KeyID}
		}
		out = append(out, w)
	}
	return out, nil
}

// providerSettings maps the flow's settings, with the defaults filled in
// for configurations built without them.
func providerSettings(p *config.UpstreamProvider) domain.UpstreamProviderSettings {
	ci := p.ClaimsImports
	s := domain.UpstreamProviderSettings{
		Version:                     domain.UpstreamSettingsVersion,
		SynapseIdpID:                p.SynapseIdpID,
		DiscoveryMode:               domain.UpstreamDiscoveryMode(cmp.Or(p.DiscoveryMode, config.DiscoveryOIDC)),
		PKCEMethod:                  domain.UpstreamPKCEMethod(cmp.Or(p.PKCEMethod, config.PKCEAuto)),
		ResponseMode:                domain.UpstreamResponseMode(cmp.Or(p.ResponseMode, config.ResponseModeQuery)),
		AuthorizationEndpoint:       p.AuthorizationEndpoint,
		TokenEndpoint:               p.TokenEndpoint,
		UserinfoEndpoint:            p.UserinfoEndpoint,
		JWKSURI:                     p.JWKSURI,
		TokenEndpointAuthSigningAlg: string(p.TokenEndpointAuthSigningAlg),
		IDTokenSignedResponseAlg:    string(cmp.Or(p.IDTokenSignedResponseAlg, "RS256")),
		FetchUserinfo:               p.FetchUserinfo,
		UserinfoSignedResponseAlg:   string(p.UserinfoSignedResponseAlg),
		ForwardLoginHint:            p.ForwardLoginHint,
		OnBackchannelLogout:         domain.UpstreamBackchannelLogout(cmp.Or(p.OnBackchannelLogout, config.BackchannelDoNothing)),
		RegistrationTokenRequired:   p.RegistrationTokenRequired,
		ClaimsImports: domain.UpstreamClaimsImports{
			SubjectTemplate:  cmp.Or(ci.Subject.Template, config.DefaultSubjectTemplate),
			SkipConfirmation: ci.SkipConfirmation,
			Localpart: domain.UpstreamLocalpartImport{
				Action:     importAction(ci.Localpart.Action),
				Template:   cmp.Or(ci.Localpart.Template, config.DefaultLocalpartTemplate),
				OnConflict: domain.UpstreamOnConflict(cmp.Or(ci.Localpart.OnConflict, config.ConflictFail)),
			},
			Displayname: domain.UpstreamAttributeImport{
				Action:   importAction(ci.Displayname.Action),
				Template: cmp.Or(ci.Displayname.Template, config.DefaultDisplaynameTemplate),
			},
			Email: domain.UpstreamEmailImport{
				Action:       importAction(ci.Email.Action),
				Template:     cmp.Or(ci.Email.Template, config.DefaultEmailTemplate),
				Verification: domain.UpstreamEmailVerification(ci.Email.Verification()),
			},
			AccountNameTemplate: ci.AccountName.Template,
		},
	}
	if len(p.AdditionalAuthorizationParameters) > 0 {
		s.AdditionalAuthorizationParameters = maps.Clone(p.AdditionalAuthorizationParameters)
	}
	return s
}

func importAction(a config.ImportAction) domain.UpstreamImportAction {
	return domain.UpstreamImportAction(cmp.Or(a, config.ImportIgnore))
}
