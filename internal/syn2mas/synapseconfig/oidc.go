package synapseconfig

import (
	"fmt"
	"slices"
)

// legacyJinjaMappingProvider is the old module name Synapse still accepts
// for JinjaMappingProvider.
const legacyJinjaMappingProvider = "synapse.handlers.oidc_handler.JinjaOidcMappingProvider"

// idpID is the auth_provider Synapse writes in user_external_ids for a
// provider: "oidc" when the idp_id is absent or "oidc", "oidc-<idp_id>"
// otherwise (synapse/config/oidc.py, _parse_oidc_config_dict).
func idpID(configured string) string {
	if configured == "" || configured == "oidc" {
		return "oidc"
	}
	return "oidc-" + configured
}

// oidcProviders reads oidc_providers and the legacy oidc_config, sorted by
// IdP ID as upstream's map orders them.
func (r *reader) oidcProviders(root section) []OIDCProvider {
	var out []OIDCProvider
	// The legacy section counts, as in upstream, when it names an issuer
	// and a client (Synapse also wants enabled: true; Enabled records it).
	// Its IdP ID follows the same rule as oidc_providers: Synapse parses
	// both with one function, so an idp_id "x" there is stored as
	// "oidc-x". (Upstream's syn2mas keeps the bare "x", which matches no
	// row Synapse ever wrote.)
	if legacy, ok := root.sub("oidc_config"); ok && legacy.has("issuer") && legacy.has("client_id") {
		p := r.oidcProvider(legacy)
		p.Enabled = legacy.boolean("enabled", false)
		out = append(out, p)
	}
	if v, ok := root.value("oidc_providers"); ok {
		list, isList := v.([]any)
		if !isList {
			root.wrongType("oidc_providers", "a list", v)
		}
		for i, item := range list {
			path := fmt.Sprintf("oidc_providers[%d]", i)
			m, isMap := item.(map[string]any)
			if !isMap {
				r.fail(path, "expected a mapping, found %s", describe(item))
				continue
			}
			p := r.oidcProvider(section{r: r, path: path, m: m})
			p.Enabled = true
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b OIDCProvider) int {
		switch {
		case a.IdpID < b.IdpID:
			return -1
		case a.IdpID > b.IdpID:
			return 1
		}
		return 0
	})
	for i := 1; i < len(out); i++ {
		if out[i].IdpID == out[i-1].IdpID {
			// Synapse refuses to start with this.
			r.fail("oidc_providers", "Multiple OIDC providers have the idp_id %q.", out[i].IdpID)
		}
	}
	return out
}

// oidcProvider reads one provider with Synapse's defaults.
func (r *reader) oidcProvider(s section) OIDCProvider {
	p := OIDCProvider{
		IdpID:                 idpID(s.str("idp_id", "")),
		IdpName:               s.str("idp_name", "OIDC"),
		IdpBrand:              s.str("idp_brand", ""),
		Issuer:                s.str("issuer", ""),
		ClientID:              s.str("client_id", ""),
		ClientSecret:          s.str("client_secret", ""),
		ClientSecretPath:      s.str("client_secret_path", ""),
		ClientSecretJWTKey:    jwtKey(s),
		Scopes:                s.strList("scopes", []string{"openid"}),
		Discover:              s.boolean("discover", true),
		SkipVerification:      s.boolean("skip_verification", false),
		PKCEMethod:            s.str("pkce_method", "auto"),
		UserProfileMethod:     s.str("user_profile_method", "auto"),
		AuthorizationEndpoint: s.str("authorization_endpoint", ""),
		TokenEndpoint:         s.str("token_endpoint", ""),
		UserinfoEndpoint:      s.str("userinfo_endpoint", ""),
		JWKSURI:               s.str("jwks_uri", ""),

		IDTokenSigningAlgValuesSupported:  s.strList("id_token_signing_alg_values_supported", nil),
		AllowExistingUsers:                s.boolean("allow_existing_users", false),
		EnableRegistration:                s.boolean("enable_registration", true),
		HasAttributeRequirements:          s.has("attribute_requirements"),
		BackchannelLogoutEnabled:          s.boolean("backchannel_logout_enabled", false),
		BackchannelLogoutIgnoreSub:        s.boolean("backchannel_logout_ignore_sub", false),
		AdditionalAuthorizationParameters: s.strMap("additional_authorization_parameters"),
		ForwardLoginHint:                  s.boolean("forward_login_hint", false),
		UserMappingModule:                 JinjaMappingProvider,
	}
	hasSecret := s.has("client_secret") || s.has("client_secret_path") || p.ClientSecretJWTKey != nil
	switch {
	case s.has("client_auth_method"):
		p.ClientAuthMethod = s.str("client_auth_method", "")
	case hasSecret:
		p.ClientAuthMethod = "client_secret_basic"
	default:
		p.ClientAuthMethod = "none"
	}
	if ump, ok := s.sub("user_mapping_provider"); ok {
		if m := ump.str("module", JinjaMappingProvider); m != legacyJinjaMappingProvider {
			p.UserMappingModule = m
		}
		if cfg, ok := ump.sub("config"); ok {
			p.UserMapping = cfg.m
		}
	}
	return p
}

func jwtKey(s section) *JWTKey {
	k, ok := s.sub("client_secret_jwt_key")
	if !ok {
		return nil
	}
	return &JWTKey{
		Key:     k.str("key", ""),
		KeyFile: k.str("key_file", ""),
		Header:  k.strMap("jwt_header"),
		Payload: k.strMap("jwt_payload"),
	}
}

// IdpIDs lists the providers' IdP IDs, sorted.
func (c *Config) IdpIDs() []string {
	ids := make([]string, len(c.OIDCProviders))
	for i, p := range c.OIDCProviders {
		ids[i] = p.IdpID
	}
	slices.Sort(ids)
	return ids
}

// MappingString returns a string option of UserMapping (e.g.
// localpart_template); ok is false when it is absent or not a string.
func (p *OIDCProvider) MappingString(key string) (value string, ok bool) {
	value, ok = p.UserMapping[key].(string)
	return value, ok
}

// MappingBool returns a boolean option of UserMapping (e.g.
// confirm_localpart), false when absent or not a boolean.
func (p *OIDCProvider) MappingBool(key string) bool {
	b, _ := asBool(p.UserMapping[key])
	return b
}
