package cli

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/syn2mas/synapseconfig"
)

// upstreamProvider maps one Synapse OIDC provider onto an upstream
// provider, as upstream's syn2mas does (oidc.rs, into_mas_config), with
// Synapse's own semantics where upstream's differ (noted below). ok is
// false when the provider cannot be carried over at all.
func upstreamProvider(sp *synapseconfig.OIDCProvider, ids *domain.IDGenerator) (p config.UpstreamProvider, warnings []string, ok bool) {
	warn := func(format string, args ...any) {
		warnings = append(warnings, fmt.Sprintf("OIDC provider %s: ", sp.IdpID)+fmt.Sprintf(format, args...))
	}
	if sp.ClientID == "" || sp.Issuer == "" {
		warn("no issuer or client_id (Synapse requires both); not carried over")
		return p, warnings, false
	}
	p = config.UpstreamProvider{
		Enabled:                  sp.Enabled,
		ID:                       ids.New(time.Now()).String(),
		SynapseIdpID:             sp.IdpID,
		Issuer:                   sp.Issuer,
		HumanName:                sp.IdpName,
		BrandName:                sp.IdpBrand,
		ClientID:                 sp.ClientID,
		ClientSecret:             sp.ClientSecret,
		ClientSecretFile:         sp.ClientSecretPath,
		IDTokenSignedResponseAlg: "RS256",
		Scope:                    scopeOf(sp.Scopes, warn),
		DiscoveryMode:            config.DiscoveryOIDC,
		PKCEMethod:               config.PKCEAuto,
		AuthorizationEndpoint:    sp.AuthorizationEndpoint,
		TokenEndpoint:            sp.TokenEndpoint,
		UserinfoEndpoint:         sp.UserinfoEndpoint,
		JWKSURI:                  sp.JWKSURI,
		ForwardLoginHint:         sp.ForwardLoginHint,
		OnBackchannelLogout:      config.BackchannelDoNothing,
	}
	if !sp.Enabled {
		warn("the legacy oidc_config is not enabled in Synapse; written disabled, for its users' links")
	}
	switch {
	case !sp.Discover:
		p.DiscoveryMode = config.DiscoveryDisabled
	case sp.SkipVerification:
		p.DiscoveryMode = config.DiscoveryInsecure
	}
	switch m := config.PKCEMethod(sp.PKCEMethod); m {
	case config.PKCEAuto, config.PKCEAlways, config.PKCENever:
		p.PKCEMethod = m
	default:
		warn("pkce_method %q is not one of auto, always, never; using auto", sp.PKCEMethod)
	}
	clientAuth(&p, sp, warn)
	p.FetchUserinfo = fetchUserinfo(sp, p.Scope, warn)
	idTokenAlg(&p, sp, warn)
	authorizationParameters(&p, sp, warn)
	if sp.BackchannelLogoutEnabled {
		// Synapse logs out the devices of the ended provider session.
		p.OnBackchannelLogout = config.BackchannelLogoutAll
		warn("back-channel logout is enabled: point the provider's back-channel logout URL at this service instead of Synapse")
	}
	if sp.BackchannelLogoutIgnoreSub {
		warn("backchannel_logout_ignore_sub is not supported; ignored")
	}
	if sp.HasAttributeRequirements {
		warn("attribute_requirements is not supported; ignored: anyone the provider authenticates may log in")
	}
	if !sp.EnableRegistration {
		warn("enable_registration: false is not supported; ignored: the provider may register new users")
	}
	p.ClaimsImports = claimsImports(sp, warn)
	return p, warnings, true
}

// scopeOf joins Synapse's scopes, dropping (as upstream does) any that is
// not a valid scope token.
func scopeOf(scopes []string, warn func(string, ...any)) string {
	valid := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r == '\\' || r > '~' }) {
			warn("scope %q is not a valid scope token; dropped", s)
			continue
		}
		valid = append(valid, s)
	}
	return strings.Join(valid, " ")
}

// clientAuth sets how the client authenticates. Synapse's
// client_secret_jwt_key signs a JWT used as the client secret: that is
// Sign in with Apple's scheme, which has a method of its own here.
func clientAuth(p *config.UpstreamProvider, sp *synapseconfig.OIDCProvider, warn func(string, ...any)) {
	switch m := config.TokenAuthMethod(sp.ClientAuthMethod); m {
	case config.TokenAuthNone, config.TokenAuthClientSecretBasic, config.TokenAuthClientSecretPost:
		p.TokenEndpointAuthMethod = m
	default:
		warn("client_auth_method %q is not one of none, client_secret_basic, client_secret_post; using client_secret_basic", sp.ClientAuthMethod)
		p.TokenEndpointAuthMethod = config.TokenAuthClientSecretBasic
	}
	k := sp.ClientSecretJWTKey
	if k == nil {
		return
	}
	if strings.HasPrefix(sp.Issuer, "https://appleid.apple.com") && k.Header["alg"] == "ES256" &&
		k.Header["kid"] != "" && k.Payload["iss"] != "" && (k.Key != "" || k.KeyFile != "") {
		p.TokenEndpointAuthMethod = config.TokenAuthSignInWithApple
		p.ClientSecret, p.ClientSecretFile = "", ""
		p.SignInWithApple = &config.SignInWithApple{
			PrivateKey: k.Key, PrivateKeyFile: k.KeyFile,
			TeamID: k.Payload["iss"], KeyID: k.Header["kid"],
		}
		return
	}
	warn("client_secret_jwt_key is only carried over for Sign in with Apple (issuer https://appleid.apple.com, ES256, kid and iss); set the client authentication by hand")
}

// fetchUserinfo follows Synapse: the userinfo endpoint is read when
// user_profile_method says so, or when no ID token is asked for (no
// openid scope). Upstream's syn2mas turns "auto" the other way round.
func fetchUserinfo(sp *synapseconfig.OIDCProvider, scope string, warn func(string, ...any)) bool {
	noIDToken := !slices.Contains(strings.Fields(scope), "openid")
	switch sp.UserProfileMethod {
	case "userinfo_endpoint":
		return true
	case "auto":
	default:
		warn("user_profile_method %q is not one of auto, userinfo_endpoint; using auto", sp.UserProfileMethod)
	}
	return noIDToken
}

// idTokenAlg carries id_token_signing_alg_values_supported over when it
// names one algorithm: this service expects exactly one.
func idTokenAlg(p *config.UpstreamProvider, sp *synapseconfig.OIDCProvider, warn func(string, ...any)) {
	algs := sp.IDTokenSigningAlgValuesSupported
	switch {
	case len(algs) == 1:
		p.IDTokenSignedResponseAlg = config.JWSAlgorithm(algs[0])
	case len(algs) > 1 && !slices.Contains(algs, "RS256"):
		p.IDTokenSignedResponseAlg = config.JWSAlgorithm(algs[0])
		fallthrough
	case len(algs) > 1:
		warn("id_token_signing_alg_values_supported lists %d algorithms; only %s is accepted here", len(algs), p.IDTokenSignedResponseAlg)
	}
}

// authorizationParameters copies additional_authorization_parameters and
// moves a response_mode (there, or in the query of the authorization
// endpoint, as Synapse's Sign in with Apple example has it) to
// response_mode, which also makes the callback accept the POST.
func authorizationParameters(p *config.UpstreamProvider, sp *synapseconfig.OIDCProvider, warn func(string, ...any)) {
	mode := ""
	for k, v := range sp.AdditionalAuthorizationParameters {
		if k == "response_mode" {
			mode = v
			continue
		}
		if strings.Contains(v, "{{") || strings.Contains(v, "{%") || strings.Contains(v, "{#") {
			warn("additional_authorization_parameters.%s looks like a template, and values are templates here; dropped", k)
			continue
		}
		if p.AdditionalAuthorizationParameters == nil {
			p.AdditionalAuthorizationParameters = map[string]string{}
		}
		p.AdditionalAuthorizationParameters[k] = v
	}
	if u, err := url.Parse(p.AuthorizationEndpoint); err == nil && u.Query().Has("response_mode") {
		q := u.Query()
		mode = q.Get("response_mode")
		q.Del("response_mode")
		u.RawQuery = q.Encode()
		p.AuthorizationEndpoint = u.String()
	}
	switch m := config.ResponseMode(strings.ToLower(mode)); m {
	case "":
	case config.ResponseModeQuery, config.ResponseModeFormPost:
		p.ResponseMode = m
	default:
		warn("response_mode %q is not one of query, form_post; ignored", mode)
	}
}

// claimsImports translates the Jinja mapping provider's templates. Both
// sides are Jinja over `user` (the ID token claims and userinfo), so the
// templates carry over; what differs is handled in translateTemplate.
// Actions follow upstream: the localpart is required and the display name
// and email forced, or all three suggested with confirm_localpart.
func claimsImports(sp *synapseconfig.OIDCProvider, warn func(string, ...any)) config.ClaimsImports {
	ci := config.ClaimsImports{
		Localpart:   config.LocalpartImport{Action: config.ImportIgnore, OnConflict: config.ConflictFail},
		Displayname: config.AttributeImport{Action: config.ImportIgnore},
		Email:       config.EmailImport{Action: config.ImportIgnore},
	}
	if sp.UserMappingModule != synapseconfig.JinjaMappingProvider {
		warn("user_mapping_provider module %q is not supported; set claims_imports by hand to match what it does", sp.UserMappingModule)
		return ci
	}
	subjectClaim, hasClaim := sp.MappingString("subject_claim")
	if t, ok := sp.MappingString("subject_template"); ok {
		if hasClaim {
			warn("both subject_claim and subject_template are set; using subject_template")
		}
		ci.Subject.Template = translateTemplate(t)
	} else if hasClaim && subjectClaim != "sub" {
		ci.Subject.Template = "{{ " + claimRef(subjectClaim) + " }}"
	}
	confirm := sp.MappingBool("confirm_localpart")
	action := func(unconfirmed config.ImportAction) config.ImportAction {
		if confirm {
			return config.ImportSuggest
		}
		return unconfirmed
	}
	if t, ok := sp.MappingString("localpart_template"); ok {
		ci.Localpart.Template = lowercaseLocalpart(translateTemplate(t))
		ci.Localpart.Action = action(config.ImportRequire)
	}
	if sp.AllowExistingUsers {
		// Synapse then logs the user in to the account the localpart
		// names; linking to the holder is on_conflict add.
		if ci.Localpart.Action == config.ImportRequire {
			ci.Localpart.OnConflict = config.ConflictAdd
		} else {
			warn("allow_existing_users needs a localpart_template without confirm_localpart to carry over; ignored")
		}
	}
	if t, ok := sp.MappingString("display_name_template"); ok {
		ci.Displayname.Template = translateTemplate(t)
		ci.Displayname.Action = action(config.ImportForce)
	}
	if t, ok := sp.MappingString("email_template"); ok {
		ci.Email.Template = translateTemplate(t)
		ci.Email.Action = action(config.ImportForce)
	}
	return ci
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// claimRef reads a claim of `user`, in brackets when its name is not an
// identifier (e.g. "custom:id").
func claimRef(claim string) string {
	if identifier.MatchString(claim) {
		return "user." + claim
	}
	return "user['" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(claim) + "']"
}

// localpartFromEmail is Synapse's filter for templates, email.rsplit("@",
// 1)[0]. This template language lacks it; split('@') | first gives the
// same for every address with one @.
var localpartFromEmail = regexp.MustCompile(`\s*\|\s*localpart_from_email\b`)

func translateTemplate(t string) string {
	return localpartFromEmail.ReplaceAllString(t, " | split('@') | first")
}

// singleExpression is a template that is one {{ … }} and nothing else.
var singleExpression = regexp.MustCompile(`^\s*\{\{-?\s*((?:[^{}]|\{[^{%#]|\}[^}])*?)\s*-?\}\}\s*$`)

// lowercaseLocalpart lowercases what a one-expression localpart template
// renders: Synapse passes the rendered localpart through
// map_username_to_mxid_localpart, which lowercases it, and users created
// from a mixed-case claim have lowercase names there. (Characters invalid
// in a localpart are escaped by Synapse and refused here.) A template
// with more than one expression, or a conditional one, is left alone.
func lowercaseLocalpart(t string) string {
	m := singleExpression.FindStringSubmatch(t)
	if m == nil || strings.Contains(" "+m[1]+" ", " if ") || strings.HasSuffix(strings.ReplaceAll(m[1], " ", ""), "|lower") {
		return t
	}
	return "{{ (" + m[1] + ") | lower }}"
}
