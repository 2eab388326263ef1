package oauth

import (
	"context"
	"errors"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/tokens"
)

// deviceCodeGrant answers a device polling with its device_code (RFC 8628
// §3.4-3.5). Like upstream, the "still waiting" answers are 403s and there
// is no slow_down: the interval is advisory.
type deviceCodeGrant struct{ h *Handler }

// errDeviceCodeRaced means another poll exchanged the grant first.
var errDeviceCodeRaced = errors.New("device code exchanged concurrently")

func (g deviceCodeGrant) exchange(ctx context.Context, r *http.Request, client *domain.Client) (*tokenResponse, *Error) {
	h := g.h
	if !client.GrantDeviceCode {
		return nil, unauthorizedGrantType(grantTypeDeviceCode)
	}
	deviceCode, e := requiredFormParam(r.PostForm, "device_code")
	if e != nil {
		return nil, e
	}
	grant, err := h.Store.DeviceCodeGrants().FindByDeviceCode(ctx, deviceCode)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidGrant("the device code is unknown")
	}
	if err != nil {
		return nil, h.serverFault(ctx, "looking up device code", err)
	}
	if grant.ClientID != client.ID {
		return nil, invalidGrant("the device code was issued to another client")
	}
	now := h.Clock.Now()
	if grant.Expired(now) {
		return nil, newError(ErrExpiredToken, http.StatusForbidden, "the device code has expired")
	}
	switch grant.Stage() {
	case "pending":
		return nil, newError(ErrAuthorizationPending, http.StatusForbidden, "the user has not answered yet")
	case "rejected":
		return nil, newError(ErrAccessDenied, http.StatusForbidden, "the user denied the request")
	case "exchanged":
		return nil, invalidGrant("the device code was already used")
	}
	if grant.BrowserSessionID == nil {
		return nil, invalidGrant("the device code is not valid")
	}
	browser, err := h.Store.BrowserSessions().Lookup(ctx, *grant.BrowserSessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidGrant("the browser session that approved this device is gone")
	}
	if err != nil {
		return nil, h.serverFault(ctx, "looking up browser session", err)
	}
	// As for authorization codes: signing out (or an administrator ending
	// the browser session) between approval and the device's next poll
	// withdraws the approval.
	if !browser.Active() {
		return nil, invalidGrant("the browser session that approved this device has ended")
	}
	user, err := h.Store.Users().Lookup(ctx, browser.UserID)
	if err != nil {
		return nil, h.serverFault(ctx, "looking up user", err)
	}
	if !user.IsValid() {
		return nil, invalidGrant("the user is locked or deactivated")
	}
	var authTime *time.Time
	switch last, err := h.Store.BrowserSessions().LastAuthentication(ctx, browser.ID); {
	case err == nil:
		authTime = &last.CreatedAt
	case !errors.Is(err, store.ErrNotFound):
		return nil, h.serverFault(ctx, "looking up last authentication", err)
	}

	access, err := tokens.Generate(tokens.AccessToken, h.Rand)
	if err != nil {
		return nil, h.serverFault(ctx, "generating access token", err)
	}
	var refresh string
	if client.GrantRefreshToken {
		if refresh, err = tokens.Generate(tokens.RefreshToken, h.Rand); err != nil {
			return nil, h.serverFault(ctx, "generating refresh token", err)
		}
	}
	ttl := h.tokenTTL()
	resp := &tokenResponse{
		AccessToken:  access,
		RefreshToken: refresh,
		ExpiresIn:    int64(ttl / time.Second),
		Scope:        scopeString(grant.Scope),
	}
	if scopeIncludes(grant.Scope, domain.ScopeOpenID) {
		resp.IDToken, err = h.signIDToken(idTokenInput{
			client: client, user: user, browserSession: browser.ID,
			authTime: authTime, accessToken: access, now: now,
		})
		if err != nil {
			return nil, h.serverFault(ctx, "signing ID token", err)
		}
	}

	session := &domain.Session{
		ClientID:         client.ID,
		UserID:           &user.ID,
		BrowserSessionID: &browser.ID,
		Scope:            grant.Scope,
		UserAgent:        r.UserAgent(),
		LastActiveAt:     &now,
		LastActiveIP:     requesterIP(ctx),
	}
	expires := now.Add(ttl)
	pending, err := h.provisionDevices(ctx, user, client, session.Scope)
	if err != nil {
		return nil, h.serverFault(ctx, "exchanging device code", err)
	}
	err = store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if err := tx.Sessions().Add(ctx, session); err != nil {
			return err
		}
		if err := tx.DeviceCodeGrants().Exchange(ctx, grant, session.ID); err != nil {
			if errors.Is(err, store.ErrConflict) || errors.Is(err, domain.ErrInvalidTransition) {
				return errDeviceCodeRaced
			}
			return err
		}
		at, err := tx.AccessTokens().Add(ctx, session.ID, access, &expires)
		if err != nil {
			return err
		}
		if refresh != "" {
			if _, err := tx.RefreshTokens().Add(ctx, session.ID, &at.ID, refresh); err != nil {
				return err
			}
		}
		return pending.Done(ctx, tx)
	})
	if err != nil {
		h.forgetOrphanDevices(ctx, user, pending)
	}
	switch {
	case errors.Is(err, errDeviceCodeRaced):
		return nil, invalidGrant("the device code was already used")
	case err != nil:
		return nil, h.serverFault(ctx, "exchanging device code", err)
	}
	return resp, nil
}
