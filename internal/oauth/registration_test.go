package oauth

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
)

const (
	regPolicyLenient = "{'client_registration': {'allow_insecure_uris': true, 'allow_host_mismatch': true, 'allow_missing_client_uri': true}}"
	regPolicyBanUA   = "{'requester': {'banned_user_agents': {'substrings': ['EvilBot']}}}"
)

// regValidJWKS is a public P-256 key, in a JWK Set.
const regValidJWKS = `{'keys': [{'kty': 'EC', 'crv': 'P-256', 'x': 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4', 'y': '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM', 'use': 'sig', 'kid': 'k1'}]}`

func TestRegistrationRejects(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		body   string
		status int
		code   ErrorCode
		desc   string
	}{
		// Request shape.
		{name: "not JSON", body: "this is not JSON", status: 400, code: ErrInvalidRequest, desc: "JSON object"},
		{name: "JSON array", body: "[]", status: 400, code: ErrInvalidRequest, desc: "JSON object"},
		{name: "JSON null", body: "null", status: 400, code: ErrInvalidRequest, desc: "JSON object"},
		{name: "trailing data", body: "{} {}", status: 400, code: ErrInvalidRequest, desc: "JSON object"},

		// Field types.
		{name: "client_uri not a URI", body: "{'client_uri': 'this is not a uri', 'redirect_uris': ['https://example.com/cb']}",
			code: ErrInvalidClientMetadata, desc: `"client_uri"`},
		{name: "relative redirect URI", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['/cb']}",
			code: ErrInvalidClientMetadata, desc: "not an absolute URL"},
		{name: "redirect_uris not an array", body: "{'client_uri': 'https://example.com/', 'redirect_uris': 'https://example.com/cb'}",
			code: ErrInvalidClientMetadata, desc: `"redirect_uris"`},
		{name: "client_name not a string", body: "{'client_name': 42, 'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb']}",
			code: ErrInvalidClientMetadata, desc: `"client_name"`},
		{name: "require_auth_time not a boolean", body: "{'require_auth_time': 'yes', 'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb']}",
			code: ErrInvalidClientMetadata, desc: `"require_auth_time"`},
		{name: "default_max_age not an integer", body: "{'default_max_age': 1.5, 'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb']}",
			code: ErrInvalidClientMetadata, desc: `"default_max_age"`},
		{name: "unknown response type", body: "{'response_types': ['code banana'], 'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb']}",
			code: ErrInvalidClientMetadata, desc: "banana"},
		{name: "jwks without keys", body: "{'jwks': {}, 'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb']}",
			code: ErrInvalidClientMetadata, desc: `"jwks"`},
		{name: "localized variant without default", body: "{'client_name#fr': 'Exemple', 'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb']}",
			code: ErrInvalidClientMetadata, desc: "missing non-localized variant of field \"client_name\""},
		{name: "bad language tag", body: "{'client_name': 'Example', 'client_name#not a tag': 'x', 'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb']}",
			code: ErrInvalidClientMetadata, desc: "language tag"},

		// Structural rules.
		{name: "missing redirect_uris", body: "{'client_uri': 'https://example.com/'}",
			code: ErrInvalidRedirectURI, desc: "redirect URIs are missing"},
		{name: "redirect URI with fragment", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb#frag']}",
			code: ErrInvalidRedirectURI, desc: "fragment"},
		{name: "id_token without implicit", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'response_types': ['id_token'], 'grant_types': ['authorization_code']}",
			code: ErrInvalidClientMetadata, desc: "'id_token' response type not compatible with grant types"},
		{name: "code without authorization_code", body: "{'client_uri': 'https://example.com/', 'response_types': ['code'], 'grant_types': ['client_credentials'], 'token_endpoint_auth_method': 'client_secret_basic'}",
			code: ErrInvalidClientMetadata, desc: "'code' response type"},
		{name: "jwks and jwks_uri", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'jwks_uri': 'https://example.com/jwks', 'jwks': " + regValidJWKS + "}",
			code: ErrInvalidClientMetadata, desc: "mutually exclusive"},
		{name: "http sector_identifier_uri", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'sector_identifier_uri': 'http://example.com/s'}",
			code: ErrInvalidClientMetadata, desc: "sector_identifier_uri's URL doesn't use a https scheme"},
		{name: "http initiate_login_uri", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'initiate_login_uri': 'http://example.com/login'}",
			code: ErrInvalidClientMetadata, desc: "initiate_login_uri's URL doesn't use a https scheme"},
		{name: "private_key_jwt without keys", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'private_key_jwt', 'token_endpoint_auth_signing_alg': 'ES256'}",
			code: ErrInvalidClientMetadata, desc: "missing JWK Set"},
		{name: "private_key_jwt with unusable keys", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'private_key_jwt', 'token_endpoint_auth_signing_alg': 'ES256', 'jwks': {'keys': []}}",
			code: ErrInvalidClientMetadata, desc: "no key usable"},
		{name: "client_secret_jwt without signing alg", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'client_secret_jwt'}",
			code: ErrInvalidClientMetadata, desc: "token_endpoint missing auth signing algorithm"},
		{name: "signing alg none", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'client_secret_jwt', 'token_endpoint_auth_signing_alg': 'none'}",
			code: ErrInvalidClientMetadata, desc: "none signing alg unauthorized for token_endpoint"},
		{name: "unsupported signing alg", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'private_key_jwt', 'token_endpoint_auth_signing_alg': 'EdDSA', 'jwks': " + regValidJWKS + "}",
			code: ErrInvalidClientMetadata, desc: "unsupported token_endpoint_auth_signing_alg"},
		{name: "client_secret_jwt with an asymmetric alg", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'client_secret_jwt', 'token_endpoint_auth_signing_alg': 'RS256'}",
			code: ErrInvalidClientMetadata, desc: "needs an HMAC"},
		{name: "private_key_jwt with an HMAC alg", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'private_key_jwt', 'token_endpoint_auth_signing_alg': 'HS256', 'jwks': " + regValidJWKS + "}",
			code: ErrInvalidClientMetadata, desc: "needs an asymmetric"},
		{name: "unsupported auth method", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'tls_client_auth'}",
			code: ErrInvalidClientMetadata, desc: "unsupported token_endpoint_auth_method"},
		{name: "unsigned ID tokens with id_token responses", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'grant_types': ['authorization_code', 'implicit'], 'response_types': ['code id_token'], 'id_token_signed_response_alg': 'none'}",
			code: ErrInvalidClientMetadata, desc: "ID Token signing alg is none"},
		{name: "unsigned ID tokens", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'id_token_signed_response_alg': 'none'}",
			code: ErrInvalidClientMetadata, desc: "unsupported id_token_signed_response_alg \"none\""},
		{name: "unsigned userinfo", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'userinfo_signed_response_alg': 'none'}",
			code: ErrInvalidClientMetadata, desc: "unsupported userinfo_signed_response_alg"},
		{name: "ID token alg without a key", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'id_token_signed_response_alg': 'ES384'}",
			code: ErrInvalidClientMetadata, desc: "unsupported id_token_signed_response_alg"},
		{name: "encryption enc without alg", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'userinfo_encrypted_response_enc': 'A128GCM'}",
			code: ErrInvalidClientMetadata, desc: "userinfo missing encryption alg value"},
		{name: "unknown application_type", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'application_type': 'desktop'}",
			code: ErrInvalidClientMetadata, desc: "application_type"},

		// Public suffixes.
		{name: "client_uri on a public suffix", body: "{'client_uri': 'https://github.io/', 'redirect_uris': ['https://github.io/'], 'token_endpoint_auth_method': 'client_secret_basic'}",
			code: ErrInvalidClientMetadata, desc: "client_uri is not using a valid domain"},
		{name: "localized client_uri on a public suffix", body: "{'client_uri': 'https://example.com/', 'client_uri#fr-FR': 'https://github.io/', 'redirect_uris': ['https://example.com/']}",
			code: ErrInvalidClientMetadata, desc: "client_uri is not using a valid domain"},
		{name: "logo_uri on an ICANN suffix", body: "{'client_uri': 'https://example.com/', 'logo_uri': 'https://co.uk/logo.png', 'redirect_uris': ['https://example.com/']}",
			code: ErrInvalidClientMetadata, desc: "logo_uri is not using a valid domain"},
		{name: "tos_uri on a TLD with a trailing dot", body: "{'client_uri': 'https://example.com/', 'tos_uri': 'https://com./tos', 'redirect_uris': ['https://example.com/']}",
			code: ErrInvalidClientMetadata, desc: "tos_uri is not using a valid domain"},
		{name: "initiate_login_uri on a public suffix", body: "{'client_uri': 'https://example.com/', 'initiate_login_uri': 'https://com/', 'redirect_uris': ['https://example.com/']}",
			code: ErrInvalidClientMetadata, desc: "initiate_login_uri is not using a valid domain"},
		{name: "redirect URI on a public suffix", policy: regPolicyLenient, body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb', 'https://blogspot.com/cb']}",
			code: ErrInvalidRedirectURI, desc: "redirect_uri is not using a valid domain"},

		// Policy.
		{name: "policy: missing client_uri", body: "{'grant_types': ['client_credentials']}",
			code: ErrInvalidClientMetadata, desc: "missing client_uri"},
		{name: "policy: insecure client_uri", body: "{'client_uri': 'http://example.com/', 'redirect_uris': ['https://example.com/cb']}",
			code: ErrInvalidClientMetadata, desc: "invalid client_uri"},
		{name: "policy: insecure redirect URI", body: "{'application_type': 'web', 'client_uri': 'https://example.com/', 'redirect_uris': ['http://this-is-insecure.com/']}",
			code: ErrInvalidRedirectURI, desc: "invalid redirect_uri"},
		{name: "policy: redirect URI on another host", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.org/cb']}",
			code: ErrInvalidRedirectURI, desc: "invalid redirect_uri"},
		{name: "policy: web app on loopback", body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['http://127.0.0.1/cb']}",
			code: ErrInvalidRedirectURI, desc: "invalid redirect_uri"},
		{name: "policy: native app with a foreign scheme", body: "{'application_type': 'native', 'client_uri': 'https://example.com/', 'redirect_uris': ['org.example.app:/cb']}",
			code: ErrInvalidRedirectURI, desc: "invalid redirect_uri"},
		{name: "policy: tos_uri on another host", body: "{'client_uri': 'https://example.com/', 'tos_uri': 'https://example.org/tos', 'redirect_uris': ['https://example.com/cb']}",
			code: ErrInvalidClientMetadata, desc: "tos_uri not on the same host as the client_uri"},
		{name: "policy: public client with client_credentials", body: "{'client_uri': 'https://example.com/', 'grant_types': ['client_credentials'], 'response_types': [], 'token_endpoint_auth_method': 'none'}",
			code: ErrInvalidClientMetadata, desc: "client_credentials grant_type requires some form of client authentication"},
		{name: "policy: banned requester", policy: regPolicyBanUA, body: "{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb']}",
			code: ErrInvalidClientMetadata, desc: "isn't allowed to do this action"},
		{name: "policy: violations are joined", body: "{'client_uri': 'http://example.com/', 'policy_uri': 'http://example.com/p', 'redirect_uris': ['https://example.com/cb']}",
			code: ErrInvalidClientMetadata, desc: "invalid client_uri; invalid policy_uri"},
		{name: "policy: any redirect violation wins", body: "{'client_uri': 'http://example.com/', 'redirect_uris': ['http://example.com/cb']}",
			code: ErrInvalidRedirectURI, desc: "invalid client_uri; invalid redirect_uri"},
	}
	// One environment per policy: nothing is stored by these requests.
	envs := map[string]*regEnv{}
	parent := t
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := envs[tc.policy]
			if e == nil {
				e = newRegEnv(parent, withPolicyData(strings.ReplaceAll(tc.policy, "'", `"`)))
				envs[tc.policy] = e
			}
			e.t = t
			body := tc.body
			if !strings.HasPrefix(body, "this") {
				body = strings.ReplaceAll(body, "'", `"`)
			}
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/oauth2/registration", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "EvilBot/1.0")
			res := e.do(req)
			status := tc.status
			if status == 0 {
				status = http.StatusBadRequest
			}
			wantOAuthError(t, res, status, tc.code, tc.desc)
			if cc := res.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q", cc)
			}
			if n := regCountClients(t, e); n != 0 {
				t.Errorf("%d clients stored after a refused registration", n)
			}
		})
	}
}

func regCountClients(t *testing.T, e *regEnv) int {
	t.Helper()
	var n int
	db := e.store.(interface{ DB() *sql.DB }).DB()
	if err := db.QueryRow(`SELECT COUNT(*) FROM oauth2_clients`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegistrationRequestShape(t *testing.T) {
	e := newRegEnv(t)
	valid := `{"client_uri": "https://example.com/", "redirect_uris": ["https://example.com/cb"]}`
	t.Run("content type", func(t *testing.T) {
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json-seq"} {
			wantOAuthError(t, e.registerRaw(ct, valid, nil), 400, ErrInvalidRequest, "application/json")
		}
		for _, ct := range []string{"application/json; charset=utf-8", "application/vnd.example+json"} {
			res := e.registerRaw(ct, valid, nil)
			if res.status != http.StatusCreated {
				t.Fatalf("%s: status %d\n%s", ct, res.status, res.body)
			}
		}
	})
	t.Run("too large", func(t *testing.T) {
		big := `{"client_uri": "https://example.com/", "software_id": "` + strings.Repeat("x", maxRegistrationBytes) + `"}`
		wantOAuthError(t, e.registerRaw("application/json", big, nil), http.StatusRequestEntityTooLarge, ErrInvalidRequest, "too large")
	})
	t.Run("method", func(t *testing.T) {
		if res := e.get("/oauth2/registration"); res.status != http.StatusMethodNotAllowed {
			t.Fatalf("GET: status %d", res.status)
		}
	})
}

var regSecretPattern = regexp.MustCompile(`^[A-Za-z0-9]{20}$`)

// TestRegistrationConfidentialClient checks the response and what is
// stored for a client with a generated secret.
func TestRegistrationConfidentialClient(t *testing.T) {
	e := newRegEnv(t)
	res := e.register(`{
		'client_uri': 'https://example.com/',
		'client_name': 'Example',
		'client_name#fr': 'Exemple',
		'logo_uri': 'https://example.com/logo.png',
		'policy_uri': 'https://example.com/policy',
		'tos_uri': 'https://example.com/tos',
		'redirect_uris': ['https://example.com/cb', 'https://app.example.com/cb'],
		'grant_types': ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', 'implicit'],
		'response_types': ['code', 'id_token', 'code id_token'],
		'contacts': ['admin@example.com'],
		'id_token_signed_response_alg': 'ES256',
		'userinfo_signed_response_alg': 'RS256',
		'initiate_login_uri': 'https://example.com/login',
		'software_id': 'example-app',
		'unknown_field': {'anything': true}
	}`)
	if res.status != http.StatusCreated {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	m := res.json(t)
	id, _ := m["client_id"].(string)
	secret, _ := m["client_secret"].(string)
	if !regSecretPattern.MatchString(secret) {
		t.Fatalf("client_secret = %q, want 20 alphanumerics", secret)
	}
	cid, err := domain.ParseID(id)
	if err != nil {
		t.Fatalf("client_id %q: %v", id, err)
	}
	if got, want := m["client_id_issued_at"], float64(domain.IDTime(cid).Unix()); got != want {
		t.Errorf("client_id_issued_at = %v, want %v", got, want)
	}
	if got := domain.IDTime(cid); got.Sub(regStart).Abs() > time.Second {
		t.Errorf("client ID time %v, want the clock's %v", got, regStart)
	}
	delete(m, "client_id")
	delete(m, "client_secret")
	delete(m, "client_id_issued_at")
	sameJSON(t, mustJSON(t, m), `{
		"client_secret_expires_at": 0,
		"redirect_uris": ["https://example.com/cb", "https://app.example.com/cb"],
		"grant_types": ["authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"],
		"application_type": "web",
		"contacts": ["admin@example.com"],
		"client_name": "Example",
		"logo_uri": "https://example.com/logo.png",
		"client_uri": "https://example.com/",
		"policy_uri": "https://example.com/policy",
		"tos_uri": "https://example.com/tos",
		"id_token_signed_response_alg": "ES256",
		"userinfo_signed_response_alg": "RS256",
		"token_endpoint_auth_method": "client_secret_basic",
		"initiate_login_uri": "https://example.com/login"
	}`)

	c := e.lookupClient(id)
	if c.EncryptedSecret == "" || strings.Contains(c.EncryptedSecret, secret) {
		t.Fatalf("stored secret %q is not encrypted", c.EncryptedSecret)
	}
	plain, err := e.h.Encrypter.Decrypt(c.EncryptedSecret)
	if err != nil || string(plain) != secret {
		t.Fatalf("stored secret decrypts to %q (%v), want the issued one", plain, err)
	}
	if c.MetadataDigest != "" {
		t.Errorf("a client with a secret has a metadata digest")
	}
	if !c.GrantAuthorizationCode || !c.GrantRefreshToken || !c.GrantClientCredentials || !c.GrantDeviceCode {
		t.Errorf("grant flags = %+v", c)
	}
	if c.IsStatic || c.ApplicationType != "web" || c.TokenEndpointAuthMethod != "client_secret_basic" ||
		c.IDTokenSignedResponseAlg != "ES256" || c.UserinfoSignedResponseAlg != "RS256" ||
		c.ClientName != "Example" || len(c.Contacts) != 1 || c.InitiateLoginURI != "https://example.com/login" {
		t.Errorf("stored client = %+v", c)
	}
}

func TestRegistrationStoredMetadata(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		body   string
		check  func(t *testing.T, m map[string]any, c *domain.Client)
	}{
		{"public native client", "", `{'application_type': 'native', 'client_uri': 'https://element.io/', 'client_name': 'Element',
			'redirect_uris': ['io.element.app:/callback', 'http://127.0.0.1/callback', 'http://localhost:8080/cb'],
			'grant_types': ['authorization_code', 'refresh_token'], 'token_endpoint_auth_method': 'none'}`,
			func(t *testing.T, m map[string]any, c *domain.Client) {
				if _, ok := m["client_secret"]; ok {
					t.Error("a public client got a secret")
				}
				if _, ok := m["client_secret_expires_at"]; ok {
					t.Error("client_secret_expires_at without a secret")
				}
				if c.EncryptedSecret != "" || c.MetadataDigest == "" || c.ApplicationType != "native" ||
					c.TokenEndpointAuthMethod != "none" || !c.GrantAuthorizationCode || !c.GrantRefreshToken ||
					c.GrantClientCredentials || c.GrantDeviceCode {
					t.Errorf("stored client = %+v", c)
				}
				if strings.Join(c.RedirectURIs, " ") != "io.element.app:/callback http://127.0.0.1/callback http://localhost:8080/cb" {
					t.Errorf("redirect URIs = %q", c.RedirectURIs)
				}
			}},
		{"URLs are normalised", "", `{'client_uri': 'HTTPS://Example.COM', 'redirect_uris': ['https://EXAMPLE.com:443/cb'], 'token_endpoint_auth_method': 'none'}`,
			func(t *testing.T, m map[string]any, c *domain.Client) {
				if c.ClientURI != "https://example.com/" || c.RedirectURIs[0] != "https://example.com/cb" {
					t.Errorf("client_uri %q, redirect URIs %q", c.ClientURI, c.RedirectURIs)
				}
			}},
		{"client_secret_jwt", "", `{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'client_secret_jwt', 'token_endpoint_auth_signing_alg': 'HS512'}`,
			func(t *testing.T, m map[string]any, c *domain.Client) {
				if !regSecretPattern.MatchString(m["client_secret"].(string)) || c.TokenEndpointAuthSigningAlg != "HS512" {
					t.Errorf("response %v, client %+v", m, c)
				}
			}},
		{"client_secret_post", "", `{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'client_secret_post'}`,
			func(t *testing.T, m map[string]any, c *domain.Client) {
				if m["client_secret"] == nil || c.EncryptedSecret == "" || c.TokenEndpointAuthMethod != "client_secret_post" {
					t.Errorf("response %v, client %+v", m, c)
				}
			}},
		{"private_key_jwt with jwks", "", `{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'private_key_jwt', 'token_endpoint_auth_signing_alg': 'ES256', 'jwks': ` + regValidJWKS + `}`,
			func(t *testing.T, m map[string]any, c *domain.Client) {
				if m["client_secret"] != nil || c.EncryptedSecret != "" {
					t.Error("private_key_jwt client got a secret")
				}
				if !strings.Contains(c.JWKS, `"kid":"k1"`) || c.JWKSURI != "" {
					t.Errorf("jwks %q jwks_uri %q", c.JWKS, c.JWKSURI)
				}
				if jwks, ok := m["jwks"].(map[string]any); !ok || len(jwks["keys"].([]any)) != 1 {
					t.Errorf("echoed jwks = %v", m["jwks"])
				}
			}},
		{"private_key_jwt with jwks_uri", "", `{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'private_key_jwt', 'token_endpoint_auth_signing_alg': 'RS256', 'jwks_uri': 'https://example.com/jwks.json'}`,
			func(t *testing.T, m map[string]any, c *domain.Client) {
				if c.JWKSURI != "https://example.com/jwks.json" || c.JWKS != "" || m["jwks_uri"] != c.JWKSURI {
					t.Errorf("jwks %q jwks_uri %q", c.JWKS, c.JWKSURI)
				}
			}},
		{"client credentials only", "", `{'client_uri': 'https://example.com/', 'grant_types': ['client_credentials']}`,
			func(t *testing.T, m map[string]any, c *domain.Client) {
				if len(c.RedirectURIs) != 0 || c.GrantAuthorizationCode || !c.GrantClientCredentials {
					t.Errorf("client %+v", c)
				}
				if rs, ok := m["redirect_uris"].([]any); !ok || len(rs) != 0 {
					t.Errorf("redirect_uris = %v, want []", m["redirect_uris"])
				}
			}},
		{"loopback and internal hosts are not public suffixes", regPolicyLenient,
			`{'client_uri': 'http://localhost/', 'redirect_uris': ['http://localhost/cb', 'http://somerandominternaldomain/cb', 'http://[::1]:1234/cb', 'https://matrix-org.github.io/cb']}`,
			func(t *testing.T, m map[string]any, c *domain.Client) {
				if len(c.RedirectURIs) != 4 {
					t.Errorf("redirect URIs = %q", c.RedirectURIs)
				}
			}},
		{"null fields are absent", "", `{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'jwks': null, 'client_name': null, 'token_endpoint_auth_method': null}`,
			func(t *testing.T, m map[string]any, c *domain.Client) {
				if c.ClientName != "" || c.JWKS != "" || c.TokenEndpointAuthMethod != "client_secret_basic" {
					t.Errorf("client %+v", c)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []regOption
			if tc.policy != "" {
				opts = append(opts, withPolicyData(strings.ReplaceAll(tc.policy, "'", `"`)))
			}
			e := newRegEnv(t, opts...)
			m := e.mustRegister(tc.body)
			tc.check(t, m, e.lookupClient(m["client_id"].(string)))
		})
	}
}

func TestRegistrationDeviceCodeGrant(t *testing.T) {
	body := `{'client_uri': 'https://example.com/', 'token_endpoint_auth_method': 'none',
		'grant_types': ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], 'response_types': []}`
	t.Run("disabled: dropped", func(t *testing.T) {
		e := newRegEnv(t, withDeviceCodeDisabled())
		m := e.mustRegister(body)
		sameJSON(t, mustJSON(t, map[string]any{"grant_types": m["grant_types"], "redirect_uris": m["redirect_uris"]}),
			`{"grant_types": ["refresh_token"], "redirect_uris": []}`)
		if c := e.lookupClient(m["client_id"].(string)); c.GrantDeviceCode {
			t.Error("device code grant stored although disabled")
		}
	})
	t.Run("enabled: kept", func(t *testing.T) {
		e := newRegEnv(t)
		m := e.mustRegister(body)
		if c := e.lookupClient(m["client_id"].(string)); !c.GrantDeviceCode || !c.GrantRefreshToken || c.GrantAuthorizationCode {
			t.Errorf("client %+v", c)
		}
	})
}

func TestRegistrationDeduplication(t *testing.T) {
	e := newRegEnv(t)
	first := e.mustRegister(`{'client_uri': 'https://example.com/', 'client_name': 'Example', 'client_name#en': 'Example',
		'client_name#fr': 'Exemple', 'client_name#de': 'Beispiel',
		'redirect_uris': ['https://example.com/', 'https://example.com/callback'], 'response_types': ['code'],
		'grant_types': ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'], 'token_endpoint_auth_method': 'none'}`)
	id := first["client_id"]

	same := []string{
		// Identical.
		`{'client_uri': 'https://example.com/', 'client_name': 'Example', 'client_name#en': 'Example',
		'client_name#fr': 'Exemple', 'client_name#de': 'Beispiel',
		'redirect_uris': ['https://example.com/', 'https://example.com/callback'], 'response_types': ['code'],
		'grant_types': ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'], 'token_endpoint_auth_method': 'none'}`,
		// Keys, lists and languages in another order, unknown fields and
		// nulls added, URLs written differently.
		`{'token_endpoint_auth_method': 'none', 'unknown': 1, 'logo_uri': null,
		'grant_types': ['urn:ietf:params:oauth:grant-type:device_code', 'authorization_code'],
		'redirect_uris': ['https://example.com/callback', 'HTTPS://example.com'], 'response_types': ['code'],
		'client_name#de': 'Beispiel', 'client_name#fr': 'Exemple', 'client_name#en': 'Example', 'client_name': 'Example',
		'client_uri': 'https://example.com:443'}`,
	}
	for i, body := range same {
		if got := e.mustRegister(body)["client_id"]; got != id {
			t.Errorf("registration %d: client_id %v, want the first one %v", i, got, id)
		}
	}

	different := []string{
		// One more redirect URI.
		`{'client_uri': 'https://example.com/', 'client_name': 'Example', 'client_name#en': 'Example',
		'client_name#fr': 'Exemple', 'client_name#de': 'Beispiel',
		'redirect_uris': ['https://example.com/', 'https://example.com/callback', 'https://example.com/2'], 'response_types': ['code'],
		'grant_types': ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'], 'token_endpoint_auth_method': 'none'}`,
		// Another translation.
		`{'client_uri': 'https://example.com/', 'client_name': 'Example', 'client_name#en': 'Example',
		'client_name#fr': 'Exemple!', 'client_name#de': 'Beispiel',
		'redirect_uris': ['https://example.com/', 'https://example.com/callback'], 'response_types': ['code'],
		'grant_types': ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'], 'token_endpoint_auth_method': 'none'}`,
	}
	seen := map[any]bool{id: true}
	for i, body := range different {
		got := e.mustRegister(body)["client_id"]
		if seen[got] {
			t.Errorf("different registration %d reused client %v", i, got)
		}
		seen[got] = true
	}

	// Clients with a secret are never shared, even when identical.
	secretBody := `{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/'], 'token_endpoint_auth_method': 'client_secret_basic'}`
	a, b := e.mustRegister(secretBody), e.mustRegister(secretBody)
	if a["client_id"] == b["client_id"] || a["client_secret"] == b["client_secret"] {
		t.Errorf("two confidential registrations share %v / %v", a["client_id"], a["client_secret"])
	}
}

// TestRegistrationDeduplicationRace registers one secret-less client from
// many requests at once: all get the same client.
func TestRegistrationDeduplicationRace(t *testing.T) {
	e := newRegEnv(t)
	body := `{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': 'none'}`
	const n = 8
	url := e.srv.URL + "/oauth2/registration"
	payload := strings.ReplaceAll(body, "'", `"`)
	client := e.srv.Client()
	ids := make(chan any, n)
	errs := make(chan string, n)
	for range n {
		go func() {
			res, err := client.Post(url, "application/json", strings.NewReader(payload))
			if err != nil {
				errs <- err.Error()
				ids <- nil
				return
			}
			defer res.Body.Close()
			var m map[string]any
			if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode != http.StatusCreated {
				errs <- fmt.Sprintf("status %d: %v %v", res.StatusCode, m, err)
				ids <- nil
				return
			}
			ids <- m["client_id"]
		}()
	}
	got := map[any]bool{}
	for range n {
		got[<-ids] = true
	}
	close(errs)
	for msg := range errs {
		t.Errorf("registration failed: %s", msg)
	}
	if len(got) != 1 {
		t.Fatalf("concurrent identical registrations made %d clients", len(got))
	}
	if n := regCountClients(t, e); n != 1 {
		t.Fatalf("%d clients stored, want 1", n)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
