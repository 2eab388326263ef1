package oauth

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/policy"
	"mas/internal/ratelimit"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// Messages of the device link form.
var (
	msgUnknownUserCode = templates.Msg("device_link.error.unknown_code")
	msgMissingUserCode = templates.Msg("device_link.error.missing")
	msgTooManyCodes    = templates.Msg("device_link.error.rate_limited")
)

// deviceLinkPage serves GET /link: the form asking for the code shown on
// the device.
func (h *Handler) deviceLinkPage(w http.ResponseWriter, r *http.Request) {
	code := ""
	if h.Settings.DeviceCodeAutoFill {
		// Only a pre-fill: the code is looked up (and rate-limited) when
		// the user submits it, never by merely following a link.
		code = normalizeUserCode(r.URL.Query().Get("code"))
	}
	h.renderDeviceLink(w, r, http.StatusOK, code, templates.Message{})
}

func (h *Handler) renderDeviceLink(w http.ResponseWriter, r *http.Request, status int, code string, errMsg templates.Message) {
	h.Pages.Render(w, r, status, templates.PageDeviceLink, templates.DeviceLinkPage{
		Common:     h.Pages.CommonWithCSRF(w, r),
		FormAction: h.URLs.Relative(routes.DeviceLink),
		Code:       code,
		Error:      errMsg,
	})
}

// deviceLinkSubmit serves POST /link: finds the pending grant of the code
// and continues to its consent page.
func (h *Handler) deviceLinkSubmit(w http.ResponseWriter, r *http.Request) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	code := normalizeUserCode(r.PostForm.Get("code"))
	// User codes are short: guessing them must be slow (RFC 8628 §5.1).
	var limited *ratelimit.LimitedError
	if err := h.Limits.CheckDeviceCodeLink(requestctx.ClientIP(r.Context())); errors.As(err, &limited) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(limited.RetryAfter.Seconds()))))
		h.renderDeviceLink(w, r, http.StatusTooManyRequests, code, msgTooManyCodes)
		return
	}
	if code == "" {
		h.renderDeviceLink(w, r, http.StatusBadRequest, code, msgMissingUserCode)
		return
	}
	grant, err := h.Store.DeviceCodeGrants().FindByUserCode(r.Context(), code)
	if errors.Is(err, store.ErrNotFound) {
		h.renderDeviceLink(w, r, http.StatusBadRequest, code, msgUnknownUserCode)
		return
	}
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if grant.Stage() != domain.StagePending || grant.Expired(h.Clock.Now()) {
		h.renderDeviceLink(w, r, http.StatusBadRequest, code, msgUnknownUserCode)
		return
	}
	pages.SeeOther(w, r, h.URLs.Relative(routes.DeviceConsent(grant.ID.String())))
}

// normalizeUserCode accepts what people type: any case, stray spaces and
// dashes around groups.
func normalizeUserCode(s string) string {
	s = strings.ToUpper(s)
	return strings.Map(func(c rune) rune {
		if c == ' ' || c == '-' || c == '\t' {
			return -1
		}
		return c
	}, s)
}

// deviceState is what both device consent handlers load before acting.
type deviceState struct {
	grant  *domain.DeviceCodeGrant
	client *domain.Client
	cur    *session.Current
}

// loadDevice loads the grant, the browser session and the client. It
// answers the request itself (returning nil) when there is nothing to
// consent to: no such grant, no session (→ login), or a grant that is
// expired or already answered.
func (h *Handler) loadDevice(w http.ResponseWriter, r *http.Request) *deviceState {
	ctx := r.Context()
	id, ok := pathID(r, routes.ParamID)
	if !ok {
		h.Pages.Error(w, r, http.StatusNotFound, "", templates.Msg("errors.device_request_not_found"))
		return nil
	}
	grant, err := h.Store.DeviceCodeGrants().Lookup(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		h.Pages.Error(w, r, http.StatusNotFound, "", templates.Msg("errors.device_request_not_found"))
		return nil
	}
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return nil
	}
	cur, err := h.Sessions.Current(r)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return nil
	}
	if cur == nil {
		h.redirectToLogin(w, r, session.ContinueDeviceCodeGrant(grant.ID), "")
		return nil
	}
	client, err := h.lookupClient(ctx, grant.ClientID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return nil
	}
	st := &deviceState{grant: grant, client: client, cur: cur}
	switch {
	case grant.Stage() != domain.StagePending:
		h.renderDevice(w, r, http.StatusConflict, st, templates.DeviceStateUsed)
		return nil
	case grant.Expired(h.Clock.Now()):
		h.renderDevice(w, r, http.StatusGone, st, templates.DeviceStateExpired)
		return nil
	}
	return st
}

func (h *Handler) renderDevice(w http.ResponseWriter, r *http.Request, status int, st *deviceState, state string) {
	csrf := ""
	if state == templates.DeviceStatePending {
		csrf = h.Sessions.CSRFToken(w, r)
	}
	h.Pages.Render(w, r, status, templates.PageDeviceConsent, templates.DeviceConsentPage{
		Common:          h.Pages.Common(r, csrf),
		State:           state,
		Client:          clientInfo(st.client, ""),
		Scopes:          describeScopes(st.grant.Scope),
		MXID:            h.mxid(st.cur.User),
		RequestedFromIP: st.grant.IPAddress,
		RequestedFromUA: st.grant.UserAgent,
		RequestedAt:     st.grant.CreatedAt.UTC().Format("2006-01-02 15:04 MST"),
		UserCode:        st.grant.UserCode,
		FormAction:      h.URLs.Relative(routes.DeviceConsent(st.grant.ID.String())),
	})
}

// deviceAllowedByPolicy runs the authorization_grant policy for the device
// grant and shows the violation page when it refuses.
func (h *Handler) deviceAllowedByPolicy(w http.ResponseWriter, r *http.Request, st *deviceState) bool {
	vs, err := h.grantPolicy(r.Context(), r, st.cur.User, st.client, st.grant.Scope, policy.GrantTypeDeviceCode)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return false
	}
	if len(vs) > 0 {
		h.policyViolationPage(w, r, st.cur, st.client, "", vs)
		return false
	}
	return true
}

// deviceConsentPage serves GET /device/{id}.
func (h *Handler) deviceConsentPage(w http.ResponseWriter, r *http.Request) {
	st := h.loadDevice(w, r)
	if st == nil || !h.deviceAllowedByPolicy(w, r, st) {
		return
	}
	h.renderDevice(w, r, http.StatusOK, st, templates.DeviceStatePending)
}

// deviceConsentSubmit serves POST /device/{id}: action=consent approves
// the device, action=reject refuses it. The device learns the answer by
// polling the token endpoint.
func (h *Handler) deviceConsentSubmit(w http.ResponseWriter, r *http.Request) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	st := h.loadDevice(w, r)
	if st == nil {
		return
	}
	var err error
	state := templates.DeviceStateApproved
	switch r.PostForm.Get("action") {
	case "consent":
		if !h.deviceAllowedByPolicy(w, r, st) {
			return
		}
		err = h.Store.DeviceCodeGrants().Fulfill(r.Context(), st.grant, st.cur.Session.ID)
	case "reject":
		state = templates.DeviceStateRejected
		err = h.Store.DeviceCodeGrants().Reject(r.Context(), st.grant, st.cur.Session.ID)
	default:
		h.Pages.Error(w, r, http.StatusBadRequest, "", templates.Msg("errors.device_choice"))
		return
	}
	switch {
	case lostTransition(err):
		h.renderDevice(w, r, http.StatusConflict, st, templates.DeviceStateUsed)
	case err != nil:
		h.Pages.InternalError(w, r, err)
	default:
		h.renderDevice(w, r, http.StatusOK, st, state)
	}
}
