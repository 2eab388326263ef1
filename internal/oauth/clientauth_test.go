package oauth

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mas/internal/domain"
	"mas/internal/routes"
)

const regTestSecret = "s3cretS3cretS3cret42"

// regSecretClient stores a client with the given method and secret.
func (e *regEnv) regSecretClient(method, secret string) string {
	e.t.Helper()
	c := e.addClient(&domain.Client{
		RedirectURIs:            []string{"https://example.com/cb"},
		GrantAuthorizationCode:  true,
		TokenEndpointAuthMethod: method,
	}, secret)
	return c.ID.String()
}

func wantAuthenticated(t *testing.T, res regResponse, clientID string) {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("status %d, want 200\n%s", res.status, res.body)
	}
	if got := res.json(t)["client_id"]; got != clientID {
		t.Fatalf("authenticated %v, want %s", got, clientID)
	}
}

func wantInvalidClient(t *testing.T, res regResponse, basic bool, desc string) {
	t.Helper()
	wantOAuthError(t, res, http.StatusUnauthorized, ErrInvalidClient, desc)
	challenge := res.header.Get("WWW-Authenticate")
	if basic && challenge != `Basic realm="https://auth.example.com/"` {
		t.Errorf("WWW-Authenticate = %q, want a Basic challenge", challenge)
	}
	if !basic && challenge != "" {
		t.Errorf("WWW-Authenticate = %q without Basic authentication", challenge)
	}
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func TestClientAuthSecrets(t *testing.T) {
	e := newRegEnv(t)
	basicID := e.regSecretClient(authMethodClientSecretBasic, regTestSecret)
	postID := e.regSecretClient(authMethodClientSecretPost, regTestSecret)
	noneID := e.regSecretClient(authMethodNone, "")
	jwtID := e.regSecretClient(authMethodClientSecretJWT, regTestSecret)
	unknownID := domain.NewIDGenerator(bytes.NewReader(make([]byte, 64))).New(regStart).String()
	token := routes.OAuth2Token

	t.Run("basic", func(t *testing.T) {
		wantAuthenticated(t, e.authenticate(token, nil, basicID, regTestSecret), basicID)
	})
	t.Run("basic with matching body client_id", func(t *testing.T) {
		wantAuthenticated(t, e.authenticate(token, form("client_id", basicID), basicID, regTestSecret), basicID)
	})
	t.Run("basic with mismatching body client_id", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, form("client_id", postID), basicID, regTestSecret), true, "does not match")
	})
	t.Run("basic wrong secret", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, nil, basicID, regTestSecret+"x"), true, "client authentication failed")
	})
	t.Run("basic empty secret", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, nil, basicID, ""), true, "client authentication failed")
	})
	t.Run("basic unknown client", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, nil, unknownID, regTestSecret), true, "unknown client")
	})
	t.Run("basic malformed client_id", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, nil, "not-a-ulid", regTestSecret), true, "unknown client")
	})
	t.Run("basic for a post client", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, nil, postID, regTestSecret), true, "must authenticate with client_secret_post")
	})
	t.Run("basic for a public client", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, nil, noneID, "anything"), true, "must authenticate with none")
	})
	t.Run("basic and post at once", func(t *testing.T) {
		res := e.authenticate(token, form("client_id", basicID, "client_secret", regTestSecret), basicID, regTestSecret)
		wantOAuthError(t, res, http.StatusBadRequest, ErrInvalidRequest, "more than one authentication method")
	})
	t.Run("basic not base64", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+token, strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Basic !!!")
		wantOAuthError(t, e.do(req), http.StatusBadRequest, ErrInvalidRequest, "Authorization header")
	})
	t.Run("basic without colon", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+token, strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(basicID)))
		wantOAuthError(t, e.do(req), http.StatusBadRequest, ErrInvalidRequest, "Authorization header")
	})
	t.Run("basic scheme is case-insensitive", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+token, strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "bAsIc "+base64.StdEncoding.EncodeToString([]byte(basicID+":"+regTestSecret)))
		wantAuthenticated(t, e.do(req), basicID)
	})
	t.Run("other Authorization scheme", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+token, strings.NewReader("client_id="+noneID))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Digest abc")
		wantOAuthError(t, e.do(req), http.StatusBadRequest, ErrInvalidRequest, "Authorization scheme")
	})
	t.Run("bearer", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+token, strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer sometoken")
		wantInvalidClient(t, e.do(req), false, "bearer")
	})

	t.Run("post", func(t *testing.T) {
		wantAuthenticated(t, e.authenticate(token, form("client_id", postID, "client_secret", regTestSecret), "", ""), postID)
	})
	t.Run("post wrong secret", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, form("client_id", postID, "client_secret", "nope"), "", ""), false, "client authentication failed")
	})
	t.Run("post for a basic client", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, form("client_id", basicID, "client_secret", regTestSecret), "", ""), false, "must authenticate with client_secret_basic")
	})
	t.Run("post unknown client", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, form("client_id", unknownID, "client_secret", regTestSecret), "", ""), false, "unknown client")
	})
	t.Run("post secret without client_id", func(t *testing.T) {
		wantOAuthError(t, e.authenticate(token, form("client_secret", regTestSecret), "", ""), http.StatusBadRequest, ErrInvalidRequest, "client_id")
	})
	t.Run("repeated client_id", func(t *testing.T) {
		res := e.authenticate(token, form("client_id", postID, "client_id", postID, "client_secret", regTestSecret), "", "")
		wantOAuthError(t, res, http.StatusBadRequest, ErrInvalidRequest, "repeated")
	})

	t.Run("none", func(t *testing.T) {
		wantAuthenticated(t, e.authenticate(token, form("client_id", noneID), "", ""), noneID)
	})
	t.Run("none for a confidential client", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, form("client_id", basicID), "", ""), false, "must authenticate with client_secret_basic")
	})
	t.Run("none for a client_secret_jwt client", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, form("client_id", jwtID), "", ""), false, "must authenticate with client_secret_jwt")
	})
	t.Run("secret for a public client", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, form("client_id", noneID, "client_secret", "x"), "", ""), false, "must authenticate with none")
	})
	t.Run("nothing", func(t *testing.T) {
		wantInvalidClient(t, e.authenticate(token, form("grant_type", "client_credentials"), "", ""), false, "no client authentication")
	})
}

func TestClientAuthMisconfiguredClients(t *testing.T) {
	e := newRegEnv(t)
	noMethod := e.addClient(&domain.Client{}, "").ID.String()
	noSecret := e.regSecretClient(authMethodClientSecretBasic, "")
	badSecret := e.addClient(&domain.Client{TokenEndpointAuthMethod: authMethodClientSecretPost, EncryptedSecret: "bm90IGVuY3J5cHRlZA=="}, "").ID.String()

	wantInvalidClient(t, e.authenticate(routes.OAuth2Token, form("client_id", noMethod), "", ""), false, "no token endpoint authentication method")
	wantInvalidClient(t, e.authenticate(routes.OAuth2Token, nil, noSecret, "x"), true, "client authentication failed")
	res := e.authenticate(routes.OAuth2Token, form("client_id", badSecret, "client_secret", "x"), "", "")
	wantOAuthError(t, res, http.StatusInternalServerError, ErrServerError, "")
}

// TestClientAuthBasicEncoding: RFC 6749 §2.3.1 form-encodes the ID and
// secret inside Basic; many clients do not. Both must work.
func TestClientAuthBasicEncoding(t *testing.T) {
	e := newRegEnv(t)
	const secret = "a+b%2Fc d:e"
	id := e.regSecretClient(authMethodClientSecretBasic, secret)
	wantAuthenticated(t, e.authenticate(routes.OAuth2Token, nil, id, secret), id)
	wantAuthenticated(t, e.authenticate(routes.OAuth2Token, nil, url.QueryEscape(id), url.QueryEscape(secret)), id)
	wantInvalidClient(t, e.authenticate(routes.OAuth2Token, nil, id, "a b/c d:e"), true, "client authentication failed")
}

// TestClientAuthRegisteredClient goes through registration and then
// authenticates with what it returned.
func TestClientAuthRegisteredClient(t *testing.T) {
	e := newRegEnv(t)
	for _, method := range []string{authMethodClientSecretBasic, authMethodClientSecretPost} {
		m := e.mustRegister(`{'client_uri': 'https://example.com/', 'redirect_uris': ['https://example.com/cb'], 'token_endpoint_auth_method': '` + method + `'}`)
		id, secret := m["client_id"].(string), m["client_secret"].(string)
		var res regResponse
		if method == authMethodClientSecretBasic {
			res = e.authenticate(routes.OAuth2Token, nil, id, secret)
		} else {
			res = e.authenticate(routes.OAuth2Token, form("client_id", id, "client_secret", secret), "", "")
		}
		wantAuthenticated(t, res, id)
	}
}

// TestClientAuthDoesNotLogSecrets captures the request logs of failing and
// succeeding authentications.
func TestClientAuthDoesNotLogSecrets(t *testing.T) {
	e := newRegEnv(t)
	var logs bytes.Buffer
	e.logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	id := e.regSecretClient(authMethodClientSecretPost, regTestSecret)
	e.authenticate(routes.OAuth2Token, form("client_id", id, "client_secret", regTestSecret), "", "")
	e.authenticate(routes.OAuth2Token, form("client_id", id, "client_secret", "wrong-secret-value"), "", "")
	jwtID := e.regSecretClient(authMethodClientSecretJWT, regTestSecret)
	assertion := regHMACAssertion(t, "HS256", regTestSecret, e.regClaims(jwtID))
	e.authenticate(routes.OAuth2Token, regAssertionForm(assertion), "", "")
	e.authenticate(routes.OAuth2Token, regAssertionForm(assertion), "", "") // replay: logged
	for _, secret := range []string{regTestSecret, "wrong-secret-value", assertion} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("logs contain a credential:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), "replayed client assertion") {
		t.Fatalf("the replay was not logged:\n%s", logs.String())
	}
}
