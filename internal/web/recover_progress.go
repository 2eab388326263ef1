package web

import (
	"errors"
	"net/http"
	"net/url"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/store"
	"mas/internal/templates"
)

// recoverProgressPage serves the "check your email" page.
func (h *Handler) recoverProgressPage(w http.ResponseWriter, r *http.Request) {
	rs, ok := h.pendingRecoverySession(w, r)
	if !ok {
		return
	}
	h.renderRecoverProgress(w, r, http.StatusOK, rs, templates.RecoveryProgressPage{Resent: r.URL.Query().Has("resent")})
}

// recoverProgressSubmit sends the link again: the job runs once more for
// the same recovery session, within the same rate limits as the first.
func (h *Handler) recoverProgressSubmit(w http.ResponseWriter, r *http.Request) {
	rs, ok := h.pendingRecoverySession(w, r)
	if !ok || !h.Pages.ReadForm(w, r) {
		return
	}
	ctx := r.Context()
	if h.Limits != nil {
		if err := h.Limits.CheckAccountRecovery(requestctx.ClientIP(ctx), rs.Email); err != nil {
			limited, ok := isLimited(err)
			if !ok {
				h.Pages.InternalError(w, r, err)
				return
			}
			pages.SetRetryAfter(w, limited.RetryAfter)
			h.renderRecoverProgress(w, r, http.StatusTooManyRequests, rs, templates.RecoveryProgressPage{
				Errors: []templates.Message{templates.Msg("recovery.error.rate_limited")},
			})
			return
		}
	}
	if err := h.Store.Jobs().Enqueue(ctx, domain.SendAccountRecoveryEmailsJob{RecoverySessionID: rs.ID}); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	pages.SeeOther(w, r, h.URLs.RelativeWithQuery(routes.RecoverProgress(rs.ID.String()), url.Values{"resent": {"1"}}))
}

func (h *Handler) renderRecoverProgress(w http.ResponseWriter, r *http.Request, status int, rs *domain.RecoverySession, page templates.RecoveryProgressPage) {
	page.Common = h.Pages.CommonWithCSRF(w, r)
	page.Email = rs.Email
	page.FormAction = h.URLs.Relative(routes.RecoverProgress(rs.ID.String()))
	page.StartLink = h.URLs.Relative(routes.Recover)
	h.Pages.Render(w, r, status, templates.PageRecoveryProgress, page)
}

// pendingRecoverySession is ownRecoverySession for a recovery still under
// way; otherwise it answers (recovery off, not this browser's, used) and
// returns false.
func (h *Handler) pendingRecoverySession(w http.ResponseWriter, r *http.Request) (*domain.RecoverySession, bool) {
	if !h.recoveryEnabled() {
		h.recoveryDisabled(w, r)
		return nil, false
	}
	rs, ok := h.ownRecoverySession(w, r)
	if ok && rs.ConsumedAt != nil {
		h.renderRecoveryLink(w, r, http.StatusGone, templates.PageRecoveryConsumed)
		return nil, false
	}
	return rs, ok
}

// ownRecoverySession loads the recovery session named in the path if this
// browser started it. Otherwise it answers with the start page, saying
// why, and returns false: an ID that is malformed, unknown or another
// browser's all get that same answer.
func (h *Handler) ownRecoverySession(w http.ResponseWriter, r *http.Request) (*domain.RecoverySession, bool) {
	unknown := func() {
		h.renderRecoverStart(w, r, http.StatusNotFound, templates.RecoveryStartPage{
			Notice: templates.Msg("recovery.start.unknown_progress"),
		})
	}
	id, err := domain.ParseID(r.PathValue("session_id"))
	if err != nil || !h.recoveryFlows().Has(r, id) {
		unknown()
		return nil, false
	}
	rs, err := h.Store.Recovery().LookupSession(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		unknown()
		return nil, false
	}
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return nil, false
	}
	return rs, true
}

// renderRecoveryLink shows one of the pages that explain why a recovery
// cannot go on (expired, consumed, invalid), with a way to start again.
func (h *Handler) renderRecoveryLink(w http.ResponseWriter, r *http.Request, status int, name string) {
	h.Pages.Render(w, r, status, name, templates.RecoveryLinkPage{
		Common:    h.Pages.Common(r, ""),
		StartLink: h.URLs.Relative(routes.Recover),
	})
}
