package compat

import (
	"context"
	"errors"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/tokens"
)

// refreshResponse is the body of a successful refresh.
type refreshResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresInMS  int64  `json:"expires_in_ms"`
}

// errRefreshRaced means another request consumed the refresh token first.
var errRefreshRaced = errors.New("refresh token consumed concurrently")

// refresh serves POST /_matrix/client/{version}/refresh: it rotates a
// compat refresh token. The old refresh token is consumed, the access
// token issued with it expires now, and a new pair is issued. Unlike OAuth
// refresh tokens, a consumed compat refresh token is never accepted again.
func (h *Handler) refresh(w http.ResponseWriter, r *http.Request) {
	obj, e := readJSONObject(w, r, false)
	if e != nil {
		writeError(w, e)
		return
	}
	presented, e := obj.str("refresh_token")
	if e != nil {
		writeError(w, e)
		return
	}
	resp, e := h.doRefresh(r, presented)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *Handler) doRefresh(r *http.Request, presented string) (*refreshResponse, *matrixError) {
	ctx := r.Context()
	if typ, err := tokens.Check(presented); err != nil || typ != tokens.CompatRefreshToken {
		return nil, errInvalidRefreshToken
	}
	old, err := h.Store.CompatRefreshTokens().FindByToken(ctx, presented)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidRefreshToken
	}
	if err != nil {
		return nil, h.fault(ctx, errInternal, "looking up refresh token", err)
	}
	if old.ConsumedAt != nil {
		return nil, errInvalidRefreshToken
	}
	sess, err := h.Store.CompatSessions().Lookup(ctx, old.SessionID)
	if err != nil {
		// The token references it: a missing session is our fault.
		return nil, h.fault(ctx, errInternal, "looking up compat session", err)
	}
	if !sess.Active() {
		return nil, errInvalidRefreshToken
	}
	now := h.Clock.Now()
	oldAccess, err := h.Store.CompatAccessTokens().Lookup(ctx, old.AccessTokenID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		oldAccess = nil
	case err != nil:
		return nil, h.fault(ctx, errInternal, "looking up access token", err)
	}

	access, err := tokens.Generate(tokens.CompatAccessToken, h.Rand)
	if err != nil {
		return nil, h.fault(ctx, errInternal, "generating access token", err)
	}
	refresh, err := tokens.Generate(tokens.CompatRefreshToken, h.Rand)
	if err != nil {
		return nil, h.fault(ctx, errInternal, "generating refresh token", err)
	}
	ttl := h.tokenTTL()
	expiresAt := now.Add(ttl)
	err = store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		at, err := tx.CompatAccessTokens().Add(ctx, sess.ID, access, &expiresAt)
		if err != nil {
			return err
		}
		if _, err := tx.CompatRefreshTokens().Add(ctx, sess.ID, at.ID, refresh); err != nil {
			return err
		}
		if err := tx.CompatRefreshTokens().Consume(ctx, old); err != nil {
			if isConflict(err) {
				return errRefreshRaced
			}
			return err
		}
		if oldAccess != nil && oldAccess.Valid(now) {
			if err := tx.CompatAccessTokens().Expire(ctx, oldAccess); err != nil {
				return err
			}
		}
		return recordActivity(ctx, tx, sess, now)
	})
	switch {
	case errors.Is(err, errRefreshRaced):
		return nil, errInvalidRefreshToken
	case err != nil:
		return nil, h.fault(ctx, errInternal, "rotating compat refresh token", err)
	}
	return &refreshResponse{AccessToken: access, RefreshToken: refresh, ExpiresInMS: ttl.Milliseconds()}, nil
}

// recordActivity stamps the session as used now, from the request's
// address when it is known.
func recordActivity(ctx context.Context, repos store.Repos, s *domain.CompatSession, now time.Time) error {
	ip := clientIP(ctx)
	if ip == "" {
		ip = s.LastActiveIP
	}
	return repos.CompatSessions().RecordActivity(ctx, s.ID, now, ip)
}
