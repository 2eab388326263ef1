package oauth

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"mas/internal/routes"
)

// discoveryMaxAge is how long clients and proxies may cache the discovery
// documents and the JWKS. They only change when the configuration does,
// which needs a restart; an hour bounds how long a removed endpoint or a
// rotated key stays advertised.
const discoveryMaxAge = 3600

// jwksMaxAge is shorter than discoveryMaxAge: after a key rotation, relying
// parties that cached the set would reject ID tokens signed with the new
// key until they fetch it again.
const jwksMaxAge = 600

// Values advertised in the discovery document. The client authentication
// methods and assertion algorithms are those authenticateClient accepts.
var (
	clientAuthMethodsSupported = []string{
		authMethodClientSecretBasic,
		authMethodClientSecretPost,
		authMethodClientSecretJWT,
		authMethodPrivateKeyJWT,
		authMethodNone,
	}
	clientAuthSigningAlgsSupported = []string{
		"HS256", "HS384", "HS512",
		"RS256", "RS384", "RS512",
		"PS256", "PS384", "PS512",
		"ES256", "ES384", "ES256K",
	}
	// accountManagementActions must follow what the account SPA handles
	// (MSC4191); the last three are the unstable names, kept while
	// clients move to the stable ones.
	accountManagementActions = []string{
		"org.matrix.profile",
		"org.matrix.devices_list",
		"org.matrix.device_view",
		"org.matrix.device_delete",
		"org.matrix.cross_signing_reset",
		"org.matrix.sessions_list",
		"org.matrix.session_view",
		"org.matrix.session_end",
	}
)

const (
	grantTypeAuthorizationCode = "authorization_code"
	grantTypeRefreshToken      = "refresh_token"
	grantTypeClientCredentials = "client_credentials"
	grantTypeImplicit          = "implicit"
	grantTypeDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
)

// providerMetadata is the OpenID Connect Discovery / RFC 8414 document.
// Field order follows upstream's serialisation so that the documents read
// the same side by side.
type providerMetadata struct {
	Issuer                                             string   `json:"issuer"`
	AuthorizationEndpoint                              string   `json:"authorization_endpoint"`
	TokenEndpoint                                      string   `json:"token_endpoint"`
	JWKSURI                                            string   `json:"jwks_uri"`
	RegistrationEndpoint                               string   `json:"registration_endpoint"`
	ScopesSupported                                    []string `json:"scopes_supported"`
	ResponseTypesSupported                             []string `json:"response_types_supported"`
	ResponseModesSupported                             []string `json:"response_modes_supported"`
	GrantTypesSupported                                []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported                  []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgValuesSupported         []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	RevocationEndpoint                                 string   `json:"revocation_endpoint"`
	RevocationEndpointAuthMethodsSupported             []string `json:"revocation_endpoint_auth_methods_supported"`
	RevocationEndpointAuthSigningAlgValuesSupported    []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
	IntrospectionEndpoint                              string   `json:"introspection_endpoint"`
	IntrospectionEndpointAuthMethodsSupported          []string `json:"introspection_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthSigningAlgValuesSupported []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
	CodeChallengeMethodsSupported                      []string `json:"code_challenge_methods_supported"`
	UserinfoEndpoint                                   string   `json:"userinfo_endpoint"`
	SubjectTypesSupported                              []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported                   []string `json:"id_token_signing_alg_values_supported"`
	UserinfoSigningAlgValuesSupported                  []string `json:"userinfo_signing_alg_values_supported"`
	DisplayValuesSupported                             []string `json:"display_values_supported"`
	ClaimTypesSupported                                []string `json:"claim_types_supported"`
	ClaimsSupported                                    []string `json:"claims_supported"`
	ClaimsParameterSupported                           bool     `json:"claims_parameter_supported"`
	RequestParameterSupported                          bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported                       bool     `json:"request_uri_parameter_supported"`
	PromptValuesSupported                              []string `json:"prompt_values_supported"`
	DeviceAuthorizationEndpoint                        string   `json:"device_authorization_endpoint,omitempty"`

	AccountManagementURI              string   `json:"account_management_uri"`
	AccountManagementActionsSupported []string `json:"account_management_actions_supported"`
}

// providerMetadata builds the discovery document from the configuration.
func (h *Handler) providerMetadata() *providerMetadata {
	u := h.URLs
	var signingAlgs []string
	if h.Keys != nil {
		signingAlgs = h.Keys.Algorithms()
	}
	if signingAlgs == nil {
		signingAlgs = []string{}
	}

	grants := []string{grantTypeAuthorizationCode, grantTypeRefreshToken, grantTypeClientCredentials}
	deviceEndpoint := ""
	if h.Settings.DeviceCodeGrantEnabled {
		grants = append(grants, grantTypeDeviceCode)
		deviceEndpoint = u.Absolute(routes.OAuth2DeviceAuthorization)
	}
	// prompt=create leads to the registration pages, when they are open.
	prompts := []string{"login"}
	if h.Settings.RegistrationEnabled {
		prompts = append(prompts, "create")
	}

	return &providerMetadata{
		Issuer:                            u.Issuer(),
		AuthorizationEndpoint:             u.Absolute(routes.Authorize),
		TokenEndpoint:                     u.Absolute(routes.OAuth2Token),
		JWKSURI:                           u.Absolute(routes.OAuth2Keys),
		RegistrationEndpoint:              u.Absolute(routes.OAuth2Registration),
		ScopesSupported:                   []string{"openid", "email"},
		ResponseTypesSupported:            []string{"code", "id_token", "code id_token"},
		ResponseModesSupported:            []string{"form_post", "query", "fragment"},
		GrantTypesSupported:               grants,
		TokenEndpointAuthMethodsSupported: clientAuthMethodsSupported,
		TokenEndpointAuthSigningAlgValuesSupported:         clientAuthSigningAlgsSupported,
		RevocationEndpoint:                                 u.Absolute(routes.OAuth2Revocation),
		RevocationEndpointAuthMethodsSupported:             clientAuthMethodsSupported,
		RevocationEndpointAuthSigningAlgValuesSupported:    clientAuthSigningAlgsSupported,
		IntrospectionEndpoint:                              u.Absolute(routes.OAuth2Introspection),
		IntrospectionEndpointAuthMethodsSupported:          clientAuthMethodsSupported,
		IntrospectionEndpointAuthSigningAlgValuesSupported: clientAuthSigningAlgsSupported,
		CodeChallengeMethodsSupported:                      []string{"plain", "S256"},
		UserinfoEndpoint:                                   u.Absolute(routes.OAuth2UserInfo),
		SubjectTypesSupported:                              []string{"public"},
		IDTokenSigningAlgValuesSupported:                   signingAlgs,
		UserinfoSigningAlgValuesSupported:                  signingAlgs,
		DisplayValuesSupported:                             []string{"page"},
		ClaimTypesSupported:                                []string{"normal"},
		ClaimsSupported:                                    []string{"iss", "sub", "aud", "iat", "exp", "nonce", "auth_time", "at_hash", "c_hash"},
		ClaimsParameterSupported:                           false,
		RequestParameterSupported:                          false,
		RequestURIParameterSupported:                       false,
		PromptValuesSupported:                              prompts,
		DeviceAuthorizationEndpoint:                        deviceEndpoint,
		AccountManagementURI:                               u.Absolute(routes.Account),
		AccountManagementActionsSupported:                  accountManagementActions,
	}
}

// discovery serves both /.well-known/openid-configuration and the RFC 8414
// /.well-known/oauth-authorization-server with the same document.
func (h *Handler) discovery(w http.ResponseWriter, r *http.Request) {
	writePublicJSON(w, "application/json", discoveryMaxAge, h.providerMetadata())
}

// writePublicJSON writes a response that is the same for every requester
// and may be cached.
func writePublicJSON(w http.ResponseWriter, contentType string, maxAge int, v any) {
	body, err := marshalNoEscape(v)
	if err != nil {
		// Only values built by this package get here; they always marshal.
		writeError(w, serverError())
		return
	}
	writePublicBytes(w, contentType, maxAge, body)
}

func writePublicBytes(w http.ResponseWriter, contentType string, maxAge int, body []byte) {
	hdr := w.Header()
	hdr.Set("Content-Type", contentType)
	hdr.Set("Cache-Control", "public, max-age="+strconv.Itoa(maxAge))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // the client went away; nothing to do
}

// marshalNoEscape is json.Marshal without the HTML escaping of <, > and &,
// which would only make URLs harder to read, with a trailing newline like
// writeJSON's encoder.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
