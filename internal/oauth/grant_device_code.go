package oauth

import (
	"context"
	"errors"
	"net/http"

	"mas/internal/domain"
	"mas/internal/store"
)

// deviceCodeGrant answers a device polling with its device_code (RFC 8628
// §3.4-3.5). Like upstream, the "still waiting" answers are 403s and there
// is no slow_down: the interval is advisory.
type deviceCodeGrant struct{ h *Handler }

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
	case domain.StagePending:
		return nil, newError(ErrAuthorizationPending, http.StatusForbidden, "the user has not answered yet")
	case domain.StageRejected:
		return nil, newError(ErrAccessDenied, http.StatusForbidden, "the user denied the request")
	case domain.StageExchanged:
		return nil, invalidGrant("the device code was already used")
	}
	return h.issueSession(ctx, r, approvedGrant{
		client:           client,
		browserSessionID: grant.BrowserSessionID,
		scope:            grant.Scope,
		withRefresh:      client.GrantRefreshToken,
		kind:             "device code",
		exchange: func(ctx context.Context, tx store.Tx, sessionID domain.ID) error {
			return raced(tx.DeviceCodeGrants().Exchange(ctx, grant, sessionID))
		},
	})
}
