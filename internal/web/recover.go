package web

import (
	"net/http"
	"strings"
	"time"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// Password recovery: /recover takes an address and queues the
// send-account-recovery-email job, which mails a link with a ticket to
// every matching address of an active user; the browser waits on the
// progress page; the link's page sets a new password. Nothing on these
// pages depends on whether the address belongs to anyone: the start form
// does the same work and answers the same way for every address, and only
// the job, later and out of sight, looks the address up.

// recoveryCookie lists the recoveries this browser started: a progress
// page answers only the browser that started it, so that its URL (which
// shows the address typed) is no use to anyone who sees it in a log.
const (
	recoveryCookie    = "user-recovery-sessions"
	recoveryCookieAge = 24 * time.Hour
)

// recoveryFlows reads and writes the recovery cookie.
func (h *Handler) recoveryFlows() session.FlowCookie {
	return h.Sessions.FlowCookie(recoveryCookie, recoveryCookieAge)
}

// mountRecovery registers /recover, its progress page and the recovery
// link's page. They are always registered and say so when recovery is off.
func (h *Handler) mountRecovery(mux *http.ServeMux) {
	mux.HandleFunc("GET "+routes.Recover, h.recoverStartPage)
	mux.HandleFunc("POST "+routes.Recover, h.recoverStartSubmit)
	mux.HandleFunc("GET "+routes.RecoverProgressPattern, h.recoverProgressPage)
	mux.HandleFunc("POST "+routes.RecoverProgressPattern, h.recoverProgressSubmit)
	// An exact path, so that it wins over the account pages' /account/.
	mux.HandleFunc("GET "+routes.AccountPasswordRecovery, h.recoverTicketPage)
	mux.HandleFunc("POST "+routes.AccountPasswordRecovery, h.recoverTicketSubmit)
}

// recoveryEnabled: account.password_recovery_enabled, and passwords exist.
func (h *Handler) recoveryEnabled() bool {
	return h.Settings.PasswordRecoveryEnabled && h.passwordsEnabled()
}

// recoveryDisabled answers every recovery page when recovery is off.
func (h *Handler) recoveryDisabled(w http.ResponseWriter, r *http.Request) {
	h.Pages.Render(w, r, http.StatusOK, templates.PageRecoveryDisabled, templates.RecoveryDisabledPage{
		Common: h.Pages.Common(r, ""),
	})
}

func (h *Handler) recoverStartPage(w http.ResponseWriter, r *http.Request) {
	if !h.recoveryEnabled() {
		h.recoveryDisabled(w, r)
		return
	}
	h.renderRecoverStart(w, r, http.StatusOK, templates.RecoveryStartPage{})
}

func (h *Handler) renderRecoverStart(w http.ResponseWriter, r *http.Request, status int, page templates.RecoveryStartPage) {
	page.Common = h.Pages.CommonWithCSRF(w, r)
	page.FormAction = h.URLs.Relative(routes.Recover)
	h.Pages.Render(w, r, status, templates.PageRecoveryStart, page)
}

// recoverStartSubmit records a recovery session and queues its mail in one
// transaction, whatever the address, then sends the browser to the
// progress page.
func (h *Handler) recoverStartSubmit(w http.ResponseWriter, r *http.Request) {
	if !h.recoveryEnabled() {
		h.recoveryDisabled(w, r)
		return
	}
	if !h.Pages.ReadForm(w, r) {
		return
	}
	ctx := r.Context()
	email := strings.TrimSpace(r.PostForm.Get("email"))
	if problem := recoveryEmailProblem(email); !problem.IsZero() {
		h.renderRecoverStart(w, r, http.StatusBadRequest, templates.RecoveryStartPage{Email: email, EmailError: problem})
		return
	}
	if h.Limits != nil {
		if err := h.Limits.CheckAccountRecovery(requestctx.ClientIP(ctx), email); err != nil {
			limited, ok := isLimited(err)
			if !ok {
				h.Pages.InternalError(w, r, err)
				return
			}
			pages.SetRetryAfter(w, limited.RetryAfter)
			h.renderRecoverStart(w, r, http.StatusTooManyRequests, templates.RecoveryStartPage{
				Email: email, Errors: []templates.Message{templates.Msg("recovery.error.rate_limited")},
			})
			return
		}
	}

	rs := &domain.RecoverySession{
		Email:     email,
		UserAgent: requestUserAgent(r),
		Locale:    h.Pages.Locale(r).Lang(),
	}
	if ip := requestctx.ClientIP(ctx); ip.IsValid() {
		rs.IPAddress = ip.String()
	}
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if err := tx.Recovery().AddSession(ctx, rs); err != nil {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.SendAccountRecoveryEmailsJob{RecoverySessionID: rs.ID})
	})
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if err := h.recoveryFlows().Add(w, r, rs.ID); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	pages.SeeOther(w, r, h.URLs.Relative(routes.RecoverProgress(rs.ID.String())))
}

// recoveryEmailProblem checks the shape of a typed address: a bare
// address (no display name), short enough to be mailed. Whether anyone
// has it is never checked here.
func recoveryEmailProblem(email string) templates.Message {
	if email == "" {
		return templates.Msg("recovery.error.email_required")
	}
	if !domain.IsMailableAddress(email) {
		return templates.Msg("recovery.error.email_invalid")
	}
	return templates.Message{}
}

// requestUserAgent prefers the value the HTTP layer recorded.
func requestUserAgent(r *http.Request) string {
	if ua := requestctx.UserAgent(r.Context()); ua != "" {
		return ua
	}
	return r.UserAgent()
}
