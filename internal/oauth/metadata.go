package oauth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"

	"mas/internal/keys"
)

// Client authentication methods (RFC 7591 §2, OpenID Connect Core §9).
const (
	authMethodNone              = "none"
	authMethodClientSecretBasic = "client_secret_basic"
	authMethodClientSecretPost  = "client_secret_post"
	authMethodClientSecretJWT   = "client_secret_jwt"
	authMethodPrivateKeyJWT     = "private_key_jwt"
)

// Registration defaults (RFC 7591 §2, OpenID Connect Registration §2).
const (
	defaultAuthMethod      = authMethodClientSecretBasic
	defaultApplicationType = "web"
)

// metadataKind says how a client metadata field is decoded and normalised.
type metadataKind int

const (
	kindString metadataKind = iota + 1
	kindURL
	kindStringList
	kindURLList
	kindBool
	kindInt
	kindJWKS
	kindResponseTypes
)

type metadataField struct {
	kind metadataKind
	// localizable fields may carry "#<language tag>" variants
	// (OpenID Connect Registration §2.1).
	localizable bool
	// set lists are sorted before hashing: their order carries no meaning,
	// so two registrations differing only in order are the same client.
	set bool
}

// metadataFields are the client metadata this server understands (the IANA
// registry entries upstream reads). Anything else in a registration request
// is ignored, as RFC 7591 §2 asks.
var metadataFields = map[string]metadataField{
	"redirect_uris":                         {kind: kindURLList, set: true},
	"response_types":                        {kind: kindResponseTypes, set: true},
	"grant_types":                           {kind: kindStringList, set: true},
	"application_type":                      {kind: kindString},
	"contacts":                              {kind: kindStringList, set: true},
	"client_name":                           {kind: kindString, localizable: true},
	"logo_uri":                              {kind: kindURL, localizable: true},
	"client_uri":                            {kind: kindURL, localizable: true},
	"policy_uri":                            {kind: kindURL, localizable: true},
	"tos_uri":                               {kind: kindURL, localizable: true},
	"jwks_uri":                              {kind: kindURL},
	"jwks":                                  {kind: kindJWKS},
	"software_id":                           {kind: kindString},
	"software_version":                      {kind: kindString},
	"sector_identifier_uri":                 {kind: kindURL},
	"subject_type":                          {kind: kindString},
	"token_endpoint_auth_method":            {kind: kindString},
	"token_endpoint_auth_signing_alg":       {kind: kindString},
	"id_token_signed_response_alg":          {kind: kindString},
	"id_token_encrypted_response_alg":       {kind: kindString},
	"id_token_encrypted_response_enc":       {kind: kindString},
	"userinfo_signed_response_alg":          {kind: kindString},
	"userinfo_encrypted_response_alg":       {kind: kindString},
	"userinfo_encrypted_response_enc":       {kind: kindString},
	"request_object_signing_alg":            {kind: kindString},
	"request_object_encryption_alg":         {kind: kindString},
	"request_object_encryption_enc":         {kind: kindString},
	"default_max_age":                       {kind: kindInt},
	"require_auth_time":                     {kind: kindBool},
	"default_acr_values":                    {kind: kindStringList, set: true},
	"initiate_login_uri":                    {kind: kindURL},
	"request_uris":                          {kind: kindURLList, set: true},
	"require_signed_request_object":         {kind: kindBool},
	"require_pushed_authorization_requests": {kind: kindBool},
	"introspection_signed_response_alg":     {kind: kindString},
	"introspection_encrypted_response_alg":  {kind: kindString},
	"introspection_encrypted_response_enc":  {kind: kindString},
	"post_logout_redirect_uris":             {kind: kindURLList, set: true},
}

// localizableFields lists the fields with language variants, in the order
// they are checked and reported.
var localizableFields = []string{"client_name", "logo_uri", "client_uri", "policy_uri", "tos_uri"}

// languageTagPattern accepts well-formed BCP 47 tags by their shape
// (subtags of 1 to 8 letters or digits, starting with a letter); it does
// not check them against the subtag registry.
var languageTagPattern = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$`)

// clientMetadata is a decoded registration request. Values are kept in the
// shapes JSON decoding produces (string, bool, int64, []any of strings,
// map[string]any for jwks), keyed by field name, with language variants
// under their "name#tag" key. Absent and null fields are missing.
type clientMetadata map[string]any

// metadataError is a registration request the server refuses; code is
// invalid_client_metadata or invalid_redirect_uri.
func metadataError(code ErrorCode, format string, args ...any) *Error {
	return newError(code, 0, fmt.Sprintf(format, args...))
}

func invalidMetadata(format string, args ...any) *Error {
	return metadataError(ErrInvalidClientMetadata, format, args...)
}

// parseClientMetadata decodes the fields this server knows from a JSON
// object, checking each value's type and normalising URLs.
func parseClientMetadata(raw map[string]json.RawMessage) (clientMetadata, *Error) {
	md := clientMetadata{}
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	// Sorted so that the first error reported does not depend on map order.
	slices.Sort(names)
	for _, key := range names {
		name, tag, localized := strings.Cut(key, "#")
		field, known := metadataFields[name]
		if !known || (localized && !field.localizable) {
			continue
		}
		if localized && !languageTagPattern.MatchString(tag) {
			return nil, invalidMetadata("invalid language tag %q in field %q", tag, key)
		}
		value := bytes.TrimSpace(raw[key])
		if bytes.Equal(value, []byte("null")) {
			continue
		}
		v, err := decodeMetadataValue(field.kind, value)
		if err != nil {
			return nil, invalidMetadata("invalid value for field %q: %s", key, err)
		}
		md[key] = v
	}
	for _, name := range localizableFields {
		if _, ok := md[name]; ok {
			continue
		}
		for key := range md {
			if strings.HasPrefix(key, name+"#") {
				return nil, invalidMetadata("missing non-localized variant of field %q", name)
			}
		}
	}
	return md, nil
}

func decodeMetadataValue(kind metadataKind, value json.RawMessage) (any, error) {
	switch kind {
	case kindString:
		var s string
		if err := json.Unmarshal(value, &s); err != nil {
			return nil, fmt.Errorf("expected a string")
		}
		return s, nil
	case kindURL:
		var s string
		if err := json.Unmarshal(value, &s); err != nil {
			return nil, fmt.Errorf("expected a URL string")
		}
		return normalizeClientURL(s)
	case kindStringList, kindURLList, kindResponseTypes:
		var l []string
		if err := json.Unmarshal(value, &l); err != nil {
			return nil, fmt.Errorf("expected an array of strings")
		}
		out := make([]any, len(l))
		for i, s := range l {
			var err error
			switch kind {
			case kindURLList:
				out[i], err = normalizeClientURL(s)
			case kindResponseTypes:
				out[i], err = normalizeResponseType(s)
			default:
				out[i] = s
			}
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	case kindBool:
		var b bool
		if err := json.Unmarshal(value, &b); err != nil {
			return nil, fmt.Errorf("expected a boolean")
		}
		return b, nil
	case kindInt:
		var n int64
		if err := json.Unmarshal(value, &n); err != nil {
			return nil, fmt.Errorf("expected an integer")
		}
		return n, nil
	case kindJWKS:
		var set map[string]any
		if err := json.Unmarshal(value, &set); err != nil || set == nil {
			return nil, fmt.Errorf("expected a JWK Set object")
		}
		if _, err := keys.ParseJWKS(value); err != nil {
			return nil, err
		}
		return set, nil
	}
	return nil, fmt.Errorf("unsupported field")
}

// normalizeClientURL parses an absolute URL and writes it the way a WHATWG
// URL parser would (which upstream uses, and whose output the policies
// were written against): lowercase scheme and host, no default port, "/"
// as the empty path of http(s) URLs.
func normalizeClientURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid URL", s)
	}
	if u.Scheme == "" {
		return "", fmt.Errorf("%q is not an absolute URL", s)
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		if u.Host == "" || u.Hostname() == "" {
			return "", fmt.Errorf("%q has no host", s)
		}
		host := strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		port := u.Port()
		if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
			port = ""
		}
		if port != "" {
			host += ":" + port
		}
		u.Host = host
		if u.Path == "" && u.Opaque == "" {
			u.Path = "/"
		}
	}
	return u.String(), nil
}

// normalizeResponseType checks a response_types entry (a space-separated
// set of code, id_token and token, or "none" alone) and writes its values
// in a fixed order.
func normalizeResponseType(s string) (string, error) {
	parts := strings.Fields(s)
	if len(parts) == 0 {
		return "", fmt.Errorf("empty response type")
	}
	seen := map[string]bool{}
	for _, p := range parts {
		switch p {
		case "code", "id_token", "token", "none":
		default:
			return "", fmt.Errorf("unknown response type %q", p)
		}
		if seen[p] {
			return "", fmt.Errorf("response type %q repeats %q", s, p)
		}
		seen[p] = true
	}
	if seen["none"] {
		if len(parts) > 1 {
			return "", fmt.Errorf("response type %q combines none with other values", s)
		}
		return "none", nil
	}
	var out []string
	for _, p := range []string{"code", "id_token", "token"} {
		if seen[p] {
			out = append(out, p)
		}
	}
	return strings.Join(out, " "), nil
}

func (md clientMetadata) str(key string) string {
	s, _ := md[key].(string)
	return s
}

func (md clientMetadata) has(key string) bool {
	_, ok := md[key]
	return ok
}

func (md clientMetadata) list(key string) []string {
	l, _ := md[key].([]any)
	out := make([]string, 0, len(l))
	for _, v := range l {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// grantTypes applies the default: authorization_code only.
func (md clientMetadata) grantTypes() []string {
	if !md.has("grant_types") {
		return []string{grantTypeAuthorizationCode}
	}
	return md.list("grant_types")
}

// authMethod applies the default, client_secret_basic.
func (md clientMetadata) authMethod() string {
	if m := md.str("token_endpoint_auth_method"); m != "" {
		return m
	}
	return defaultAuthMethod
}

// dropGrantType removes a grant type the server does not offer.
func (md clientMetadata) dropGrantType(grant string) bool {
	l, ok := md["grant_types"].([]any)
	if !ok || !slices.Contains(l, any(grant)) {
		return false
	}
	md["grant_types"] = slices.DeleteFunc(slices.Clone(l), func(v any) bool { return v == grant })
	return true
}

// digest is the SHA-256 (hex) of the canonical JSON of the metadata: keys
// sorted (encoding/json sorts map keys) and set-like lists sorted, so that
// registrations differing only in order or in ignored fields hash alike.
func (md clientMetadata) digest() string {
	canon := make(map[string]any, len(md))
	for key, v := range md {
		name, _, _ := strings.Cut(key, "#")
		if l, ok := v.([]any); ok && metadataFields[name].set {
			sorted := make([]string, 0, len(l))
			for _, s := range l {
				sorted = append(sorted, s.(string))
			}
			slices.Sort(sorted)
			v = sorted
		}
		canon[key] = v
	}
	b, err := json.Marshal(canon)
	if err != nil {
		// Only decoded JSON values are stored; they always marshal.
		panic(fmt.Sprintf("oauth: marshalling client metadata: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// policyInput is the metadata as the client_registration policy reads it.
func (md clientMetadata) policyInput() map[string]any {
	out := make(map[string]any, len(md))
	for k, v := range md {
		out[k] = v
	}
	return out
}

// supportedAuthMethods are the token_endpoint_auth_method values a client
// can register: those authenticateClient implements.
var supportedAuthMethods = []string{
	authMethodNone, authMethodClientSecretBasic, authMethodClientSecretPost,
	authMethodClientSecretJWT, authMethodPrivateKeyJWT,
}

func isHMACAlg(alg string) bool { return alg == "HS256" || alg == "HS384" || alg == "HS512" }

// validate applies the structural rules of RFC 7591 and OpenID Connect
// Registration §2 that do not depend on policy. signingAlgs are the
// algorithms the server can sign ID tokens and userinfo responses with;
// allowInsecureURIs is the policy's client_registration.allow_insecure_uris,
// which lets jwks_uri use plain http.
func (md clientMetadata) validate(signingAlgs []string, allowInsecureURIs bool) *Error {
	grants := md.grantTypes()
	hasImplicit := slices.Contains(grants, grantTypeImplicit)
	hasCode := slices.Contains(grants, grantTypeAuthorizationCode)

	if md.has("redirect_uris") {
		for _, uri := range md.list("redirect_uris") {
			if strings.Contains(uri, "#") {
				return metadataError(ErrInvalidRedirectURI, "redirect URI with fragment: %s", uri)
			}
		}
	} else if hasCode || hasImplicit {
		return metadataError(ErrInvalidRedirectURI, "redirect URIs are missing")
	}

	responseTypes := md.list("response_types")
	if !md.has("response_types") && (hasCode || hasImplicit) {
		responseTypes = []string{"code"}
	}
	for _, rt := range responseTypes {
		hasCodeRT := strings.Contains(rt, "code")
		hasIDToken := strings.Contains(rt, "id_token")
		hasToken := slices.Contains(strings.Fields(rt), "token")
		ok := hasCodeRT && hasCode && hasImplicit ||
			!hasCodeRT && hasImplicit ||
			hasCode && !hasIDToken && !hasToken ||
			!hasCodeRT && !hasIDToken && !hasToken
		if !ok {
			return invalidMetadata("'%s' response type not compatible with grant types", rt)
		}
	}

	if md.has("jwks_uri") && md.has("jwks") {
		return invalidMetadata("jwks_uri and jwks are mutually exclusive")
	}
	// The keys at jwks_uri authenticate the client: fetched over plain
	// http, anyone on the path could swap in their own. The fetch enforces
	// the same rule (checkJWKSScheme); refusing here tells the client now.
	// Normalisation lowercased the scheme.
	if u := md.str("jwks_uri"); md.has("jwks_uri") {
		switch {
		case strings.HasPrefix(u, "https:"):
		case strings.HasPrefix(u, "http:") && allowInsecureURIs:
		case strings.HasPrefix(u, "http:"):
			return invalidMetadata("jwks_uri's URL doesn't use a https scheme: %s", u)
		default:
			return invalidMetadata("jwks_uri is not an http(s) URL: %s", u)
		}
	}
	for _, key := range []string{"sector_identifier_uri", "initiate_login_uri"} {
		if u := md.str(key); md.has(key) && !strings.HasPrefix(u, "https:") {
			return invalidMetadata("%s's URL doesn't use a https scheme: %s", key, u)
		}
	}

	method := md.authMethod()
	if !slices.Contains(supportedAuthMethods, method) {
		return invalidMetadata("unsupported token_endpoint_auth_method %q", method)
	}
	if method == authMethodPrivateKeyJWT {
		if !md.has("jwks_uri") && !md.has("jwks") {
			return invalidMetadata("missing JWK Set for token auth method")
		}
		if set, ok := md["jwks"].(map[string]any); ok {
			b, _ := json.Marshal(set)
			if pk, err := keys.ParseJWKS(b); err != nil || pk.Len() == 0 {
				return invalidMetadata("the jwks has no key usable to verify client assertions")
			}
		}
	}
	signingAlg := md.str("token_endpoint_auth_signing_alg")
	switch {
	case md.has("token_endpoint_auth_signing_alg") && signingAlg == "none":
		return invalidMetadata("none signing alg unauthorized for token_endpoint")
	case !md.has("token_endpoint_auth_signing_alg") &&
		(method == authMethodPrivateKeyJWT || method == authMethodClientSecretJWT):
		return invalidMetadata("token_endpoint missing auth signing algorithm")
	case md.has("token_endpoint_auth_signing_alg") && !slices.Contains(clientAuthSigningAlgsSupported, signingAlg):
		return invalidMetadata("unsupported token_endpoint_auth_signing_alg %q", signingAlg)
	case method == authMethodClientSecretJWT && !isHMACAlg(signingAlg):
		return invalidMetadata("client_secret_jwt needs an HMAC token_endpoint_auth_signing_alg, not %q", signingAlg)
	case method == authMethodPrivateKeyJWT && isHMACAlg(signingAlg):
		return invalidMetadata("private_key_jwt needs an asymmetric token_endpoint_auth_signing_alg, not %q", signingAlg)
	}

	idTokenAlg := md.str("id_token_signed_response_alg")
	if idTokenAlg == "none" && slices.ContainsFunc(responseTypes, func(rt string) bool { return strings.Contains(rt, "id_token") }) {
		return invalidMetadata("ID Token signing alg is none")
	}
	// Unsigned ID tokens and userinfo responses are not offered, and a
	// client asking for an algorithm no configured key has could never
	// get its tokens: refuse both now rather than fail every token request.
	for _, key := range []string{"id_token_signed_response_alg", "userinfo_signed_response_alg"} {
		alg := md.str(key)
		if md.has(key) && !slices.Contains(signingAlgs, alg) {
			return invalidMetadata("unsupported %s %q: the server signs with %s", key, alg, strings.Join(signingAlgs, ", "))
		}
	}
	for _, what := range []string{"id_token", "userinfo", "request_object", "introspection"} {
		encKey, algKey := what+"_encrypted_response_enc", what+"_encrypted_response_alg"
		if what == "request_object" {
			encKey, algKey = "request_object_encryption_enc", "request_object_encryption_alg"
		}
		if md.has(encKey) && !md.has(algKey) {
			return invalidMetadata("%s missing encryption alg value", what)
		}
	}

	if at := md.str("application_type"); md.has("application_type") && at != "web" && at != "native" {
		return invalidMetadata("unsupported application_type %q", at)
	}
	return nil
}

// publicSuffixError reports the first URL whose host is a public suffix
// (like "com" or "github.io"): such a host is shared by unrelated parties,
// so it cannot identify a client.
func (md clientMetadata) publicSuffixError() *Error {
	for _, name := range localizableFields[1:] { // client_name is not a URL
		for key, v := range md {
			if key != name && !strings.HasPrefix(key, name+"#") {
				continue
			}
			if s, ok := v.(string); ok && hostIsPublicSuffix(s) {
				return invalidMetadata("%s is not using a valid domain", name)
			}
		}
	}
	if hostIsPublicSuffix(md.str("initiate_login_uri")) {
		return invalidMetadata("initiate_login_uri is not using a valid domain")
	}
	for _, uri := range md.list("redirect_uris") {
		if hostIsPublicSuffix(uri) {
			return metadataError(ErrInvalidRedirectURI, "redirect_uri is not using a valid domain")
		}
	}
	return nil
}

// hostIsPublicSuffix reports whether the host of rawURL is itself on the
// Public Suffix List. Hosts the list does not know (localhost, internal
// names), IP literals and URLs without a host are fine.
func hostIsPublicSuffix(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	host = strings.TrimSuffix(host, ".")
	host = strings.TrimPrefix(host, ".")
	if host == "" || net.ParseIP(host) != nil {
		return false
	}
	suffix, icann := publicsuffix.PublicSuffix(host)
	if suffix != host {
		return false
	}
	// Without a matching rule the list falls back to the last label and
	// reports it as a private (non-ICANN) suffix; real private entries
	// (github.io) always have more than one label.
	return icann || strings.Contains(suffix, ".")
}
