package web

import (
	"net/http"
	"net/url"

	"mas/internal/domain"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// The cross-signing reset (MSC4191 org.matrix.cross_signing_reset): a
// client that wants to replace the user's cryptographic identity sends
// the user here; once confirmed, the homeserver lets the client replace
// the keys without further authentication for a short while.

func (h *Handler) renderCrossSigning(w http.ResponseWriter, r *http.Request, cur *session.Current, status int, passwordError templates.Message, errs ...templates.Message) {
	needed, err := h.needsPassword(r.Context(), cur.User.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	common, frame := h.accountPage(w, r, cur, sectionCrossSigning)
	h.Pages.Render(w, r, status, templates.PageAccountCrossSigning, templates.AccountCrossSigningPage{
		Common: common, AccountFrame: frame, FormAction: h.URLs.Relative(routes.AccountCrossSigningReset),
		Password: templates.PasswordConfirmation{Needed: needed, Error: passwordError},
		Errors:   errs, Allowed: r.URL.Query().Get("done") == doneCrossSigning,
		BackHref: h.URLs.Relative(routes.Account),
	})
}

func (h *Handler) crossSigningPage(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	h.renderCrossSigning(w, r, cur, http.StatusOK, templates.Message{})
}

func (h *Handler) crossSigningSubmit(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	if !h.confirmedByPassword(w, r, cur.User, func(status int, msg templates.Message) {
		h.renderCrossSigning(w, r, cur, status, msg)
	}) {
		return
	}
	ctx := r.Context()
	if err := h.Homeserver.AllowCrossSigningReset(ctx, cur.User.Username); err != nil {
		requestctx.Logger(ctx).ErrorContext(ctx, "allowing a cross-signing reset on the homeserver", "user_id", cur.User.ID.String(), "error", err)
		h.renderCrossSigning(w, r, cur, http.StatusBadGateway, templates.Message{}, templates.Msg("account.cross_signing.error.homeserver"))
		return
	}
	requestctx.Logger(ctx).InfoContext(ctx, "cross-signing reset allowed", "user_id", cur.User.ID.String())
	h.seeOtherDone(w, r, routes.AccountCrossSigningReset, doneCrossSigning)
}

// Deactivation: the account is deactivated at once (its tokens stop
// working), the browser is signed out, and the deactivate-user job ends
// every session, removes the addresses and deactivates the user on the
// homeserver (internal/jobs), as `manage lock-user --deactivate` does.

type deactivateForm struct {
	status        int
	passwordError templates.Message
	confirmError  templates.Message
	erase         bool
	errors        []templates.Message
}

func (h *Handler) renderDeactivate(w http.ResponseWriter, r *http.Request, cur *session.Current, f deactivateForm) {
	needed, err := h.needsPassword(r.Context(), cur.User.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	common, frame := h.accountPage(w, r, cur, sectionDeactivate)
	h.Pages.Render(w, r, f.status, templates.PageAccountDeactivate, templates.AccountDeactivatePage{
		Common: common, AccountFrame: frame, FormAction: h.URLs.Relative(routes.AccountDeactivate),
		Password:     templates.PasswordConfirmation{Needed: needed, Error: f.passwordError},
		ConfirmError: f.confirmError, Erase: f.erase, Errors: f.errors,
	})
}

func (h *Handler) deactivatePage(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	if !h.Settings.AccountDeactivationAllowed {
		h.renderProfile(w, r, cur, profileForm{status: http.StatusForbidden, errors: []templates.Message{templates.Msg("account.error.disabled")}})
		return
	}
	h.renderDeactivate(w, r, cur, deactivateForm{status: http.StatusOK})
}

func (h *Handler) deactivateSubmit(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	if !h.Settings.AccountDeactivationAllowed {
		h.renderProfile(w, r, cur, profileForm{status: http.StatusForbidden, errors: []templates.Message{templates.Msg("account.error.disabled")}})
		return
	}
	ctx := r.Context()
	f := deactivateForm{status: http.StatusBadRequest, erase: r.PostForm.Get("erase") == "on"}
	if r.PostForm.Get("confirm") != "on" {
		f.confirmError = templates.Msg("account.deactivate.error.confirm")
		h.renderDeactivate(w, r, cur, f)
		return
	}
	if !h.confirmedByPassword(w, r, cur.User, func(status int, msg templates.Message) {
		f.status, f.passwordError = status, msg
		h.renderDeactivate(w, r, cur, f)
	}) {
		return
	}
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		user, err := tx.Users().Lookup(ctx, cur.User.ID)
		if err != nil {
			return err
		}
		if err := user.Deactivate(h.Clock.Now()); err != nil {
			return err
		}
		if err := tx.Users().Update(ctx, user); err != nil {
			return err
		}
		if err := tx.BrowserSessions().Finish(ctx, cur.Session); err != nil && !store.AlreadyEnded(err) {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.DeactivateUserJob{UserID: user.ID, HSErase: f.erase})
	})
	if err != nil && !store.AlreadyEnded(err) {
		h.Pages.InternalError(w, r, err)
		return
	}
	requestctx.Logger(ctx).InfoContext(ctx, "account deactivated on the account page", "user_id", cur.User.ID.String(), "erase", f.erase)
	// Only the cookie is left to clear; the session has ended.
	if err := h.Sessions.End(w, r); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	h.renderUnusable(w, r, cur.User.Username, true)
}

// planPage embeds the deployment's plan management page; the page's
// Content-Security-Policy lets exactly its origin be framed.
func (h *Handler) planPage(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	uri := h.Settings.PlanManagementIframeURI
	if u, err := url.Parse(uri); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		requestctx.AllowPageSources(r.Context(), requestctx.PageSources{Frame: []string{u.Scheme + "://" + u.Host}})
	}
	common, frame := h.accountPage(w, r, cur, sectionPlan)
	h.Pages.Render(w, r, http.StatusOK, templates.PageAccountPlan, templates.AccountPlanPage{
		Common: common, AccountFrame: frame, FrameURI: uri,
	})
}
