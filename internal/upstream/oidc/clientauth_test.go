package oidc

import (
	"strings"
	"testing"

	"mas/internal/keys"
)

func TestTokenEndpointAuthMethods(t *testing.T) {
	loadTestKeys(t)
	ours, err := keys.NewKeySetFromKeys(testKeys.ours)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method  AuthMethod
		edit    func(o *Options)
		wantAlg string // the client assertion's alg, for the JWT methods
	}{
		{method: AuthNone, edit: func(o *Options) { o.ClientSecret = "" }},
		{method: AuthClientSecretBasic},
		{method: AuthClientSecretPost},
		{method: AuthClientSecretJWT, wantAlg: "HS256"},
		{method: AuthClientSecretJWT, edit: func(o *Options) { o.TokenEndpointAuthSigningAlg = "HS384" }, wantAlg: "HS384"},
		// Our only key is EC P-256: the default is what it signs.
		{method: AuthPrivateKeyJWT, edit: func(o *Options) { o.Keys = ours }, wantAlg: "ES256"},
		{method: AuthPrivateKeyJWT, edit: func(o *Options) { o.Keys = ours; o.TokenEndpointAuthSigningAlg = "ES256" }, wantAlg: "ES256"},
		{method: AuthSignInWithApple, edit: func(o *Options) {
			o.ClientSecret = ""
			o.SignInWithApple = &SignInWithApple{PrivateKeyPEM: testKeys.applePEM, TeamID: testTeamID, KeyID: "APPLEKEY1"}
		}},
	}
	for _, tc := range cases {
		name := string(tc.method)
		if tc.wantAlg != "" {
			name += "/" + tc.wantAlg
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, true, func(o *Options) {
				o.TokenEndpointAuthMethod = tc.method
				if tc.edit != nil {
					tc.edit(o)
				}
			})
			f.op.authMethod = tc.method
			res, err := f.login(t)
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if res.Subject != testSubject {
				t.Errorf("subject %q", res.Subject)
			}
			if tc.wantAlg != "" && (len(f.op.assertionAlgsSeen) != 1 || f.op.assertionAlgsSeen[0] != tc.wantAlg) {
				t.Errorf("assertion algorithms %v, want %s", f.op.assertionAlgsSeen, tc.wantAlg)
			}
		})
	}
}

// A provider that does not accept our credentials gives KindTokenRefused
// with its error code, and the message holds neither secret nor code.
func TestTokenEndpointRefusal(t *testing.T) {
	cases := []struct {
		name, code string
		setup      func(f *fixture)
	}{
		{"wrong method", "invalid_client", func(f *fixture) { f.op.authMethod = AuthClientSecretPost }},
		{"refused grant", "invalid_grant", func(f *fixture) { f.op.tokenErrorCode = "invalid_grant" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, true, nil)
			tc.setup(f)
			s, back := f.authorize(t, nil)
			cb, err := f.p.ParseCallback(back)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.p.Exchange(t.Context(), s, cb.Code)
			wantKind(t, err, KindTokenRefused)
			if e := err.(*Error); e.Code != tc.code {
				t.Errorf("code %q, want %q", e.Code, tc.code)
			}
			for _, secret := range []string{testSecret, cb.Code, s.CodeVerifier, s.Nonce} {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("error message %q leaks %q", err, secret)
				}
			}
		})
	}
}

// A code works once: the provider refuses it the second time.
func TestCodeReplayRefused(t *testing.T) {
	f := newFixture(t, true, nil)
	s, back := f.authorize(t, nil)
	cb, _ := f.p.ParseCallback(back)
	if _, err := f.p.Exchange(t.Context(), s, cb.Code); err != nil {
		t.Fatal(err)
	}
	_, err := f.p.Exchange(t.Context(), s, cb.Code)
	wantKind(t, err, KindTokenRefused)
}

func TestNewRejectsUnworkableOptions(t *testing.T) {
	loadTestKeys(t)
	ours, _ := keys.NewKeySetFromKeys(testKeys.ours)
	base := func() Options {
		return Options{ID: "p", Issuer: "https://op.example", ClientID: "c", ClientSecret: "s", TokenEndpointAuthMethod: AuthClientSecretPost}
	}
	cases := []struct {
		name string
		edit func(o *Options)
		want string
	}{
		{"no client id", func(o *Options) { o.ClientID = "" }, "client_id"},
		{"no issuer", func(o *Options) { o.Issuer = "" }, "issuer is required"},
		{"no method", func(o *Options) { o.TokenEndpointAuthMethod = "" }, "token_endpoint_auth_method"},
		{"unknown method", func(o *Options) { o.TokenEndpointAuthMethod = "magic" }, "magic"},
		{"post without secret", func(o *Options) { o.ClientSecret = "" }, "needs a client_secret"},
		{"client_secret_jwt with RS256", func(o *Options) {
			o.TokenEndpointAuthMethod, o.TokenEndpointAuthSigningAlg = AuthClientSecretJWT, "RS256"
		}, "HS256, HS384 or HS512"},
		{"private_key_jwt without keys", func(o *Options) { o.TokenEndpointAuthMethod = AuthPrivateKeyJWT }, "secrets.keys"},
		{"private_key_jwt with an alg no key signs", func(o *Options) {
			o.TokenEndpointAuthMethod, o.Keys, o.TokenEndpointAuthSigningAlg = AuthPrivateKeyJWT, ours, "RS256"
		}, "can sign RS256"},
		{"apple without settings", func(o *Options) { o.TokenEndpointAuthMethod = AuthSignInWithApple }, "sign_in_with_apple"},
		{"apple with a bad key", func(o *Options) {
			o.TokenEndpointAuthMethod = AuthSignInWithApple
			o.SignInWithApple = &SignInWithApple{PrivateKeyPEM: []byte("nope"), TeamID: "T", KeyID: "K"}
		}, "private_key"},
		{"unsupported id token alg", func(o *Options) { o.IDTokenSignedResponseAlg = "EdDSA" }, "not supported"},
		{"none id token alg", func(o *Options) { o.IDTokenSignedResponseAlg = "none" }, "not supported"},
		{"HS256 id tokens without secret", func(o *Options) {
			o.TokenEndpointAuthMethod, o.ClientSecret, o.IDTokenSignedResponseAlg = AuthNone, "", "HS256"
		}, "needs a client_secret"},
		{"unknown discovery mode", func(o *Options) { o.DiscoveryMode = "maybe" }, "discovery_mode"},
		{"unknown pkce method", func(o *Options) { o.PKCEMethod = "plain" }, "pkce_method"},
		{"unknown response mode", func(o *Options) { o.ResponseMode = "fragment" }, "response_mode"},
		{"relative endpoint", func(o *Options) { o.TokenEndpoint = "/token" }, "token_endpoint"},
		{"disabled without endpoints", func(o *Options) { o.DiscoveryMode = DiscoveryDisabled }, "authorization_endpoint, token_endpoint, jwks_uri"},
		{"disabled without userinfo endpoint", func(o *Options) {
			o.DiscoveryMode, o.FetchUserinfo = DiscoveryDisabled, true
			o.AuthorizationEndpoint, o.TokenEndpoint, o.JWKSURI = "https://a/auth", "https://a/token", "https://a/jwks"
		}, "userinfo_endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			tc.edit(&o)
			_, err := New(o)
			wantKind(t, err, KindConfig)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	// Without the openid scope nothing is verified with the provider's
	// keys, so a plain OAuth 2.0 provider needs no jwks_uri.
	o := base()
	o.DiscoveryMode, o.Scope, o.FetchUserinfo = DiscoveryDisabled, "read:user", true
	o.AuthorizationEndpoint, o.TokenEndpoint, o.UserinfoEndpoint = "https://gh/auth", "https://gh/token", "https://gh/user"
	if _, err := New(o); err != nil {
		t.Errorf("OAuth 2.0-only provider: %v", err)
	}
}
