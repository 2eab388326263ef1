package compat

import (
	"context"
	"errors"
	"time"

	"mas/internal/requestctx"
	"mas/internal/store"
)

// loginTokenLifetime bounds the time between the user's approval in the
// browser and the client redeeming the loginToken it was sent back with.
const loginTokenLifetime = 30 * time.Second

// tokenLogin checks an m.login.token login: the token of an SSO login the
// user approved less than loginTokenLifetime ago, not redeemed before, in
// a browser session that is still active.
func (h *Handler) tokenLogin(ctx context.Context, token string) (*authenticated, *matrixError) {
	login, err := h.Store.CompatSSOLogins().FindByToken(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errLoginTokenInvalid
	}
	if err != nil {
		return nil, h.fault(ctx, errLoginInternal, "looking up login token", err)
	}
	now := h.Clock.Now()
	switch login.Stage() {
	case "fulfilled":
		if now.Sub(*login.FulfilledAt) > loginTokenLifetime {
			return nil, errLoginTokenExpired
		}
	case "exchanged":
		if now.Sub(*login.ExchangedAt) > loginTokenLifetime {
			// Within the window this is a client retrying; later, someone
			// else may hold the token.
			requestctx.Logger(ctx).WarnContext(ctx, "login token presented again long after its exchange",
				"compat_sso_login_id", login.ID.String())
		}
		return nil, errLoginTokenInvalid
	default:
		requestctx.Logger(ctx).WarnContext(ctx, "login token presented before the user approved the login",
			"compat_sso_login_id", login.ID.String())
		return nil, errLoginTokenInvalid
	}

	if login.BrowserSessionID == nil {
		// The browser session row is gone (the column is ON DELETE SET
		// NULL): nobody can vouch for this login any more.
		return nil, errLoginTokenInvalid
	}
	browser, err := h.Store.BrowserSessions().Lookup(ctx, *login.BrowserSessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errLoginTokenInvalid
	}
	if err != nil {
		return nil, h.fault(ctx, errLoginInternal, "looking up browser session", err)
	}
	user, err := h.Store.Users().Lookup(ctx, browser.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errLoginTokenInvalid
	}
	if err != nil {
		return nil, h.fault(ctx, errLoginInternal, "looking up user", err)
	}
	switch {
	case !browser.Active(), user.DeactivatedAt != nil:
		return nil, errLoginTokenInvalid
	case user.LockedAt != nil:
		return nil, errUserLocked
	}
	return &authenticated{user: user, loginType: loginTypeToken, sso: login, browserSessionID: &browser.ID}, nil
}
