package oidc

import (
	"context"
	"time"
)

// backchannelLogoutEvent is the member a logout token's events claim
// must hold.
const backchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// LogoutToken is what a valid back-channel logout token names. At least
// one of Subject and SessionID is set.
type LogoutToken struct {
	Subject   string
	SessionID string
	// JTI lets the caller refuse a replayed token (always set).
	JTI string
	// Expiry is the token's exp: a replay needs remembering until then.
	Expiry time.Time
}

// ValidateLogoutToken checks a back-channel logout token (OpenID Connect
// Back-Channel Logout 1.0 §2.6): signed like an ID token (same algorithm,
// same keys, never none), iss, aud and azp as for an ID token, exp and iat
// present and valid, an events object holding the back-channel logout
// event, sub or sid (or both) and no nonce. It returns the sub and sid.
func (p *Provider) ValidateLogoutToken(ctx context.Context, token string) (*LogoutToken, error) {
	const what = "logout token"
	m, err := p.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	c, err := p.verifiedClaims(ctx, m, token, p.opts.IDTokenSignedResponseAlg, what, true)
	if err != nil {
		return nil, err
	}
	events, ok := c["events"]
	if !ok {
		return nil, p.fail(KindMissingClaim, nil, "the logout token has no events claim")
	}
	obj, ok := events.(map[string]any)
	if !ok {
		return nil, p.fail(KindInvalidClaim, nil, "the logout token's events claim is not an object")
	}
	if ev, ok := obj[backchannelLogoutEvent]; !ok {
		return nil, p.fail(KindMissingClaim, nil, "the logout token's events claim has no %s member", backchannelLogoutEvent)
	} else if _, ok := ev.(map[string]any); !ok {
		return nil, p.fail(KindInvalidClaim, nil, "the logout token's %s event is not an object", backchannelLogoutEvent)
	}
	if _, present := c["nonce"]; present {
		return nil, p.fail(KindInvalidClaim, nil, "the logout token carries a nonce, which logout tokens must not (is it an ID token?)")
	}
	lt := &LogoutToken{}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"sub", &lt.Subject}, {"sid", &lt.SessionID}, {"jti", &lt.JTI}} {
		if *f.dst, _, err = p.stringClaim(c, f.name, what); err != nil {
			return nil, err
		}
	}
	// verifiedClaims checked exp; it is present and valid.
	if lt.Expiry, _, err = p.timeClaim(c, "exp", what); err != nil {
		return nil, err
	}
	if lt.JTI == "" {
		// Required by Back-Channel Logout 1.0 §2.4: without it a captured
		// token could be replayed until it expires.
		return nil, p.fail(KindMissingClaim, nil, "the logout token has no jti claim")
	}
	if lt.Subject == "" && lt.SessionID == "" {
		return nil, p.fail(KindMissingClaim, nil, "the logout token has neither sub nor sid")
	}
	return lt, nil
}
