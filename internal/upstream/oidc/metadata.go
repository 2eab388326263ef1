package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	// metadataTTL is how long fetched metadata is used before refetching.
	metadataTTL = time.Hour
	// failureTTL is how long a failed fetch (metadata or JWK Set) is
	// remembered, so that an unreachable provider is asked at most once
	// in that time instead of once per login attempt.
	failureTTL = 30 * time.Second
)

// Metadata is what we use of the provider's metadata, with the
// configured endpoint overrides applied.
type Metadata struct {
	Issuer                string
	AuthorizationEndpoint string
	TokenEndpoint         string
	UserinfoEndpoint      string
	JWKSURI               string
	EndSessionEndpoint    string
	// CodeChallengeMethodsSupported drives pkce_method auto.
	CodeChallengeMethodsSupported []string
	ResponseModesSupported        []string
}

// discoveryDoc is the part of an OpenID Provider Metadata document that
// is read or checked. Absent members are empty.
type discoveryDoc struct {
	Issuer                                        string   `json:"issuer"`
	AuthorizationEndpoint                         string   `json:"authorization_endpoint"`
	TokenEndpoint                                 string   `json:"token_endpoint"`
	JWKSURI                                       string   `json:"jwks_uri"`
	UserinfoEndpoint                              string   `json:"userinfo_endpoint"`
	RegistrationEndpoint                          string   `json:"registration_endpoint"`
	RevocationEndpoint                            string   `json:"revocation_endpoint"`
	IntrospectionEndpoint                         string   `json:"introspection_endpoint"`
	EndSessionEndpoint                            string   `json:"end_session_endpoint"`
	PushedAuthorizationRequestEndpoint            string   `json:"pushed_authorization_request_endpoint"`
	ScopesSupported                               []string `json:"scopes_supported"`
	ResponseTypesSupported                        []string `json:"response_types_supported"`
	ResponseModesSupported                        []string `json:"response_modes_supported"`
	SubjectTypesSupported                         []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported              []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethodsSupported                 []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported             []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgValuesSupported    []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	RevocationEndpointAuthMethodsSupported        []string `json:"revocation_endpoint_auth_methods_supported"`
	RevocationEndpointAuthSigningAlgValuesSupp    []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
	IntrospectionEndpointAuthMethodsSupported     []string `json:"introspection_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthSigningAlgValuesSupp []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
}

// metadataCache holds the last good metadata and the last failure. Its
// lock is held during a fetch, so concurrent logins wait for one request
// instead of each sending their own.
type metadataCache struct {
	mu      sync.Mutex
	good    *Metadata
	goodAt  time.Time
	failed  error
	failAt  time.Time
	fetches int // for tests
}

// Metadata returns the provider's endpoints: the configured overrides,
// completed by discovery unless it is disabled. Metadata is cached for an
// hour; a failed fetch is cached for 30 seconds, during which the last good
// metadata, if any, is still served.
func (p *Provider) Metadata(ctx context.Context) (*Metadata, error) {
	if p.opts.DiscoveryMode == DiscoveryDisabled {
		return p.withOverrides(&Metadata{Issuer: p.opts.Issuer}), nil
	}
	c := &p.meta
	c.mu.Lock()
	defer c.mu.Unlock()
	now := p.clock.Now()
	if c.good != nil && now.Sub(c.goodAt) < metadataTTL {
		return c.good, nil
	}
	if c.failed != nil && now.Sub(c.failAt) < failureTTL {
		if c.good != nil {
			return c.good, nil
		}
		return nil, c.failed
	}
	c.fetches++
	m, err := p.discover(ctx)
	if err != nil {
		c.failed, c.failAt = err, now
		if c.good != nil {
			return c.good, nil
		}
		return nil, err
	}
	c.good, c.goodAt, c.failed = m, now, nil
	return m, nil
}

// DiscoveryURL returns where the discovery document of issuer lives: a
// trailing slash of the issuer is dropped before the well-known suffix.
func DiscoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

func (p *Provider) discover(ctx context.Context) (*Metadata, error) {
	body, err := p.get(ctx, DiscoveryURL(p.opts.Issuer), "discovery", KindBadMetadata)
	if err != nil {
		return nil, err
	}
	var doc discoveryDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, p.fail(KindBadMetadata, err, "discovery document is not valid metadata JSON")
	}
	if p.opts.DiscoveryMode == DiscoveryOIDC {
		if err := p.validateStrict(&doc); err != nil {
			return nil, p.fail(KindBadMetadata, nil, "%s (discovery_mode insecure skips this check)", err)
		}
	}
	m := p.withOverrides(&Metadata{
		Issuer:                        doc.Issuer,
		AuthorizationEndpoint:         doc.AuthorizationEndpoint,
		TokenEndpoint:                 doc.TokenEndpoint,
		UserinfoEndpoint:              doc.UserinfoEndpoint,
		JWKSURI:                       doc.JWKSURI,
		EndSessionEndpoint:            doc.EndSessionEndpoint,
		CodeChallengeMethodsSupported: doc.CodeChallengeMethodsSupported,
		ResponseModesSupported:        doc.ResponseModesSupported,
	})
	if err := p.checkResolved(m); err != nil {
		return nil, err
	}
	return m, nil
}

func (p *Provider) withOverrides(m *Metadata) *Metadata {
	o := &p.opts
	for _, e := range []struct {
		dst      *string
		override string
	}{
		{&m.AuthorizationEndpoint, o.AuthorizationEndpoint},
		{&m.TokenEndpoint, o.TokenEndpoint},
		{&m.UserinfoEndpoint, o.UserinfoEndpoint},
		{&m.JWKSURI, o.JWKSURI},
	} {
		if e.override != "" {
			*e.dst = e.override
		}
	}
	return m
}

// checkResolved is the one check of insecure mode (and the last of oidc
// mode): every endpoint the configuration will use is known, from
// discovery or an override, and is an http(s) URL.
func (p *Provider) checkResolved(m *Metadata) error {
	for _, e := range []struct {
		name, value string
		needed      bool
	}{
		{"authorization_endpoint", m.AuthorizationEndpoint, true},
		{"token_endpoint", m.TokenEndpoint, true},
		{"userinfo_endpoint", m.UserinfoEndpoint, p.opts.FetchUserinfo},
		{"jwks_uri", m.JWKSURI, p.needsJWKS()},
	} {
		if e.value == "" {
			if e.needed {
				return p.fail(KindBadMetadata, nil, "the discovery document has no %s and none is configured", e.name)
			}
			continue
		}
		if err := absoluteHTTP(e.value); err != nil {
			return p.fail(KindBadMetadata, nil, "%s: %v", e.name, err)
		}
	}
	return nil
}

// validateStrict applies the checks of discovery_mode oidc, listed in
// the package documentation: upstream's (OpenID Connect Discovery 1.0 §3
// and §4.3) and two of ours (code, the configured ID token algorithm).
func (p *Provider) validateStrict(d *discoveryDoc) error {
	for _, f := range []struct {
		name    string
		present bool
	}{
		{"issuer", d.Issuer != ""},
		{"authorization_endpoint", d.AuthorizationEndpoint != ""},
		{"token_endpoint", d.TokenEndpoint != ""},
		{"jwks_uri", d.JWKSURI != ""},
		{"response_types_supported", d.ResponseTypesSupported != nil},
		{"subject_types_supported", d.SubjectTypesSupported != nil},
		{"id_token_signing_alg_values_supported", d.IDTokenSigningAlgValuesSupported != nil},
	} {
		if !f.present {
			return fmt.Errorf("the discovery document has no %s", f.name)
		}
	}
	if d.Issuer != p.opts.Issuer {
		return fmt.Errorf("the discovery document's issuer %q is not the configured issuer %q", d.Issuer, p.opts.Issuer)
	}
	for _, u := range []struct {
		name, value         string
		noQuery, noFragment bool
	}{
		{name: "issuer", value: d.Issuer, noQuery: true, noFragment: true},
		{name: "authorization_endpoint", value: d.AuthorizationEndpoint, noFragment: true},
		{name: "token_endpoint", value: d.TokenEndpoint, noFragment: true},
		{name: "jwks_uri", value: d.JWKSURI},
		{name: "registration_endpoint", value: d.RegistrationEndpoint},
		{name: "revocation_endpoint", value: d.RevocationEndpoint, noFragment: true},
		{name: "introspection_endpoint", value: d.IntrospectionEndpoint},
		{name: "userinfo_endpoint", value: d.UserinfoEndpoint},
		{name: "pushed_authorization_request_endpoint", value: d.PushedAuthorizationRequestEndpoint},
		{name: "end_session_endpoint", value: d.EndSessionEndpoint},
	} {
		if u.value == "" {
			continue
		}
		if err := strictURL(u.value, u.noQuery, u.noFragment); err != nil {
			return fmt.Errorf("%s: %v", u.name, err)
		}
	}
	if d.ScopesSupported != nil && !slices.Contains(d.ScopesSupported, "openid") {
		return fmt.Errorf("scopes_supported does not contain openid")
	}
	for _, s := range []struct {
		endpoint string
		algs     []string
		methods  []string
	}{
		{"token_endpoint", d.TokenEndpointAuthSigningAlgValuesSupported, d.TokenEndpointAuthMethodsSupported},
		{"revocation_endpoint", d.RevocationEndpointAuthSigningAlgValuesSupp, d.RevocationEndpointAuthMethodsSupported},
		{"introspection_endpoint", d.IntrospectionEndpointAuthSigningAlgValuesSupp, d.IntrospectionEndpointAuthMethodsSupported},
	} {
		if slices.Contains(s.algs, "none") {
			return fmt.Errorf("%s_auth_signing_alg_values_supported contains none", s.endpoint)
		}
		jwtAuth := slices.Contains(s.methods, "client_secret_jwt") || slices.Contains(s.methods, "private_key_jwt")
		if len(s.algs) == 0 && jwtAuth {
			return fmt.Errorf("%s_auth_signing_alg_values_supported is missing although JWT client authentication is supported", s.endpoint)
		}
	}
	if !slices.Contains(d.ResponseTypesSupported, "code") {
		return fmt.Errorf("response_types_supported does not contain code")
	}
	if alg := p.opts.IDTokenSignedResponseAlg; p.openID() && !slices.Contains(d.IDTokenSigningAlgValuesSupported, alg) {
		return fmt.Errorf("id_token_signing_alg_values_supported does not contain the configured %s", alg)
	}
	return nil
}

func strictURL(raw string, noQuery, noFragment bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	switch {
	case u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("%q does not use https", u.Redacted())
	case noQuery && u.RawQuery != "":
		return fmt.Errorf("%q has a query", u.Redacted())
	case noFragment && u.Fragment != "":
		return fmt.Errorf("%q has a fragment", u.Redacted())
	}
	return nil
}
