package oidc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"hash"
	"math"
	"strings"
	"time"
)

// leeway is the clock skew allowed on exp and iat (upstream's).
const leeway = 5 * time.Minute

// decodeClaims parses a JWT payload (or a userinfo document) as a JSON
// object.
func (p *Provider) decodeClaims(payload []byte, what string) (map[string]any, error) {
	var claims map[string]any
	d := json.NewDecoder(bytes.NewReader(payload))
	if err := d.Decode(&claims); err != nil || claims == nil || d.More() {
		return nil, p.fail(KindBadResponse, nil, "the %s is not a JSON object", what)
	}
	return claims, nil
}

// verifiedClaims verifies a JWT signed by the provider with alg and
// returns its claims once iss, aud, azp, exp and iat pass (exp and iat
// must be present when required).
func (p *Provider) verifiedClaims(ctx context.Context, m *Metadata, token, alg, what string, required bool) (map[string]any, error) {
	payload, err := p.verifyJWS(ctx, m, token, alg, what)
	if err != nil {
		return nil, err
	}
	c, err := p.decodeClaims(payload, what)
	if err != nil {
		return nil, err
	}
	if err := p.checkIssuerAudience(c, what); err != nil {
		return nil, err
	}
	if err := p.checkTimes(c, what, required, required); err != nil {
		return nil, err
	}
	return c, nil
}

// stringClaim returns a string claim; present but not a string is an
// error of KindInvalidClaim.
func (p *Provider) stringClaim(c map[string]any, name, what string) (string, bool, error) {
	v, ok := c[name]
	if !ok {
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", true, p.fail(KindInvalidClaim, nil, "the %s's %s claim is not a string", what, name)
	}
	return s, true, nil
}

// requireString returns a string claim that must be present and not
// empty.
func (p *Provider) requireString(c map[string]any, name, what string) (string, error) {
	s, present, err := p.stringClaim(c, name, what)
	if err != nil {
		return "", err
	}
	if !present || s == "" {
		return "", p.fail(KindMissingClaim, nil, "the %s has no %s claim", what, name)
	}
	return s, nil
}

// checkIssuerAudience checks iss (equal to the configured issuer; with
// no issuer configured, only present) and aud (containing our client_id),
// and azp: when present it must be our client_id (OpenID Connect Core
// §3.1.3.7).
func (p *Provider) checkIssuerAudience(c map[string]any, what string) error {
	iss, err := p.requireString(c, "iss", what)
	if err != nil {
		return err
	}
	if p.opts.Issuer != "" && iss != p.opts.Issuer {
		return p.fail(KindWrongIssuer, nil, "the %s's iss %q is not the configured issuer %q", what, providerText(iss), p.opts.Issuer)
	}
	aud, ok := c["aud"]
	if !ok {
		return p.fail(KindMissingClaim, nil, "the %s has no aud claim", what)
	}
	var auds []any
	switch a := aud.(type) {
	case string:
		auds = []any{a}
	case []any:
		auds = a
	default:
		return p.fail(KindInvalidClaim, nil, "the %s's aud claim is neither a string nor an array", what)
	}
	found := false
	for _, a := range auds {
		if s, _ := a.(string); s == p.opts.ClientID {
			found = true
		}
	}
	if !found {
		return p.fail(KindWrongAudience, nil, "the %s's aud does not contain our client_id %q", what, p.opts.ClientID)
	}
	azp, present, err := p.stringClaim(c, "azp", what)
	if err != nil {
		return err
	}
	if present && azp != p.opts.ClientID {
		return p.fail(KindWrongAudience, nil, "the %s's azp %q is not our client_id %q", what, providerText(azp), p.opts.ClientID)
	}
	return nil
}

// checkTimes checks exp (not passed) and iat (not in the future), each
// with the leeway; a required one that is absent is KindMissingClaim.
func (p *Provider) checkTimes(c map[string]any, what string, requireExp, requireIat bool) error {
	now := p.clock.Now()
	exp, present, err := p.timeClaim(c, "exp", what)
	if err != nil {
		return err
	}
	switch {
	case !present && requireExp:
		return p.fail(KindMissingClaim, nil, "the %s has no exp claim", what)
	case present && now.After(exp.Add(leeway)):
		return p.fail(KindExpired, nil, "the %s expired at %s (now %s)", what, exp.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	iat, present, err := p.timeClaim(c, "iat", what)
	if err != nil {
		return err
	}
	switch {
	case !present && requireIat:
		return p.fail(KindMissingClaim, nil, "the %s has no iat claim", what)
	case present && iat.After(now.Add(leeway)):
		return p.fail(KindExpired, nil, "the %s was issued in the future, at %s (now %s): are the clocks in sync?", what, iat.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return nil
}

// timeClaim reads a NumericDate (seconds since the epoch, possibly
// fractional).
func (p *Provider) timeClaim(c map[string]any, name, what string) (time.Time, bool, error) {
	v, ok := c[name]
	if !ok {
		return time.Time{}, false, nil
	}
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return time.Time{}, true, p.fail(KindInvalidClaim, nil, "the %s's %s claim is not a date", what, name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}

// checkTokenHash checks at_hash or c_hash when present (OpenID Connect
// Core §3.1.3.8, §3.3.2.11): the left half of the hash of value, with the
// hash of the token's algorithm.
func (p *Provider) checkTokenHash(c map[string]any, name, value, alg string) error {
	want, present, err := p.stringClaim(c, name, "ID token")
	if err != nil || !present {
		return err
	}
	var h hash.Hash
	switch {
	case alg == "EdDSA" || alg == "Ed25519":
		// Ed25519 hashes with SHA-512, so the token hashes do too.
		h = sha512.New()
	case strings.HasSuffix(alg, "384"):
		h = sha512.New384()
	case strings.HasSuffix(alg, "512"):
		h = sha512.New()
	default: // 256, 56K
		h = sha256.New()
	}
	h.Write([]byte(value))
	sum := h.Sum(nil)
	got := base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return p.fail(KindInvalidClaim, nil, "the ID token's %s does not match", name)
	}
	return nil
}
