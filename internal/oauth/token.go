package oauth

import (
	"context"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/tokens"
)

// tokenResponse is the RFC 6749 §5.1 success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
}

// tokenGrant is one grant type. It runs with the client already
// authenticated and the form parsed, and answers either a response or the
// protocol error to send.
type tokenGrant interface {
	exchange(ctx context.Context, r *http.Request, client *domain.Client) (*tokenResponse, *Error)
}

// grantFor picks the grant for a grant_type value; nil if unsupported.
func (h *Handler) grantFor(grantType string) tokenGrant {
	switch grantType {
	case grantTypeAuthorizationCode:
		return authorizationCodeGrant{h}
	case grantTypeRefreshToken:
		return refreshTokenGrant{h}
	case grantTypeClientCredentials:
		return clientCredentialsGrant{h}
	case grantTypeDeviceCode:
		if h.Settings.DeviceCodeGrantEnabled {
			return deviceCodeGrant{h}
		}
	}
	return nil
}

// token serves POST /oauth2/token. The client authenticates before
// anything about the grant is looked at, as upstream does, so an
// unauthenticated caller learns nothing about codes or tokens.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(w, r); e != nil {
		writeError(w, e)
		return
	}
	client, e := h.authenticateClient(r)
	if e != nil {
		writeError(w, e)
		return
	}
	grantType, e := requiredFormParam(r.PostForm, "grant_type")
	if e != nil {
		writeError(w, e)
		return
	}
	g := h.grantFor(grantType)
	if g == nil {
		writeError(w, newError(ErrUnsupportedGrantType, 0, "unsupported grant type "+quoteForError(grantType)))
		return
	}
	resp, e := g.exchange(r.Context(), r, client)
	if e != nil {
		writeError(w, e)
		return
	}
	resp.TokenType = "Bearer"
	writeJSON(w, http.StatusOK, resp)
}

// quoteForError quotes a client-supplied value for an error description,
// cut short so a huge value is not echoed back.
func quoteForError(s string) string {
	const limit = 64
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return "\"" + s + "\""
}

// unauthorizedGrantType is the error for a client using a grant type it did
// not register.
func unauthorizedGrantType(grantType string) *Error {
	return newError(ErrUnauthorizedClient, http.StatusUnauthorized,
		"the client is not allowed to use the "+grantType+" grant type")
}

// invalidGrant is a 400 invalid_grant with a description.
func invalidGrant(description string) *Error {
	return newError(ErrInvalidGrant, 0, description)
}

// defaultAccessTokenTTL applies when Settings.AccessTokenTTL is unset
// (experimental.access_token_ttl defaults to five minutes).
const defaultAccessTokenTTL = 5 * time.Minute

// tokenTTL is the lifetime of the OAuth access tokens issued now.
func (h *Handler) tokenTTL() time.Duration {
	if h.Settings.AccessTokenTTL > 0 {
		return h.Settings.AccessTokenTTL
	}
	return defaultAccessTokenTTL
}

// unixSeconds is an instant as a JWT/introspection NumericDate.
func unixSeconds(t time.Time) *int64 {
	s := t.Unix()
	return &s
}

// newTokenPair mints the strings of an access and a refresh token.
func (h *Handler) newTokenPair() (access, refresh string, err error) {
	if access, err = tokens.Generate(tokens.AccessToken, h.Rand); err != nil {
		return "", "", err
	}
	if refresh, err = tokens.Generate(tokens.RefreshToken, h.Rand); err != nil {
		return "", "", err
	}
	return access, refresh, nil
}
