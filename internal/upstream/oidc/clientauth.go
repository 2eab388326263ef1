package oidc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"mas/internal/keys"
)

const (
	// assertionLifetime is the exp of our client assertions (upstream's).
	assertionLifetime = 5 * time.Minute
	// appleSecretLifetime is the exp of a Sign in with Apple client
	// secret: it is made fresh for each token request.
	appleSecretLifetime = time.Minute
	appleAudience       = "https://appleid.apple.com"
	jwtBearerAssertion  = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// checkClientAuth checks, in New, that the configured method can work,
// and picks the assertion algorithm.
func (p *Provider) checkClientAuth() error {
	o := &p.opts
	switch o.TokenEndpointAuthMethod {
	case AuthNone:
	case AuthClientSecretBasic, AuthClientSecretPost:
		if o.ClientSecret == "" {
			return fmt.Errorf("%s needs a client_secret", o.TokenEndpointAuthMethod)
		}
	case AuthClientSecretJWT:
		if o.ClientSecret == "" {
			return fmt.Errorf("%s needs a client_secret", o.TokenEndpointAuthMethod)
		}
		p.assertAlg = o.TokenEndpointAuthSigningAlg
		if p.assertAlg == "" {
			p.assertAlg = "HS256"
		}
		if !slices.Contains([]string{"HS256", "HS384", "HS512"}, p.assertAlg) {
			return fmt.Errorf("client_secret_jwt signs with HS256, HS384 or HS512, not %q", p.assertAlg)
		}
	case AuthPrivateKeyJWT:
		if o.Keys == nil {
			return errors.New("private_key_jwt needs our signing keys (secrets.keys)")
		}
		p.assertAlg = o.TokenEndpointAuthSigningAlg
		if p.assertAlg == "" {
			p.assertAlg = defaultKeyAlg(o.Keys)
		}
		if !slices.Contains(o.Keys.Algorithms(), p.assertAlg) {
			return fmt.Errorf("no key in secrets.keys can sign %s for private_key_jwt (they sign %v)", p.assertAlg, o.Keys.Algorithms())
		}
	case AuthSignInWithApple:
		return p.loadAppleKey()
	case "":
		return errors.New("token_endpoint_auth_method is required")
	default:
		return fmt.Errorf("unknown token_endpoint_auth_method %q", o.TokenEndpointAuthMethod)
	}
	return nil
}

// defaultKeyAlg is RS256 when a key can sign it (upstream's default),
// else the first algorithm of the first key.
func defaultKeyAlg(ks *keys.KeySet) string {
	algs := ks.Algorithms()
	if slices.Contains(algs, "RS256") || len(algs) == 0 {
		return "RS256"
	}
	return ks.Keys()[0].Algorithms()[0]
}

func (p *Provider) loadAppleKey() error {
	a := p.opts.SignInWithApple
	switch {
	case a == nil:
		return errors.New("sign_in_with_apple needs its settings (private_key, team_id, key_id)")
	case a.TeamID == "" || a.KeyID == "":
		return errors.New("sign_in_with_apple needs team_id and key_id")
	case len(a.PrivateKeyPEM) == 0:
		return errors.New("sign_in_with_apple needs private_key or private_key_file")
	}
	k, err := keys.ParsePrivateKey(keys.Spec{KID: a.KeyID, Data: a.PrivateKeyPEM, Source: "sign_in_with_apple.private_key"})
	if err != nil {
		return err
	}
	if k.Kind() != keys.KindP256 {
		return fmt.Errorf("sign_in_with_apple.private_key is a %s key; Apple's keys are EC P-256", k.Kind())
	}
	p.apple = k
	return nil
}

// assertionClaims are the claims of a client assertion (RFC 7523 §3).
type assertionClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud string `json:"aud"`
	Iat int64  `json:"iat"`
	Exp int64  `json:"exp"`
	Jti string `json:"jti,omitempty"`
}

// authenticate adds our client authentication to a token request.
func (p *Provider) authenticate(form url.Values, h http.Header, tokenEndpoint string) error {
	o := &p.opts
	now := p.clock.Now()
	switch o.TokenEndpointAuthMethod {
	case AuthNone:
		form.Set("client_id", o.ClientID)
	case AuthClientSecretBasic:
		// RFC 6749 §2.3.1: both are form-encoded before going into the
		// Basic credentials, so a ':' in the id or secret survives.
		h.Set("Authorization", "Basic "+basicCredentials(url.QueryEscape(o.ClientID), url.QueryEscape(o.ClientSecret)))
	case AuthClientSecretPost:
		form.Set("client_id", o.ClientID)
		form.Set("client_secret", o.ClientSecret)
	case AuthClientSecretJWT, AuthPrivateKeyJWT:
		claims := assertionClaims{
			Iss: o.ClientID, Sub: o.ClientID, Aud: tokenEndpoint,
			Iat: now.Unix(), Exp: now.Add(assertionLifetime).Unix(), Jti: randomString(),
		}
		var jwt string
		var err error
		if o.TokenEndpointAuthMethod == AuthClientSecretJWT {
			jwt, err = keys.SignHMAC(p.assertAlg, []byte(o.ClientSecret), claims)
		} else {
			jwt, err = o.Keys.Sign(p.assertAlg, claims) // sets our key's kid
		}
		if err != nil {
			return p.fail(KindConfig, err, "signing the client assertion")
		}
		form.Set("client_assertion_type", jwtBearerAssertion)
		form.Set("client_assertion", jwt)
	case AuthSignInWithApple:
		// Apple wants a JWT made by the team's key as the client secret.
		secret, err := p.apple.Sign("ES256", assertionClaims{
			Iss: o.SignInWithApple.TeamID, Sub: o.ClientID, Aud: appleAudience,
			Iat: now.Unix(), Exp: now.Add(appleSecretLifetime).Unix(),
		})
		if err != nil {
			return p.fail(KindConfig, err, "signing the Sign in with Apple client secret")
		}
		form.Set("client_id", o.ClientID)
		form.Set("client_secret", secret)
	}
	return nil
}

func basicCredentials(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}
