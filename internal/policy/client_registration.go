package policy

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// ClientRegistrationInput describes a client registering itself through
// OAuth 2.0 dynamic client registration.
type ClientRegistrationInput struct {
	// ClientMetadata is the registration request's metadata as a JSON
	// object (RFC 7591 field names). Values of any JSON-representable Go
	// type are accepted; a null field counts as absent.
	ClientMetadata map[string]any
	Requester      Requester
}

// ClientMetadataFromJSON decodes a registration request body into the form
// ClientRegistrationInput takes.
func ClientMetadataFromJSON(raw json.RawMessage) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}

const (
	msgMissingClientURI     = "missing client_uri"
	msgPublicClientCreds    = "client_credentials grant_type requires some form of client authentication"
	msgMissingRedirectURIs  = "missing redirect_uris"
	msgRedirectURIsNotArray = "invalid redirect_uris: it must be an array"
	msgRedirectURIsEmpty    = "invalid redirect_uris: it must have at least one redirect_uri"
	msgInvalidRedirectURI   = "invalid redirect_uri"
)

// ClientRegistration checks a client's URIs, redirect URIs and grant types
// against the `client_registration` knobs, and the requester.
func (e *Engine) ClientRegistration(in ClientRegistrationInput) []Violation {
	c := clientCheck{k: e.knobs(), md: canonicalMetadata(in.ClientMetadata)}
	var vs violations

	clientURI, hasClientURI := c.get("client_uri")
	if !c.k.allowMissingClientURI && !truthy(clientURI, hasClientURI) {
		vs.msg(msgMissingClientURI)
	}
	if hasClientURI && !c.secure(clientURI) {
		vs.msg("invalid client_uri")
	}
	for _, key := range []string{"tos_uri", "policy_uri", "logo_uri"} {
		v, ok := c.get(key)
		if !ok {
			continue
		}
		if !c.secure(v) {
			vs.msg("invalid " + key)
		}
		if !c.sameHost(v) {
			vs.msg(key + " not on the same host as the client_uri")
		}
	}

	if c.usesGrant(GrantTypeClientCredentials) {
		if m, _ := c.get("token_endpoint_auth_method"); m == "none" {
			vs.msg(msgPublicClientCreds)
		}
	}

	needsRedirects := c.usesGrant(GrantTypeAuthorizationCode) || c.usesGrant("implicit")
	redirects, hasRedirects := c.get("redirect_uris")
	if needsRedirects && !truthy(redirects, hasRedirects) {
		vs.msg(msgMissingRedirectURIs)
	}
	if hasRedirects {
		if _, ok := redirects.([]any); !ok {
			vs.msg(msgRedirectURIsNotArray)
		}
		if n, ok := count(redirects); needsRedirects && ok && n == 0 {
			vs.msg(msgRedirectURIsEmpty)
		}
		for _, uri := range members(redirects) {
			if !c.validRedirect(uri) {
				vs.add(Violation{Msg: msgInvalidRedirectURI, RedirectURI: asText(uri)})
			}
		}
	}

	c.k.requesterViolations(&vs, in.Requester)
	return vs
}

type clientCheck struct {
	k  *knobs
	md map[string]any
}

func (c clientCheck) get(key string) (any, bool) {
	v, ok := c.md[key]
	return v, ok && v != nil
}

// usesGrant applies the registration default: no grant_types means
// authorization_code.
func (c clientCheck) usesGrant(grant string) bool {
	grants, ok := c.get("grant_types")
	if !truthy(grants, ok) {
		return grant == GrantTypeAuthorizationCode
	}
	return slices.Contains(members(grants), any(grant))
}

// secure requires https on a real host. Non-default ports are fine.
func (c clientCheck) secure(v any) bool {
	if c.k.allowInsecureURIs {
		return true
	}
	u, ok := parseClientURI(v)
	return ok && u.scheme == "https" && !isLoopbackHost(u.host) && u.host != "0.0.0.0"
}

// sameHost requires v's host to be the client_uri's host or a subdomain of
// it. Upstream's rule also waives the check whenever
// allow_missing_client_uri is set, even if a client_uri is given; that is
// kept so that the same registrations pass.
func (c clientCheck) sameHost(v any) bool {
	if c.k.allowHostMismatch || c.k.allowMissingClientURI {
		return true
	}
	cu, _ := c.get("client_uri")
	base, ok := parseClientURI(cu)
	if !ok {
		return false
	}
	u, ok := parseClientURI(v)
	return ok && isSubdomain(base.host, u.host)
}

func (c clientCheck) validRedirect(v any) bool {
	if at, _ := c.get("application_type"); at == "native" && c.nativeRedirect(v) {
		return true
	}
	return c.secure(v) && c.sameHost(v)
}

// nativeRedirect accepts the two extra forms native apps use (RFC 8252):
// plain http on a loopback host, any port; or a private-use scheme named
// after the client_uri host in reverse (com.example.app:/cb for
// https://example.com/), with no authority.
func (c clientCheck) nativeRedirect(v any) bool {
	u, ok := parseClientURI(v)
	if !ok {
		return false
	}
	if u.scheme == "http" && isLoopbackHost(u.host) {
		return true
	}
	if u.scheme == "http" || u.scheme == "https" || u.authority != "" {
		return false
	}
	cu, _ := c.get("client_uri")
	base, ok := parseClientURI(cu)
	return ok && reverseDNSMatch(base.host, u.scheme)
}

// clientURI holds the parts of a URI the rules look at.
type clientURI struct {
	scheme, authority, host, port string
}

// clientURIPattern is deliberately narrower than RFC 3986, matching what
// upstream accepts: a lowercase scheme; optionally "//" and a lowercase DNS
// name or a loopback literal, with a port; an optional path of letters,
// digits, "/", "." and "-"; an optional query. No userinfo, no fragment
// outside the query, no uppercase host.
var clientURIPattern = func() *regexp.Regexp {
	const (
		scheme = `([a-z][a-z0-9+.-]*)`
		label  = `(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])`
		host   = `((?:` + label + `\.)*` + label + `|127\.0\.0\.1|0\.0\.0\.0|\[::1\])`
		port   = `(?::([0-9]+))?`
		path   = `(?:/[A-Za-z0-9/.-]*)?`
		query  = `(?:\?[-a-zA-Z0-9()@:%_+.~#?&/=]*)?`
	)
	return regexp.MustCompile(`^` + scheme + `:(?://(` + host + port + `))?` + path + query + `$`)
}()

func parseClientURI(v any) (clientURI, bool) {
	s, ok := v.(string)
	if !ok {
		return clientURI{}, false
	}
	m := clientURIPattern.FindStringSubmatch(s)
	if m == nil {
		return clientURI{}, false
	}
	return clientURI{scheme: m[1], authority: m[2], host: m[3], port: m[4]}, true
}

func isLoopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "[::1]"
}

// isSubdomain reports whether sub is host or ends with "."+host, comparing
// whole labels.
func isSubdomain(host, sub string) bool {
	want := strings.Split(host, ".")
	slices.Reverse(want)
	have := strings.Split(sub, ".")
	slices.Reverse(have)
	return len(have) >= len(want) && slices.Equal(have[:len(want)], want)
}

// reverseDNSMatch reports whether scheme is host written backwards,
// possibly with more labels (com.example.app for example.com).
func reverseDNSMatch(host, scheme string) bool {
	want := strings.Split(host, ".")
	slices.Reverse(want)
	have := strings.Split(scheme, ".")
	return len(have) >= len(want) && slices.Equal(have[:len(want)], want)
}

// truthy is Rego's test of a value in a condition: present and not false.
func truthy(v any, present bool) bool {
	return present && v != false
}

// members lists what Rego's "some x in v" visits: array elements, or object
// values (in key order, for a stable result); nothing for scalars.
func members(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = v[k]
		}
		return out
	}
	return nil
}

// count is Rego's count: defined for collections and strings only.
func count(v any) (int, bool) {
	switch v := v.(type) {
	case []any:
		return len(v), true
	case map[string]any:
		return len(v), true
	case string:
		return len([]rune(v)), true
	}
	return 0, false
}

func asText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// canonicalMetadata gives the metadata the shapes JSON decoding produces
// ([]any, map[string]any, json.Number) whatever Go types the caller used.
func canonicalMetadata(md map[string]any) map[string]any {
	if md == nil {
		return nil
	}
	m, err := canonical(md)
	if err != nil {
		// Not representable as JSON: check what is there as is; values of
		// unexpected types simply fail the checks.
		return md
	}
	return m
}
