package adminapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"slices"
	"strings"

	"mas/internal/domain"
	"mas/internal/policy"
	"mas/internal/store"
	"mas/internal/tokens"
)

// AdminScope is the scope a token's session needs to call the Admin API.
const AdminScope = "urn:mas:admin"

// caller is the session behind the request's token: an OAuth 2.0 session
// (of an admin user, or of a client for client_credentials) or a personal
// session.
type caller struct {
	oauth    *domain.Session
	personal *domain.PersonalSession
}

type callerKey struct{}

// callerOf returns the caller authorized lets through.
func callerOf(r *http.Request) caller {
	c, _ := r.Context().Value(callerKey{}).(caller)
	return c
}

// authorized lets the request through when it carries a Bearer OAuth 2.0
// access token (mat_) or personal access token (mpt_) whose session holds
// AdminScope: missing or unusable tokens answer 401, a token without the
// scope (or of a user no longer allowed to administer) 403, with
// upstream's titles.
func (h *Handler) authorized(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, status, title, err := h.checkToken(r)
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
		next(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

// checkToken returns the caller, or the refusal (status and title).
func (h *Handler) checkToken(r *http.Request) (caller, int, string, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return caller{}, http.StatusUnauthorized, "Missing authorization header", nil
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return caller{}, http.StatusUnauthorized, "Invalid authorization header", nil
	}
	switch kind, err := tokens.Check(token); {
	case err == nil && kind == tokens.AccessToken:
		return h.checkAccessToken(r.Context(), token)
	case err == nil && kind == tokens.PersonalAccessToken:
		return h.checkPersonalToken(r.Context(), token)
	}
	return caller{}, http.StatusUnauthorized, "Unknown access token", nil
}

func (h *Handler) checkAccessToken(ctx context.Context, token string) (caller, int, string, error) {
	at, s, user, err := h.Store.AccessTokens().FindForIntrospection(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		return caller{}, http.StatusUnauthorized, "Unknown access token", nil
	}
	if err != nil {
		return caller{}, 0, "", err
	}
	switch {
	case !at.Valid(h.Clock.Now()):
		return caller{}, http.StatusUnauthorized, "Access token expired or revoked", nil
	case !s.Active():
		return caller{}, http.StatusUnauthorized, "Session is finished", nil
	case s.UserID != nil && (user == nil || !user.IsValid()):
		return caller{}, http.StatusUnauthorized, "User is locked or deactivated", nil
	case !slices.Contains(s.Scope, AdminScope):
		return caller{}, http.StatusForbidden, "Missing urn:mas:admin scope", nil
	case s.UserID != nil && !h.Policy.CanRequestAdmin(policy.User{Username: user.Username, CanRequestAdmin: user.CanRequestAdmin}):
		return caller{}, http.StatusForbidden, "User is not allowed to use the admin API", nil
	}
	return caller{oauth: s}, 0, "", nil
}

// checkPersonalToken checks an mpt_ token, kept only as its SHA-256. As
// upstream, a locked actor may still act (only deactivation stops it),
// while a session owned by a user dies with that user's account.
func (h *Handler) checkPersonalToken(ctx context.Context, token string) (caller, int, string, error) {
	sum := sha256.Sum256([]byte(token))
	pat, s, actor, owner, err := h.Store.PersonalAccessTokens().FindForIntrospection(ctx, sum[:])
	if errors.Is(err, store.ErrNotFound) {
		return caller{}, http.StatusUnauthorized, "Unknown access token", nil
	}
	if err != nil {
		return caller{}, 0, "", err
	}
	switch {
	case !pat.Valid(h.Clock.Now()):
		return caller{}, http.StatusUnauthorized, "Access token expired or revoked", nil
	case s.RevokedAt != nil:
		return caller{}, http.StatusUnauthorized, "Session is finished", nil
	case actor == nil || actor.DeactivatedAt != nil,
		s.OwnerUserID != nil && (owner == nil || !owner.IsValid()):
		return caller{}, http.StatusUnauthorized, "User is locked or deactivated", nil
	case !slices.Contains(s.Scope, AdminScope):
		return caller{}, http.StatusForbidden, "Missing urn:mas:admin scope", nil
	}
	return caller{personal: s}, 0, "", nil
}
