package importupstream

import (
	"encoding/json"
	"fmt"

	"mas/internal/domain"
)

// Upstream keeps each provider's settings in columns of their own; this
// service keeps the ones the login flow needs in one JSON document
// (domain.UpstreamProviderSettings). The configuration is the truth for
// providers on both sides: config sync (at every start) rewrites a
// configured provider from the configuration and disables one that is
// not configured, so the document built here only matters until then.
var providersTable = &table{
	name: "upstream_oauth_providers", pk: true, noun: "upstream providers", one: "upstream provider",
	cols: []column{
		id("upstream_oauth_provider_id"), col("issuer", kindText), later(col("human_name", kindText), "NULL"),
		later(col("brand_name", kindText), "NULL"), col("scope", kindText), col("client_id", kindText),
		col("encrypted_client_secret", kindText), col("token_endpoint_auth_method", kindText),
		col("created_at", kindTime), col("disabled_at", kindTime), later(col("ui_order", kindInt), "0"),
		// Read into the settings document only.
		settingsOnly("token_endpoint_signing_alg", kindText, "NULL"),
		settingsOnly("id_token_signed_response_alg", kindText, "'RS256'"),
		settingsOnly("fetch_userinfo", kindBool, "FALSE"),
		settingsOnly("userinfo_signed_response_alg", kindText, "NULL"),
		settingsOnly("claims_imports", kindJSON, "'{}'::jsonb"),
		settingsOnly("jwks_uri_override", kindText, "NULL"),
		settingsOnly("authorization_endpoint_override", kindText, "NULL"),
		settingsOnly("token_endpoint_override", kindText, "NULL"),
		settingsOnly("userinfo_endpoint_override", kindText, "NULL"),
		settingsOnly("discovery_mode", kindText, "'oidc'"),
		settingsOnly("pkce_mode", kindText, "'auto'"),
		settingsOnly("response_mode", kindText, "NULL"),
		settingsOnly("additional_parameters", kindJSON, "NULL"),
		settingsOnly("forward_login_hint", kindBool, "FALSE"),
		settingsOnly("on_backchannel_logout", kindText, "'do_nothing'"),
		settingsOnly("registration_token_required", kindBool, "FALSE"),
	},
	extra: []string{"settings"},
	build: buildProvider,
}

func settingsOnly(name string, k kind, def string) column {
	return column{src: name, kind: k, def: def}
}

// buildProvider is the provider's row with its settings document.
func buildProvider(v values) ([]any, []string, error) {
	var warnings []string
	warn := func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) }
	s := domain.UpstreamProviderSettings{
		DiscoveryMode:               domain.UpstreamDiscoveryMode(orDefault(v.str("discovery_mode"), "oidc")),
		PKCEMethod:                  pkceMethod(v.str("pkce_mode")),
		ResponseMode:                domain.UpstreamResponseMode(orDefault(v.str("response_mode"), "query")),
		AuthorizationEndpoint:       v.str("authorization_endpoint_override"),
		TokenEndpoint:               v.str("token_endpoint_override"),
		UserinfoEndpoint:            v.str("userinfo_endpoint_override"),
		JWKSURI:                     v.str("jwks_uri_override"),
		TokenEndpointAuthSigningAlg: v.str("token_endpoint_signing_alg"),
		IDTokenSignedResponseAlg:    orDefault(v.str("id_token_signed_response_alg"), "RS256"),
		FetchUserinfo:               v.flag("fetch_userinfo"),
		UserinfoSignedResponseAlg:   v.str("userinfo_signed_response_alg"),
		ForwardLoginHint:            v.flag("forward_login_hint"),
		OnBackchannelLogout:         domain.UpstreamBackchannelLogout(orDefault(v.str("on_backchannel_logout"), "do_nothing")),
		RegistrationTokenRequired:   v.flag("registration_token_required"),
	}
	params, err := additionalParameters(v.str("additional_parameters"))
	if err != nil {
		warn("its additional authorization parameters are not carried over (%v)", err)
	}
	s.AdditionalAuthorizationParameters = params
	if s.ClaimsImports, err = claimsImports(v.str("claims_imports")); err != nil {
		warn("its claims imports are not carried over, the defaults apply (%v)", err)
		s.ClaimsImports, _ = claimsImports("{}")
	}
	if v.str("token_endpoint_auth_method") == "sign_in_with_apple" {
		warn("its Sign in with Apple key is not carried over")
	}
	doc, err := s.Encode()
	if err != nil {
		// A value this service does not know (a newer upstream's): the
		// row is kept, with settings that say so when the flow reads them.
		warn("its settings are not understood here (%v)", err)
		doc = fmt.Sprintf(`{"version": %d, "unknown": true}`, domain.UpstreamSettingsVersion)
	}
	return append(v.written(), doc), warnings, nil
}

// pkceMethod maps upstream's stored PKCE modes (auto, s256, disabled) to
// the configuration's names this service stores.
func pkceMethod(mode string) domain.UpstreamPKCEMethod {
	switch mode {
	case "s256", "S256", "always":
		return domain.UpstreamPKCEAlways
	case "disabled", "never":
		return domain.UpstreamPKCENever
	default:
		return domain.UpstreamPKCEAuto
	}
}

// additionalParameters reads upstream's stored parameters: a list of
// [name, value] pairs, or an object.
func additionalParameters(doc string) (map[string]string, error) {
	if doc == "" || doc == "null" {
		return nil, nil
	}
	var pairs [][2]string
	if err := json.Unmarshal([]byte(doc), &pairs); err == nil {
		if len(pairs) == 0 {
			return nil, nil
		}
		m := make(map[string]string, len(pairs))
		for _, p := range pairs {
			m[p[0]] = p[1]
		}
		return m, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return nil, fmt.Errorf("neither pairs nor an object: %s", doc)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// upstreamClaimsImports is how upstream stores claims_imports.
type upstreamClaimsImports struct {
	Subject struct {
		Template string `json:"template"`
	} `json:"subject"`
	SkipConfirmation bool `json:"skip_confirmation"`
	Localpart        struct {
		Action     string `json:"action"`
		Template   string `json:"template"`
		OnConflict string `json:"on_conflict"`
	} `json:"localpart"`
	Displayname upstreamImport `json:"displayname"`
	Email       upstreamImport `json:"email"`
	AccountName struct {
		Template string `json:"template"`
	} `json:"account_name"`
}

type upstreamImport struct {
	Action   string `json:"action"`
	Template string `json:"template"`
}

func claimsImports(doc string) (domain.UpstreamClaimsImports, error) {
	var u upstreamClaimsImports
	if doc != "" {
		if err := json.Unmarshal([]byte(doc), &u); err != nil {
			return domain.UpstreamClaimsImports{}, err
		}
	}
	action := func(a string) domain.UpstreamImportAction {
		return domain.UpstreamImportAction(orDefault(a, string(domain.UpstreamImportIgnore)))
	}
	return domain.UpstreamClaimsImports{
		SubjectTemplate:  orDefault(u.Subject.Template, "{{ user.sub }}"),
		SkipConfirmation: u.SkipConfirmation,
		Localpart: domain.UpstreamLocalpartImport{
			Action:     action(u.Localpart.Action),
			Template:   orDefault(u.Localpart.Template, "{{ user.preferred_username }}"),
			OnConflict: domain.UpstreamOnConflict(orDefault(u.Localpart.OnConflict, string(domain.UpstreamConflictFail))),
		},
		Displayname: domain.UpstreamAttributeImport{
			Action:   action(u.Displayname.Action),
			Template: orDefault(u.Displayname.Template, "{{ user.name }}"),
		},
		Email: domain.UpstreamEmailImport{
			Action:       action(u.Email.Action),
			Template:     orDefault(u.Email.Template, "{{ user.email }}"),
			Verification: domain.UpstreamEmailVerificationImport,
		},
		AccountNameTemplate: u.AccountName.Template,
	}, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
