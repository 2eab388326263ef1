package compat

import (
	"context"
	"errors"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/requestctx"
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
// compat refresh token. The old refresh token is consumed into a new one,
// the access token issued with it expires now, and a new pair is issued.
//
// A consumed token that comes back is judged as on the OAuth 2.0 path: if
// the pair it was rotated into was never used, our answer was lost on the
// way and the client may retry once (the unused pair is deleted and
// replaced); if that pair was used, the old token is in someone else's
// hands and the session ends.
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
	sess, err := h.Store.CompatSessions().Lookup(ctx, old.SessionID)
	if err != nil {
		// The token references it: a missing session is our fault.
		return nil, h.fault(ctx, errInternal, "looking up compat session", err)
	}
	if !sess.Active() {
		return nil, errInvalidRefreshToken
	}
	var lost *domain.CompatRefreshToken
	if old.ConsumedAt != nil {
		next, verdict, err := h.judgeReplay(ctx, old)
		switch {
		case err != nil:
			return nil, h.fault(ctx, errInternal, "looking up the refresh token's successor", err)
		case verdict == replayProven:
			return nil, h.endReplayedSession(ctx, sess, old, next)
		case verdict == replayRefused:
			return nil, errInvalidRefreshToken
		}
		lost = next
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
		rt, err := tx.CompatRefreshTokens().Add(ctx, sess.ID, at.ID, refresh)
		if err != nil {
			return err
		}
		if lost != nil {
			return replaceLostPair(ctx, tx, lost, rt.ID)
		}
		if err := tx.CompatRefreshTokens().Consume(ctx, old, rt.ID); err != nil {
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

// replayVerdict is what a consumed refresh token coming back means.
type replayVerdict int

const (
	// replayRefused: nothing to go on (no successor left); refuse it.
	replayRefused replayVerdict = iota
	// replayLostResponse: the successor pair is unused; reissue once.
	replayLostResponse
	// replayProven: the successor pair was used by someone.
	replayProven
)

// judgeReplay looks at the pair a consumed token was rotated into. Its
// refresh token consumed or its access token seen by the homeserver proves
// the client received it, so the old token is being replayed.
func (h *Handler) judgeReplay(ctx context.Context, old *domain.CompatRefreshToken) (*domain.CompatRefreshToken, replayVerdict, error) {
	if old.NextRefreshTokenID == nil {
		return nil, replayRefused, nil
	}
	next, err := h.Store.CompatRefreshTokens().Lookup(ctx, *old.NextRefreshTokenID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, replayRefused, nil
	}
	if err != nil {
		return nil, replayRefused, err
	}
	if next.ConsumedAt != nil {
		return next, replayProven, nil
	}
	at, err := h.Store.CompatAccessTokens().Lookup(ctx, next.AccessTokenID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, replayRefused, nil
	case err != nil:
		return nil, replayRefused, err
	case at.FirstUsedAt != nil:
		return next, replayProven, nil
	}
	requestctx.Logger(ctx).InfoContext(ctx, "compat refresh token reused before its successor was used: reissuing",
		"refresh_token", old.ID, "successor", next.ID)
	return next, replayLostResponse, nil
}

// replaceLostPair deletes the pair whose response never reached the
// client. Consuming its refresh token first takes the row, so a request
// that is using that token right now makes this one lose instead of both
// succeeding. Deleting the access token takes the refresh token with it
// and clears the old token's link, so the retry works only once.
func replaceLostPair(ctx context.Context, tx store.Tx, lost *domain.CompatRefreshToken, replacement domain.ID) error {
	if err := tx.CompatRefreshTokens().Consume(ctx, lost, replacement); err != nil {
		if isConflict(err) {
			return errRefreshRaced
		}
		return err
	}
	err := tx.CompatAccessTokens().DeleteUnused(ctx, lost.AccessTokenID)
	if isConflict(err) || errors.Is(err, store.ErrNotFound) {
		return errRefreshRaced
	}
	return err
}

// endReplayedSession ends the compat session of a refresh token replayed
// after its successor was used, has the homeserver drop the device, and
// logs the security event.
func (h *Handler) endReplayedSession(ctx context.Context, sess *domain.CompatSession, old, next *domain.CompatRefreshToken) *matrixError {
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if err := tx.CompatSessions().Finish(ctx, sess); err != nil {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: sess.UserID})
	})
	if err != nil && !isConflict(err) {
		return h.fault(ctx, errInternal, "ending the session of a replayed refresh token", err)
	}
	requestctx.Logger(ctx).WarnContext(ctx, "security: compat refresh token replayed after its successor was used; session ended",
		"compat_session", sess.ID, "user_id", sess.UserID, "device_id", sess.DeviceID,
		"refresh_token", old.ID, "successor", next.ID, "client_ip", clientIP(ctx))
	return errInvalidRefreshToken
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
