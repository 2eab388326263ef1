package oauth

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"mas/internal/keys"
	"mas/internal/routes"
)

const regDiscoveryFull = `{
  "issuer": "https://auth.example.com/",
  "authorization_endpoint": "https://auth.example.com/authorize",
  "token_endpoint": "https://auth.example.com/oauth2/token",
  "jwks_uri": "https://auth.example.com/oauth2/keys.json",
  "registration_endpoint": "https://auth.example.com/oauth2/registration",
  "scopes_supported": ["openid", "email"],
  "response_types_supported": ["code", "id_token", "code id_token"],
  "response_modes_supported": ["form_post", "query", "fragment"],
  "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"],
  "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"],
  "token_endpoint_auth_signing_alg_values_supported": ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES256K"],
  "revocation_endpoint": "https://auth.example.com/oauth2/revoke",
  "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"],
  "revocation_endpoint_auth_signing_alg_values_supported": ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES256K"],
  "introspection_endpoint": "https://auth.example.com/oauth2/introspect",
  "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"],
  "introspection_endpoint_auth_signing_alg_values_supported": ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES256K"],
  "code_challenge_methods_supported": ["plain", "S256"],
  "userinfo_endpoint": "https://auth.example.com/oauth2/userinfo",
  "subject_types_supported": ["public"],
  "id_token_signing_alg_values_supported": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256"],
  "userinfo_signing_alg_values_supported": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256"],
  "display_values_supported": ["page"],
  "claim_types_supported": ["normal"],
  "claims_supported": ["iss", "sub", "aud", "iat", "exp", "nonce", "auth_time", "at_hash", "c_hash"],
  "claims_parameter_supported": false,
  "request_parameter_supported": false,
  "request_uri_parameter_supported": false,
  "prompt_values_supported": ["login"],
  "device_authorization_endpoint": "https://auth.example.com/oauth2/device",
  "account_management_uri": "https://auth.example.com/account/",
  "account_management_actions_supported": ["org.matrix.profile", "org.matrix.devices_list", "org.matrix.device_view", "org.matrix.device_delete", "org.matrix.cross_signing_reset", "org.matrix.sessions_list", "org.matrix.session_view", "org.matrix.session_end"]
}`

// regDiscoveryMinimal is regDiscoveryFull without the device grant.
const regDiscoveryMinimal = `{
  "issuer": "https://auth.example.com/",
  "authorization_endpoint": "https://auth.example.com/authorize",
  "token_endpoint": "https://auth.example.com/oauth2/token",
  "jwks_uri": "https://auth.example.com/oauth2/keys.json",
  "registration_endpoint": "https://auth.example.com/oauth2/registration",
  "scopes_supported": ["openid", "email"],
  "response_types_supported": ["code", "id_token", "code id_token"],
  "response_modes_supported": ["form_post", "query", "fragment"],
  "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
  "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"],
  "token_endpoint_auth_signing_alg_values_supported": ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES256K"],
  "revocation_endpoint": "https://auth.example.com/oauth2/revoke",
  "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"],
  "revocation_endpoint_auth_signing_alg_values_supported": ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES256K"],
  "introspection_endpoint": "https://auth.example.com/oauth2/introspect",
  "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"],
  "introspection_endpoint_auth_signing_alg_values_supported": ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES256K"],
  "code_challenge_methods_supported": ["plain", "S256"],
  "userinfo_endpoint": "https://auth.example.com/oauth2/userinfo",
  "subject_types_supported": ["public"],
  "id_token_signing_alg_values_supported": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256"],
  "userinfo_signing_alg_values_supported": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256"],
  "display_values_supported": ["page"],
  "claim_types_supported": ["normal"],
  "claims_supported": ["iss", "sub", "aud", "iat", "exp", "nonce", "auth_time", "at_hash", "c_hash"],
  "claims_parameter_supported": false,
  "request_parameter_supported": false,
  "request_uri_parameter_supported": false,
  "prompt_values_supported": ["login"],
  "account_management_uri": "https://auth.example.com/account/",
  "account_management_actions_supported": ["org.matrix.profile", "org.matrix.devices_list", "org.matrix.device_view", "org.matrix.device_delete", "org.matrix.cross_signing_reset", "org.matrix.sessions_list", "org.matrix.session_view", "org.matrix.session_end"]
}`

func TestDiscoveryDocument(t *testing.T) {
	tests := []struct {
		name string
		opts []regOption
		want string
	}{
		{"device grant enabled", nil, regDiscoveryFull},
		{"device grant disabled", []regOption{withDeviceCodeDisabled()}, regDiscoveryMinimal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newRegEnv(t, tc.opts...)
			oidc := e.get(routes.OIDCDiscovery)
			oauth := e.get(routes.OAuthDiscovery)
			for _, res := range []regResponse{oidc, oauth} {
				if res.status != http.StatusOK {
					t.Fatalf("status %d\n%s", res.status, res.body)
				}
				if ct := res.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				if cc := res.header.Get("Cache-Control"); cc != "public, max-age=3600" {
					t.Errorf("Cache-Control = %q", cc)
				}
				sameJSON(t, res.body, tc.want)
			}
			if !bytes.Equal(oidc.body, oauth.body) {
				t.Error("the OpenID and RFC 8414 documents differ")
			}
		})
	}
}

// TestDiscoveryPrefixAndIssuer checks that endpoints follow the public
// base (with a path) while the issuer is kept as configured.
func TestDiscoveryPrefixAndIssuer(t *testing.T) {
	e := newRegEnv(t)
	urls, err := routes.NewURLBuilder("https://example.com/auth", "https://example.com")
	if err != nil {
		t.Fatal(err)
	}
	e.h.URLs = urls
	var md map[string]any
	if err := json.Unmarshal(e.get(routes.OIDCDiscovery).body, &md); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"issuer":                 "https://example.com/",
		"token_endpoint":         "https://example.com/auth/oauth2/token",
		"account_management_uri": "https://example.com/auth/account/",
	} {
		if md[key] != want {
			t.Errorf("%s = %v, want %s", key, md[key], want)
		}
	}
	// GraphQL is not served (its paths answer 404), so it is not advertised.
	if v, ok := md["org.matrix.matrix-authentication-service.graphql_endpoint"]; ok {
		t.Errorf("graphql_endpoint advertised as %v", v)
	}
}

func TestDiscoveryWithoutKeys(t *testing.T) {
	e := newRegEnv(t)
	e.h.Keys = nil
	var md map[string]json.RawMessage
	if err := json.Unmarshal(e.get(routes.OIDCDiscovery).body, &md); err != nil {
		t.Fatal(err)
	}
	if got := string(md["id_token_signing_alg_values_supported"]); got != "[]" {
		t.Errorf("id_token_signing_alg_values_supported = %s, want []", got)
	}
}

func TestWebFinger(t *testing.T) {
	e := newRegEnv(t)
	issuerRel := url.QueryEscape(webFingerIssuerRel)
	tests := []struct {
		name   string
		query  string
		status int
		want   string
	}{
		{"issuer rel", "resource=acct:alice@example.com&rel=" + issuerRel, 200,
			`{"subject":"acct:alice@example.com","links":[{"rel":"http://openid.net/specs/connect/1.0/issuer","href":"https://auth.example.com/"}]}`},
		{"issuer rel among others", "resource=acct:alice@example.com&rel=profile&rel=" + issuerRel, 200,
			`{"subject":"acct:alice@example.com","links":[{"rel":"http://openid.net/specs/connect/1.0/issuer","href":"https://auth.example.com/"}]}`},
		{"no rel", "resource=https://example.com/alice", 200,
			`{"subject":"https://example.com/alice","links":[]}`},
		{"other rel", "resource=acct:alice@example.com&rel=http://webfinger.net/rel/profile-page", 200,
			`{"subject":"acct:alice@example.com","links":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.get(routes.WebFinger + "?" + tc.query)
			if res.status != tc.status {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/jrd+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			sameJSON(t, res.body, tc.want)
		})
	}
	t.Run("missing resource", func(t *testing.T) {
		wantOAuthError(t, e.get(routes.WebFinger+"?rel="+issuerRel), 400, ErrInvalidRequest, "resource")
	})
}

func TestJWKSEndpoint(t *testing.T) {
	e := newRegEnv(t)
	res := e.get(routes.OAuth2Keys)
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := res.header.Get("Cache-Control"); cc != "public, max-age=600" {
		t.Errorf("Cache-Control = %q", cc)
	}
	if !bytes.Equal(res.body, e.h.Keys.JWKS()) {
		t.Errorf("body = %s, want the key set's JWKS", res.body)
	}
	set, err := keysParse(res.body)
	if err != nil || set != 2 {
		t.Fatalf("served JWKS has %d usable keys (%v), want 2", set, err)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(res.body, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range doc.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("key %v publishes private member %q", k["kid"], private)
			}
		}
	}
}

func keysParse(b []byte) (int, error) {
	pk, err := keys.ParseJWKS(b)
	if err != nil {
		return 0, err
	}
	return pk.Len(), nil
}
