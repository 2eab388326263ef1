package oauth

import (
	"context"
	"errors"
	"net/http"

	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/tokens"
)

// revoke serves POST /oauth2/revoke (RFC 7009). Revoking either token of
// an OAuth 2.0 session ends the whole session, which is how a Matrix
// client logs out; the homeserver then loses the session's device.
//
// Whatever cannot be revoked (unknown, malformed, already invalid, compat
// tokens) gets the same empty 200 as success, so the endpoint does not
// reveal which tokens exist (RFC 7009 §2.2).
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(w, r); e != nil {
		writeError(w, e)
		return
	}
	client, e := h.authenticateClient(r)
	if e != nil {
		writeError(w, e)
		return
	}
	token, e := requiredFormParam(r.PostForm, "token")
	if e != nil {
		writeError(w, e)
		return
	}
	hint, e := formParam(r.PostForm, "token_type_hint")
	if e != nil {
		writeError(w, e)
		return
	}
	if e := h.revokeToken(r.Context(), client, token, hint); e != nil {
		writeError(w, e)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// revokeToken ends the session of token if it is a live OAuth 2.0 token of
// client. A nil result means "answer 200", whether or not anything ended.
func (h *Handler) revokeToken(ctx context.Context, client *domain.Client, token, hint string) *Error {
	kind, err := tokens.Check(token)
	if err != nil {
		return nil
	}
	switch hint {
	case "", hintAccessToken, hintRefreshToken:
	default:
		return newError(ErrUnsupportedTokenType, 0, "unsupported token_type_hint "+quoteForError(hint))
	}
	if hint != "" && hint != hintFor(kind) {
		return nil
	}
	var sessionID domain.ID
	switch kind {
	case tokens.AccessToken:
		at, err := h.Store.AccessTokens().FindByToken(ctx, token)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return h.serverFault(ctx, "looking up access token", err)
		}
		if !at.Valid(h.Clock.Now()) {
			return nil
		}
		sessionID = at.SessionID
	case tokens.RefreshToken:
		rt, err := h.Store.RefreshTokens().FindByToken(ctx, token)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return h.serverFault(ctx, "looking up refresh token", err)
		}
		if !rt.Valid() {
			return nil
		}
		sessionID = rt.SessionID
	default:
		// Compat and personal tokens are not revoked here.
		return nil
	}

	session, err := h.Store.Sessions().Lookup(ctx, sessionID)
	if err != nil {
		return h.serverFault(ctx, "looking up oauth2 session", err)
	}
	if !session.Active() {
		return nil
	}
	if session.ClientID != client.ID {
		return newError(ErrUnauthorizedClient, http.StatusUnauthorized, "the token was issued to another client")
	}
	err = store.WithTx(ctx, h.Store, func(tx store.Tx) error { return endSession(ctx, tx, session.ID) })
	if err != nil {
		return h.serverFault(ctx, "ending oauth2 session", err)
	}
	return nil
}
