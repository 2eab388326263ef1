package oauth

import (
	"net/http"
	"net/url"
	"testing"
)

// Text that is not text (invalid UTF-8, NUL) is refused at the edge of
// every endpoint, with the protocol's own error, before anything is
// stored: PostgreSQL refuses it in text columns and would answer 500.

func TestRegistrationRefusesNonText(t *testing.T) {
	e := newRegEnv(t)
	for name, body := range map[string]string{
		"NUL in client_name": `{"client_name": "bad\u0000name", "client_uri": "https://example.com/", "redirect_uris": ["https://example.com/cb"], "token_endpoint_auth_method": "none"}`,
		"invalid UTF-8":      "{\"client_name\": \"bad\xffname\", \"client_uri\": \"https://example.com/\", \"redirect_uris\": [\"https://example.com/cb\"], \"token_endpoint_auth_method\": \"none\"}",
		"NUL in a key":       `{"x\u0000": 1, "client_uri": "https://example.com/", "redirect_uris": ["https://example.com/cb"], "token_endpoint_auth_method": "none"}`,
	} {
		t.Run(name, func(t *testing.T) {
			res := e.register(body)
			wantOAuthError(t, res, http.StatusBadRequest, ErrInvalidClientMetadata, "not valid UTF-8 or has a NUL character")
		})
	}
}

func TestTokenEndpointRefusesNonText(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	for name, form := range map[string]url.Values{
		"NUL in the code":        {"grant_type": {"authorization_code"}, "client_id": {c.ID.String()}, "code": {"a\x00b"}, "redirect_uri": {tokenTestRedirectURI}},
		"invalid UTF-8 in scope": {"grant_type": {"client_credentials"}, "client_id": {c.ID.String()}, "scope": {"\xff"}},
	} {
		t.Run(name, func(t *testing.T) {
			wantTokenError(t, e.tokenRequest(form), http.StatusBadRequest, ErrInvalidRequest)
		})
	}
}
