package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"slices"
)

// Session is what the flow keeps between the redirect to the provider and
// the callback (upstream stores it in upstream_oauth_authorization_sessions).
// All of it is secret until the callback.
type Session struct {
	// State is sent as the state parameter; the callback must return it.
	State string
	// Nonce is sent when the scope contains openid; the ID token must
	// carry it back. Empty otherwise.
	Nonce string
	// CodeVerifier is the PKCE verifier; empty when no challenge was sent.
	CodeVerifier string
	// RedirectURI is the callback URL sent with the request; the token
	// request must repeat it.
	RedirectURI string
}

// protocolParameters are the authorization request parameters this
// package sets; extra parameters never replace them.
var protocolParameters = []string{
	"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "response_mode",
}

// IsProtocolParameter reports whether name is one of the authorization
// request parameters AuthorizationURL sets itself, which extra parameters
// cannot override (configuration checks can warn about them).
func IsProtocolParameter(name string) bool {
	return slices.Contains(protocolParameters, name)
}

// AuthorizationURL builds the URL to send the browser to, and the Session
// to keep for the callback. It sends response_type=code, client_id,
// redirect_uri, scope, a fresh state, a fresh nonce (openid scope only), a
// PKCE S256 challenge per pkce_method and response_mode when configured.
// extra holds further parameters (rendered
// additional_authorization_parameters, login_hint); they are appended,
// and any named like a protocol parameter is dropped.
func (p *Provider) AuthorizationURL(ctx context.Context, redirectURI string, extra url.Values) (string, Session, error) {
	m, err := p.Metadata(ctx)
	if err != nil {
		return "", Session{}, err
	}
	u, err := url.Parse(m.AuthorizationEndpoint)
	if err != nil {
		return "", Session{}, p.fail(KindConfig, err, "invalid authorization_endpoint")
	}
	s := Session{State: randomString(), RedirectURI: redirectURI}
	q := url.Values{}
	for name, values := range extra {
		if !IsProtocolParameter(name) {
			q[name] = slices.Clone(values)
		}
	}
	q.Set("response_type", "code")
	q.Set("client_id", p.opts.ClientID)
	q.Set("redirect_uri", redirectURI)
	q.Set("scope", p.opts.Scope)
	q.Set("state", s.State)
	if p.openID() {
		s.Nonce = randomString()
		q.Set("nonce", s.Nonce)
	}
	if p.usePKCE(m) {
		s.CodeVerifier = randomString()
		sum := sha256.Sum256([]byte(s.CodeVerifier))
		q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
		q.Set("code_challenge_method", "S256")
	}
	if p.opts.ResponseMode != "" {
		q.Set("response_mode", string(p.opts.ResponseMode))
	}
	// Keep whatever query the endpoint already has.
	if u.RawQuery != "" {
		u.RawQuery += "&" + q.Encode()
	} else {
		u.RawQuery = q.Encode()
	}
	return u.String(), s, nil
}

func (p *Provider) usePKCE(m *Metadata) bool {
	switch p.opts.PKCEMethod {
	case PKCEAlways:
		return true
	case PKCENever:
		return false
	}
	return slices.Contains(m.CodeChallengeMethodsSupported, "S256")
}

// randomString returns 256 random bits, base64url encoded (43 characters,
// a valid PKCE verifier).
func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Callback is the provider's answer at the redirect URI.
type Callback struct {
	State string
	Code  string
	// Params holds every other parameter (for instance Sign in with
	// Apple's user), which the mapping templates may read.
	Params map[string]string
}

// ParseCallback reads the parameters the provider sent back: the query,
// or the form body with response_mode form_post (see ResponseMode). An
// error parameter gives KindAuthorizationDenied with the provider's code;
// a missing state or code gives KindBadResponse; an iss parameter (RFC
// 9207) other than the issuer gives KindWrongIssuer. The returned Callback
// carries the state even on error, so that the flow can find and end the
// session.
func (p *Provider) ParseCallback(v url.Values) (Callback, error) {
	cb := Callback{State: v.Get("state"), Code: v.Get("code"), Params: map[string]string{}}
	for name := range v {
		switch name {
		case "state", "code", "error", "error_description", "error_uri":
		default:
			cb.Params[name] = v.Get(name)
		}
	}
	if code := v.Get("error"); code != "" {
		return cb, &Error{
			Kind: KindAuthorizationDenied, Provider: p.opts.ID,
			Code:        providerText(code),
			Description: providerText(v.Get("error_description")),
			Msg:         "the provider returned an error to the callback",
		}
	}
	if iss := v.Get("iss"); iss != "" && p.opts.Issuer != "" && iss != p.opts.Issuer {
		return cb, p.fail(KindWrongIssuer, nil, "the callback's iss %q is not the configured issuer", providerText(iss))
	}
	if cb.State == "" {
		return cb, p.fail(KindBadResponse, nil, "the callback has no state")
	}
	if cb.Code == "" {
		return cb, p.fail(KindBadResponse, nil, "the callback has no code")
	}
	return cb, nil
}
