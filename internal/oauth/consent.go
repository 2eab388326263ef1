package oauth

import (
	"errors"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/policy"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// consentWindow is how long after /authorize the user may still answer the
// consent screen. Past it the request is refused, so that a consent page
// left open (or a grant ID that leaked) cannot be acted on much later.
const consentWindow = time.Hour

var msgGrantAnswered = templates.Msg("errors.grant_answered")

// consentState is what both consent handlers load before acting.
type consentState struct {
	grant  *domain.AuthorizationGrant
	client *domain.Client
	cur    *session.Current
}

// loadConsent loads the grant, the browser session and the client, and
// answers the request itself (returning nil) when the user cannot consent
// to this grant now.
func (h *Handler) loadConsent(w http.ResponseWriter, r *http.Request) *consentState {
	ctx := r.Context()
	id, ok := pathID(r, routes.ParamGrantID)
	if !ok {
		h.Pages.Error(w, r, http.StatusNotFound, "", templates.Msg("errors.grant_not_found"))
		return nil
	}
	// The grant, its client, the browser session and its user in one
	// read; when that finds nothing, the grant or the session is unknown,
	// and reading them apart tells which.
	var (
		grant  *domain.AuthorizationGrant
		client *domain.Client
	)
	cur, err := h.Sessions.CurrentWith(r, func(sessionID domain.ID) (*domain.BrowserSession, *domain.User, error) {
		g, c, bs, u, err := h.Store.AuthorizationGrants().LookupForConsent(ctx, id, sessionID)
		if errors.Is(err, store.ErrNotFound) {
			return h.Store.BrowserSessions().LookupWithUser(ctx, sessionID)
		}
		grant, client = g, c
		return bs, u, err
	})
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return nil
	}
	if grant == nil {
		// The grant references its client, so a grant found has one.
		grant, client, err = h.Store.AuthorizationGrants().LookupWithClient(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			h.Pages.Error(w, r, http.StatusNotFound, "", templates.Msg("errors.grant_not_found"))
			return nil
		}
		if err != nil {
			h.Pages.InternalError(w, r, err)
			return nil
		}
	}
	if cur == nil {
		h.redirectToLogin(w, r, session.ContinueAuthorizationGrant(grant.ID), grant.LoginHint)
		return nil
	}
	if grant.Stage() != domain.StagePending {
		h.Pages.Error(w, r, http.StatusConflict, "", msgGrantAnswered)
		return nil
	}
	if h.Clock.Now().Sub(grant.CreatedAt) > consentWindow {
		h.Pages.Error(w, r, http.StatusBadRequest, "", templates.Msg("errors.grant_expired"))
		return nil
	}
	return &consentState{grant: grant, client: client, cur: cur}
}

// allowedByPolicy runs the authorization_grant policy and shows the
// violation page when it refuses.
func (h *Handler) consentAllowedByPolicy(w http.ResponseWriter, r *http.Request, st *consentState) bool {
	vs, err := h.grantPolicy(r.Context(), r, st.cur.User, st.client, st.grant.Scope, policy.GrantTypeAuthorizationCode)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return false
	}
	if len(vs) > 0 {
		h.policyViolationPage(w, r, st.cur, st.client, st.grant.RedirectURI, vs)
		return false
	}
	return true
}

// consentPage serves GET /consent/{grant_id}.
func (h *Handler) consentPage(w http.ResponseWriter, r *http.Request) {
	st := h.loadConsent(w, r)
	if st == nil || !h.consentAllowedByPolicy(w, r, st) {
		return
	}
	h.Pages.Render(w, r, http.StatusOK, templates.PageConsent, templates.ConsentPage{
		Common:     h.Pages.CommonWithCSRF(w, r),
		Client:     clientInfo(st.client, st.grant.RedirectURI),
		Scopes:     describeScopes(st.grant.Scope),
		MXID:       h.mxid(st.cur.User),
		FormAction: h.URLs.Relative(routes.Consent(st.grant.ID.String())),
	})
}

// consentSubmit serves POST /consent/{grant_id}: action=allow fulfils the
// grant and sends the code to the client, action=deny cancels it and
// sends access_denied.
func (h *Handler) consentSubmit(w http.ResponseWriter, r *http.Request) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	st := h.loadConsent(w, r)
	if st == nil {
		return
	}
	ctx := r.Context()
	cb := grantResponseTarget(st.grant, st.client)

	switch r.PostForm.Get("action") {
	case "allow":
		if !h.consentAllowedByPolicy(w, r, st) {
			return
		}
		err := h.Store.AuthorizationGrants().Fulfill(ctx, st.grant, st.cur.Session.ID)
		if lostTransition(err) {
			h.Pages.Error(w, r, http.StatusConflict, "", msgGrantAnswered)
			return
		}
		if err != nil {
			h.Pages.InternalError(w, r, err)
			return
		}
		var params []responseParam
		if st.grant.ResponseTypeCode {
			params = append(params, responseParam{"code", st.grant.Code})
		}
		h.deliver(w, r, cb, params)
	case "deny":
		err := h.Store.AuthorizationGrants().Cancel(ctx, st.grant)
		if lostTransition(err) {
			h.Pages.Error(w, r, http.StatusConflict, "", msgGrantAnswered)
			return
		}
		if err != nil {
			h.Pages.InternalError(w, r, err)
			return
		}
		h.deliverError(w, r, cb, newError(ErrAccessDenied, 0, "The user denied the request."))
	default:
		h.Pages.Error(w, r, http.StatusBadRequest, "", templates.Msg("errors.consent_choice"))
	}
}
