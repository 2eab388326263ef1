package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Result is what a successful Exchange learnt about the user.
type Result struct {
	// IDToken is the raw ID token, empty when the provider sent none. The
	// flow stores it (upstream keeps it for the session) but must never
	// log it.
	IDToken string
	// IDTokenClaims are the validated ID token's claims (nil without ID
	// token).
	IDTokenClaims map[string]any
	// Userinfo holds the userinfo claims when fetch_userinfo is on.
	Userinfo map[string]any
	// Subject is the ID token's sub, or the userinfo's without ID token.
	Subject string
}

// tokenResponse is what we read of a token endpoint answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token"`
}

// Exchange trades the callback's code for tokens (authenticating with the
// configured token_endpoint_auth_method), validates the ID token, fetches
// userinfo when configured, and returns the claims.
//
// The ID token is validated whenever the provider sends one: signature
// with id_token_signed_response_alg, iss, aud and azp, exp and iat (five
// minutes of leeway), sub, the nonce of s, at_hash and c_hash when
// present. A token response without ID token is accepted, as upstream
// does for OAuth 2.0-only providers (GitHub and the like): the claims then
// come from userinfo alone.
func (p *Provider) Exchange(ctx context.Context, s Session, code string) (*Result, error) {
	m, err := p.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := p.requestToken(ctx, m, s, code)
	if err != nil {
		return nil, err
	}
	res := &Result{IDToken: tok.IDToken}
	if tok.IDToken != "" {
		if res.IDTokenClaims, err = p.validateIDToken(ctx, m, tok, code, s.Nonce); err != nil {
			return nil, err
		}
		res.Subject, _ = res.IDTokenClaims["sub"].(string)
	}
	if p.opts.FetchUserinfo {
		if res.Userinfo, err = p.fetchUserinfo(ctx, m, tok.AccessToken); err != nil {
			return nil, err
		}
		sub, _ := res.Userinfo["sub"].(string)
		switch {
		case res.IDTokenClaims == nil:
			res.Subject = sub
		case sub != res.Subject:
			// OpenID Connect Core §5.3.2: the userinfo must not be used
			// unless its sub is exactly the ID token's.
			return nil, p.fail(KindSubjectMismatch, nil, "the userinfo sub %q is not the ID token's %q", providerText(sub), providerText(res.Subject))
		}
	}
	if res.IDTokenClaims == nil && res.Userinfo == nil {
		return nil, p.fail(KindMissingClaim, nil, "the token response has no id_token and fetch_userinfo is off: nothing says who the user is")
	}
	return res, nil
}

func (p *Provider) requestToken(ctx context.Context, m *Metadata, s Session, code string) (*tokenResponse, error) {
	form := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {s.RedirectURI},
	}
	if s.CodeVerifier != "" {
		form.Set("code_verifier", s.CodeVerifier)
	}
	header := http.Header{}
	if err := p.authenticate(form, header, m.TokenEndpoint); err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, m.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, p.fail(KindConfig, err, "invalid token_endpoint")
	}
	req.Header = header
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	r, err := p.send(ctx, req, "token")
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusOK {
		var oauthErr struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(r.body, &oauthErr)
		e := p.fail(KindTokenRefused, nil, "the token endpoint answered HTTP %d", r.status)
		e.Code, e.Description = providerText(oauthErr.Error), providerText(oauthErr.Description)
		return nil, e
	}
	var tok tokenResponse
	if err := json.Unmarshal(r.body, &tok); err != nil {
		// The body may hold tokens: say what failed, not what was sent.
		return nil, p.fail(KindBadResponse, nil, "the token response is not valid JSON")
	}
	if tok.AccessToken == "" {
		return nil, p.fail(KindBadResponse, nil, "the token response has no access_token")
	}
	return &tok, nil
}

// validateIDToken applies the checks listed on Exchange.
func (p *Provider) validateIDToken(ctx context.Context, m *Metadata, tok *tokenResponse, code, nonce string) (map[string]any, error) {
	const what = "ID token"
	alg := p.opts.IDTokenSignedResponseAlg
	c, err := p.verifiedClaims(ctx, m, tok.IDToken, alg, what, true)
	if err != nil {
		return nil, err
	}
	if _, err := p.requireString(c, "sub", what); err != nil {
		return nil, err
	}
	if nonce != "" {
		got, present, err := p.stringClaim(c, "nonce", what)
		switch {
		case err != nil:
			return nil, err
		case !present:
			return nil, p.fail(KindWrongNonce, nil, "the ID token has no nonce, but one was sent")
		case subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1:
			return nil, p.fail(KindWrongNonce, nil, "the ID token's nonce is not the one sent with this login")
		}
	}
	if err := p.checkTokenHash(c, "at_hash", tok.AccessToken, alg); err != nil {
		return nil, err
	}
	if err := p.checkTokenHash(c, "c_hash", code, alg); err != nil {
		return nil, err
	}
	return c, nil
}
