package compat

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"mas/internal/domain"
	"mas/internal/requestctx"
	"mas/internal/store"
	"mas/internal/tokens"
)

// bearerToken extracts the access token of an "Authorization: Bearer"
// header; ok is false when there is none.
func bearerToken(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	if len(v) < len("Bearer ") || !strings.EqualFold(v[:len("Bearer ")], "Bearer ") {
		return "", false
	}
	token := strings.TrimSpace(v[len("Bearer "):])
	return token, token != ""
}

// authenticate finds the active compat session of the request's access
// token. Anything but a valid, unexpired compat access token of an active
// session is M_UNKNOWN_TOKEN.
func (h *Handler) authenticate(r *http.Request) (*domain.CompatSession, *matrixError) {
	ctx := r.Context()
	presented, ok := bearerToken(r)
	if !ok {
		return nil, errMissingAccessToken
	}
	if typ, err := tokens.Check(presented); err != nil || typ != tokens.CompatAccessToken {
		return nil, errInvalidAccessToken
	}
	token, err := h.Store.CompatAccessTokens().FindByToken(ctx, presented)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidAccessToken
	}
	if err != nil {
		return nil, h.fault(ctx, errInternal, "looking up access token", err)
	}
	if !token.Valid(h.Clock.Now()) {
		return nil, errInvalidAccessToken
	}
	sess, err := h.Store.CompatSessions().Lookup(ctx, token.SessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidAccessToken
	}
	if err != nil {
		return nil, h.fault(ctx, errInternal, "looking up compat session", err)
	}
	if !sess.Active() {
		return nil, errInvalidAccessToken
	}
	return sess, nil
}

// logout serves POST /_matrix/client/{version}/logout: it ends the compat
// session of the access token. The device sync scheduled in the same
// transaction deletes the device on the homeserver, which is also what
// makes the homeserver drop the token from its introspection cache.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess, e := h.authenticate(r)
	if e != nil {
		writeError(w, e)
		return
	}
	if _, err := h.Store.Users().Lookup(ctx, sess.UserID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, errInvalidAccessToken)
			return
		}
		writeError(w, h.fault(ctx, errInternal, "looking up user", err))
		return
	}
	now := h.Clock.Now()
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if err := recordActivity(ctx, tx, sess, now); err != nil {
			return err
		}
		return store.EndCompatSession(ctx, tx, sess)
	})
	switch {
	case isConflict(err):
		// Logged out concurrently: the token is no longer valid.
		writeError(w, errInvalidAccessToken)
	case err != nil:
		writeError(w, h.fault(ctx, errInternal, "ending compat session", err))
	default:
		writeJSON(w, http.StatusOK, struct{}{})
	}
}

// logoutAll serves POST /_matrix/client/{version}/logout/all. Ending every
// session of the user would include OAuth 2.0 sessions this legacy API
// knows nothing about, so the endpoint only works for clients that say
// ending the compat sessions is enough ({"io.element.only_compat_is_fine":
// true}); others get 404 M_UNRECOGNIZED, as from a server without it.
func (h *Handler) logoutAll(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	obj, e := readJSONObject(w, r, true)
	if e != nil {
		writeError(w, e)
		return
	}
	onlyCompat, e := obj.flag("io.element.only_compat_is_fine")
	if e != nil {
		writeError(w, e)
		return
	}
	sess, e := h.authenticate(r)
	if e != nil {
		writeError(w, e)
		return
	}
	user, err := h.Store.Users().Lookup(ctx, sess.UserID)
	if err != nil {
		writeError(w, h.fault(ctx, errInternal, "looking up user", err))
		return
	}
	if !user.IsValid() {
		writeError(w, errInvalidAccessToken)
		return
	}
	if !onlyCompat {
		writeError(w, errLogoutAllDisabled)
		return
	}
	n, err := h.finishAllCompatSessions(ctx, sess, user)
	if err != nil {
		writeError(w, h.fault(ctx, errInternal, "ending compat sessions", err))
		return
	}
	requestctx.Logger(ctx).InfoContext(ctx, "logged out all compat sessions", "user_id", user.ID.String(), "count", n)
	writeJSON(w, http.StatusOK, struct{}{})
}

func (h *Handler) finishAllCompatSessions(ctx context.Context, sess *domain.CompatSession, user *domain.User) (int, error) {
	var n int
	now := h.Clock.Now()
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if err := recordActivity(ctx, tx, sess, now); err != nil {
			return err
		}
		var err error
		if n, err = tx.CompatSessions().FinishAllForUser(ctx, user.ID); err != nil {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: user.ID})
	})
	return n, err
}
