package oauth

import (
	"context"
	"errors"
	"mime"
	"net/http"

	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/tokens"
)

// userInfo is the userinfo body. Like upstream, no profile or email claims
// are returned whatever the scope.
type userInfo struct {
	Sub      string `json:"sub"`
	Username string `json:"username"`
}

// signedUserInfo is the JWT form (OpenID Connect Core §5.3.2).
type signedUserInfo struct {
	Iss string `json:"iss"`
	Aud string `json:"aud"`
	userInfo
}

// Resource-server error codes (RFC 6750 §3.1).
const (
	bearerInvalidToken      ErrorCode = "invalid_token"
	bearerInsufficientScope ErrorCode = "insufficient_scope"
)

// bearerError is a 401 carrying an RFC 6750 §3 challenge.
func bearerError(code ErrorCode, description string) *Error {
	e := newError(code, http.StatusUnauthorized, description)
	e.WWWAuthenticate = `Bearer error="` + string(code) + `"`
	if description != "" {
		e.WWWAuthenticate += `, error_description="` + description + `"`
	}
	return e
}

// userinfo serves GET and POST /oauth2/userinfo (OpenID Connect Core §5.3)
// for an OAuth 2.0 access token whose session has the openid scope.
func (h *Handler) userinfo(w http.ResponseWriter, r *http.Request) {
	token, e := userinfoToken(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	session, user, e := h.userinfoSession(r.Context(), token)
	if e != nil {
		writeError(w, e)
		return
	}
	client, err := h.lookupClient(r.Context(), session.ClientID)
	if err != nil {
		writeError(w, h.serverFault(r.Context(), "looking up client", err))
		return
	}
	info := userInfo{Sub: user.ID.String(), Username: user.Username}
	alg := client.UserinfoSignedResponseAlg
	if alg == "" {
		writeJSON(w, http.StatusOK, info)
		return
	}
	if h.Keys == nil {
		writeError(w, h.serverFault(r.Context(), "signing userinfo", errors.New("no signing keys configured")))
		return
	}
	jwt, err := h.Keys.Sign(alg, signedUserInfo{Iss: h.URLs.Issuer(), Aud: client.ID.String(), userInfo: info})
	if err != nil {
		writeError(w, h.serverFault(r.Context(), "signing userinfo", err))
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(jwt))
}

// userinfoToken finds the access token: in the Authorization header, or
// for a form POST in the access_token body parameter (RFC 6750 §2.1-2.2).
// Using both at once is an error; query parameters are never read
// (RFC 9700 §4.3.2).
func userinfoToken(w http.ResponseWriter, r *http.Request) (string, *Error) {
	header, inHeader := bearerToken(r)
	var body string
	if r.Method == http.MethodPost {
		if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && ct == "application/x-www-form-urlencoded" {
			if e := parseForm(w, r); e != nil {
				return "", e
			}
			v, e := formParam(r.PostForm, "access_token")
			if e != nil {
				return "", e
			}
			body = v
		}
	}
	switch {
	case inHeader && body != "":
		return "", newError(ErrInvalidRequest, 0, "the access token was sent both in the header and in the body")
	case inHeader:
		return header, nil
	case body != "":
		return body, nil
	}
	// Without any credential the challenge carries no error code.
	e := newError(bearerInvalidToken, http.StatusUnauthorized, "no access token was presented")
	e.WWWAuthenticate = "Bearer"
	return "", e
}

// userinfoSession resolves a token to its session and user, refusing
// anything but a live OAuth 2.0 access token of a user session with the
// openid scope.
func (h *Handler) userinfoSession(ctx context.Context, token string) (*domain.Session, *domain.User, *Error) {
	invalid := bearerError(bearerInvalidToken, "the access token is not valid")
	if kind, err := tokens.Check(token); err != nil || kind != tokens.AccessToken {
		return nil, nil, invalid
	}
	at, session, user, err := h.Store.AccessTokens().FindForIntrospection(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, invalid
	}
	if err != nil {
		return nil, nil, h.serverFault(ctx, "looking up access token", err)
	}
	if !at.Valid(h.Clock.Now()) || !session.Active() || user == nil || !user.IsValid() {
		return nil, nil, invalid
	}
	if !scopeIncludes(session.Scope, domain.ScopeOpenID) {
		e := bearerError(bearerInsufficientScope, "the access token does not grant the openid scope")
		e.WWWAuthenticate += `, scope="openid"`
		return nil, nil, e
	}
	if at.FirstUsedAt == nil {
		if err := h.Store.AccessTokens().MarkUsed(ctx, at); err != nil {
			return nil, nil, h.serverFault(ctx, "marking access token used", err)
		}
	}
	h.recordActivity(ctx, session, requesterIP(ctx))
	return session, user, nil
}
