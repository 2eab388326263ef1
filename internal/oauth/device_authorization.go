package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
	"mas/internal/tokens"
)

const (
	// deviceCodeLifetime is how long the user has to enter the code.
	deviceCodeLifetime = 20 * time.Minute
	// devicePollInterval is the advised polling interval, in seconds.
	devicePollInterval = 5
	deviceCodeLength   = 32
	userCodeLength     = 6
	// userCodeAttempts bounds the retries when a fresh user code collides
	// with a stored one: 36^6 codes make a collision rare, several in a
	// row means something else is wrong.
	userCodeAttempts = 5
)

// deviceAuthorizationResponse is the RFC 8628 §3.2 body.
type deviceAuthorizationResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete,omitempty"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// deviceAuthorization serves POST /oauth2/device: a device without a
// browser starts a login that the user completes on another device.
func (h *Handler) deviceAuthorization(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(w, r); e != nil {
		writeError(w, e)
		return
	}
	client, e := h.authenticateClient(r)
	if e != nil {
		writeError(w, e)
		return
	}
	if !client.GrantDeviceCode {
		writeError(w, unauthorizedGrantType(grantTypeDeviceCode))
		return
	}
	rawScope, e := formParam(r.PostForm, "scope")
	if e != nil {
		writeError(w, e)
		return
	}
	grant, err := h.startDeviceGrant(r.Context(), r, client, scopeList(rawScope))
	if err != nil {
		writeError(w, h.serverFault(r.Context(), "starting device authorization", err))
		return
	}
	resp := deviceAuthorizationResponse{
		DeviceCode:      grant.DeviceCode,
		UserCode:        grant.UserCode,
		VerificationURI: h.URLs.Absolute(routes.DeviceLink),
		ExpiresIn:       int64(deviceCodeLifetime / time.Second),
		Interval:        devicePollInterval,
	}
	if h.Settings.DeviceCodeAutoFill {
		resp.VerificationURIComplete = h.URLs.AbsoluteWithQuery(routes.DeviceLink, url.Values{"code": {grant.UserCode}})
	}
	writeJSON(w, http.StatusOK, resp)
}

// startDeviceGrant stores a new grant, drawing a new user code when the
// one drawn is taken.
func (h *Handler) startDeviceGrant(ctx context.Context, r *http.Request, client *domain.Client, scope []string) (*domain.DeviceCodeGrant, error) {
	for attempt := 1; ; attempt++ {
		deviceCode, err := tokens.RandomAlphanumeric(h.Rand, deviceCodeLength)
		if err != nil {
			return nil, err
		}
		userCode, err := tokens.RandomUpperAlphanumeric(h.Rand, userCodeLength)
		if err != nil {
			return nil, err
		}
		now := h.Clock.Now()
		g := &domain.DeviceCodeGrant{
			ClientID:   client.ID,
			Scope:      scope,
			UserCode:   userCode,
			DeviceCode: deviceCode,
			CreatedAt:  now,
			ExpiresAt:  now.Add(deviceCodeLifetime),
			IPAddress:  requesterIP(ctx),
			UserAgent:  r.UserAgent(),
		}
		err = h.Store.DeviceCodeGrants().Add(ctx, g)
		if err == nil {
			return g, nil
		}
		if !errors.Is(err, store.ErrConflict) || attempt == userCodeAttempts {
			return nil, err
		}
	}
}
