package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/store"
)

// logoutTokenMemory is how long past its exp a logout token's jti is
// remembered: the leeway the validation allows on exp, and then some.
const logoutTokenMemory = 10 * time.Minute

// upstreamBackchannelLogout serves POST
// /upstream/backchannel-logout/{provider_id} (OpenID Connect Back-Channel
// Logout 1.0): the provider says a user's session there ended. Per the
// provider's on_backchannel_logout, the browser sessions that provider
// session signed in are ended (logout_browser_only), with the OAuth 2.0
// and legacy sessions they started (logout_all), or nothing is done
// (do_nothing, the default). A token is acted on once: its jti is
// remembered. Answers are 200 with an empty body, or 400 with an OAuth
// error object (§2.8).
func (h *Handler) upstreamBackchannelLogout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "no-store")
	id, err := domain.ParseID(r.PathValue(routes.ParamProviderID))
	if err != nil {
		requestctx.Logger(ctx).InfoContext(ctx, "back-channel logout: the path's provider ID is malformed")
		logoutError(w, http.StatusNotFound, "unknown provider")
		return
	}
	p, ok := h.Upstream.Lookup(id)
	if !ok {
		requestctx.Logger(ctx).InfoContext(ctx, "back-channel logout: no enabled provider has this ID", "provider_id", id.String())
		logoutError(w, http.StatusNotFound, "unknown provider")
		return
	}
	log := requestctx.Logger(ctx).With("provider_id", p.ID.String())
	r.Body = http.MaxBytesReader(w, r.Body, maxCallbackBytes)
	if err := r.ParseForm(); err != nil {
		log.WarnContext(ctx, "back-channel logout: the request body is not a form", "error", err)
		logoutError(w, http.StatusBadRequest, "the request body is not a form")
		return
	}
	raw := r.PostForm.Get("logout_token")
	if raw == "" {
		log.WarnContext(ctx, "back-channel logout: the request has no logout_token")
		logoutError(w, http.StatusBadRequest, "logout_token is missing")
		return
	}
	lt, err := p.Client.ValidateLogoutToken(ctx, raw)
	if err != nil {
		log.WarnContext(ctx, "back-channel logout: refused a logout token", "error", err)
		logoutError(w, http.StatusBadRequest, "the logout token is not valid")
		return
	}
	action := p.Settings.OnBackchannelLogout
	act := action == domain.UpstreamBackchannelLogoutBrowserOnly || action == domain.UpstreamBackchannelLogoutAll
	var attempts []*domain.UpstreamAuthSession
	if act {
		if attempts, err = h.Store.UpstreamSessions().ListLoggedIn(ctx, p.ID, lt.Subject, lt.SessionID); err != nil {
			h.logoutInternal(w, r, err)
			return
		}
	}
	// The jti is remembered in the transaction that ends the sessions: a
	// failure forgets it too, so that the provider's retry is not taken
	// for a replay.
	keep := lt.Expiry.Add(logoutTokenMemory)
	if now := h.Clock.Now(); keep.Before(now) {
		keep = now.Add(logoutTokenMemory)
	}
	var browsers, others int
	err = store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		browsers, others = 0, 0
		if err := tx.UpstreamSessions().RecordLogoutToken(ctx, p.ID, lt.JTI, keep); err != nil {
			return err
		}
		for _, a := range attempts {
			b, o, err := h.endSignedInSessions(r, tx, *a.BrowserSessionID, action == domain.UpstreamBackchannelLogoutAll)
			if err != nil {
				return err
			}
			browsers, others = browsers+b, others+o
		}
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		log.WarnContext(ctx, "back-channel logout: refused a replayed logout token", "jti", lt.JTI)
		logoutError(w, http.StatusBadRequest, "the logout token was already used")
		return
	}
	if err != nil {
		h.logoutInternal(w, r, err)
		return
	}
	if !act {
		log.InfoContext(ctx, "back-channel logout received; on_backchannel_logout is do_nothing")
		w.WriteHeader(http.StatusOK)
		return
	}
	log.InfoContext(ctx, "back-channel logout", "action", string(action),
		"browser_sessions_ended", browsers, "app_sessions_ended", others)
	w.WriteHeader(http.StatusOK)
}

// endSignedInSessions ends the browser session bs, when still active, and
// with all, the OAuth 2.0 and legacy sessions it started. It returns how
// many of each it ended.
func (h *Handler) endSignedInSessions(r *http.Request, tx store.Tx, bsID domain.ID, all bool) (browsers, others int, err error) {
	ctx := r.Context()
	bs, err := tx.BrowserSessions().Lookup(ctx, bsID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	if bs.Active() {
		if err := tx.BrowserSessions().Finish(ctx, bs); err != nil {
			return 0, 0, err
		}
		browsers++
	}
	if !all {
		return browsers, 0, nil
	}
	oauth, err := tx.Sessions().ListActiveForUser(ctx, bs.UserID)
	if err != nil {
		return 0, 0, err
	}
	for _, s := range oauth {
		if s.BrowserSessionID != nil && *s.BrowserSessionID == bs.ID {
			if err := store.EndOAuthSession(ctx, tx, s); err != nil {
				return 0, 0, err
			}
			others++
		}
	}
	compat, err := tx.CompatSessions().ListActiveForUser(ctx, bs.UserID)
	if err != nil {
		return 0, 0, err
	}
	for _, s := range compat {
		if s.BrowserSessionID != nil && *s.BrowserSessionID == bs.ID {
			if err := store.EndCompatSession(ctx, tx, s); err != nil {
				return 0, 0, err
			}
			others++
		}
	}
	return browsers, others, nil
}

func (h *Handler) logoutInternal(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	requestctx.Logger(ctx).ErrorContext(ctx, "back-channel logout failed", "error", err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": "server_error"})
}

// logoutError is the OAuth error object the specification asks for.
func logoutError(w http.ResponseWriter, status int, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": description})
}
