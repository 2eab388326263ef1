package oidc

import (
	"context"
	"mime"
	"net/http"
	"strings"
)

// fetchUserinfo asks the userinfo endpoint about the user. With
// userinfo_signed_response_alg the answer must be an application/jwt
// signed with that algorithm whose iss and aud are checked like an ID
// token's (exp too, when present); otherwise it is a JSON object, whatever
// its content type says unless it is application/jwt (a signed answer we
// were not told to expect: the operator should set the algorithm).
func (p *Provider) fetchUserinfo(ctx context.Context, m *Metadata, accessToken string) (map[string]any, error) {
	const what = "userinfo"
	if m.UserinfoEndpoint == "" {
		return nil, p.fail(KindConfig, nil, "fetch_userinfo is on but the provider has no userinfo_endpoint")
	}
	req, err := http.NewRequest(http.MethodGet, m.UserinfoEndpoint, nil)
	if err != nil {
		return nil, p.fail(KindConfig, err, "invalid userinfo_endpoint")
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	alg := p.opts.UserinfoSignedResponseAlg
	if alg != "" {
		req.Header.Set("Accept", "application/jwt")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	r, err := p.send(ctx, req, what)
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusOK {
		return nil, p.fail(KindBadResponse, nil, "the userinfo endpoint answered HTTP %d", r.status)
	}
	ct, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	if alg == "" {
		if ct == "application/jwt" {
			return nil, p.fail(KindBadResponse, nil, "the userinfo response is a signed JWT: set userinfo_signed_response_alg")
		}
		return p.decodeClaims(r.body, what)
	}
	if ct != "application/jwt" {
		return nil, p.fail(KindBadResponse, nil, "expected a signed (application/jwt) userinfo response, got %q", providerText(ct))
	}
	return p.verifiedClaims(ctx, m, strings.TrimSpace(string(r.body)), alg, what, false)
}
