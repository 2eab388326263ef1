package adminapi

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"mas/internal/store"
	"mas/internal/tokens"
)

// AdminScope is the scope a token's session needs to call the Admin API.
const AdminScope = "urn:mas:admin"

// authorized lets the request through when it carries a Bearer OAuth 2.0
// access token whose session holds AdminScope: missing or unusable tokens
// answer 401, a token without the scope (or of a user no longer allowed
// to administer) 403, with upstream's titles.
func (h *Handler) authorized(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, title, err := h.checkToken(r)
		if err != nil {
			internalError(w, r, err)
			return
		}
		if status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", "Bearer")
			}
			writeError(w, status, title)
			return
		}
		next(w, r)
	})
}

// checkToken returns the refusal (status and title), or a zero status.
func (h *Handler) checkToken(r *http.Request) (int, string, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return http.StatusUnauthorized, "Missing authorization header", nil
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return http.StatusUnauthorized, "Invalid authorization header", nil
	}
	if kind, err := tokens.Check(token); err != nil || kind != tokens.AccessToken {
		return http.StatusUnauthorized, "Unknown access token", nil
	}
	at, s, user, err := h.Store.AccessTokens().FindForIntrospection(r.Context(), token)
	if errors.Is(err, store.ErrNotFound) {
		return http.StatusUnauthorized, "Unknown access token", nil
	}
	if err != nil {
		return 0, "", err
	}
	switch {
	case !at.Valid(h.Clock.Now()):
		return http.StatusUnauthorized, "Access token expired or revoked", nil
	case !s.Active():
		return http.StatusUnauthorized, "Session is finished", nil
	case s.UserID != nil && (user == nil || !user.IsValid()):
		return http.StatusUnauthorized, "User is locked or deactivated", nil
	case !slices.Contains(s.Scope, AdminScope):
		return http.StatusForbidden, "Missing urn:mas:admin scope", nil
	case s.UserID != nil && !user.CanRequestAdmin:
		return http.StatusForbidden, "User is not allowed to use the admin API", nil
	}
	return 0, "", nil
}
