package web

import (
	"errors"
	"net/http"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// verifyForm is the code form of an address being added.
type verifyForm struct {
	status    int
	codeError templates.Message
	errors    []templates.Message
	inUse     bool
}

func (h *Handler) renderEmailVerify(w http.ResponseWriter, r *http.Request, cur *session.Current, auth *domain.EmailAuthentication, f verifyForm) {
	common, frame := h.accountPage(w, r, cur, sectionEmails)
	h.Pages.Render(w, r, f.status, templates.PageAccountEmailVerify, templates.AccountEmailVerifyPage{
		Common: common, AccountFrame: frame, Email: auth.Email,
		FormAction: h.URLs.Relative(routes.AccountEmailVerify(auth.ID.String())),
		CodeError:  f.codeError, Errors: f.errors, InUse: f.inUse,
		BackHref: h.URLs.Relative(routes.AccountEmails),
	})
}

// sessionEmailAuthentication is the email authentication the URL names,
// when this browser session started it. Otherwise the request has been
// answered (back to the addresses, told so) and it is nil.
func (h *Handler) sessionEmailAuthentication(w http.ResponseWriter, r *http.Request, cur *session.Current) *domain.EmailAuthentication {
	var auth *domain.EmailAuthentication
	if id, err := domain.ParseID(r.PathValue(routes.ParamID)); err == nil {
		auth, err = h.Store.EmailAuthentications().Lookup(r.Context(), id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.Pages.InternalError(w, r, err)
			return nil
		}
	}
	if auth == nil || auth.BrowserSessionID == nil || *auth.BrowserSessionID != cur.Session.ID {
		h.unknownEmailAuthentication(w, r, cur)
		return nil
	}
	return auth
}

// unknownEmailAuthentication answers a code page that is not this
// browser's (or no longer exists).
func (h *Handler) unknownEmailAuthentication(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	h.renderEmails(w, r, cur, emailsForm{status: http.StatusNotFound, errors: []templates.Message{templates.Msg("account.emails.error.unknown")}})
}

// emailVerifyPage asks for the code; once the code was given it says how
// that ended: the address is the user's now, or someone else's.
func (h *Handler) emailVerifyPage(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	auth := h.sessionEmailAuthentication(w, r, cur)
	if auth == nil {
		return
	}
	if auth.CompletedAt == nil {
		h.renderEmailVerify(w, r, cur, auth, verifyForm{status: http.StatusOK})
		return
	}
	owner, err := h.Store.UserEmails().FindByEmail(r.Context(), auth.Email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Added and removed since, or never added: nothing to say here.
		h.unknownEmailAuthentication(w, r, cur)
	case err != nil:
		h.Pages.InternalError(w, r, err)
	case owner.UserID == cur.User.ID:
		pages.SeeOther(w, r, h.URLs.Relative(routes.AccountEmails))
	default:
		h.renderEmailVerify(w, r, cur, auth, verifyForm{status: http.StatusConflict, inUse: true})
	}
}

// emailVerifySubmit checks the code (or sends a new one) and, when it is
// right, adds the address and tells the homeserver.
func (h *Handler) emailVerifySubmit(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	if !h.Settings.EmailChangeAllowed {
		h.renderEmails(w, r, cur, emailsForm{status: http.StatusForbidden, errors: []templates.Message{templates.Msg("account.error.disabled")}})
		return
	}
	auth := h.sessionEmailAuthentication(w, r, cur)
	if auth == nil {
		return
	}
	self := h.URLs.Relative(routes.AccountEmailVerify(auth.ID.String()))
	if auth.CompletedAt != nil {
		pages.SeeOther(w, r, self)
		return
	}
	if r.PostForm.Get("action") == "resend" {
		h.resendEmailCode(w, r, cur, auth)
		return
	}

	ctx := r.Context()
	inUse := false
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if err := h.verifyEmailCode(ctx, tx, auth, r.PostForm.Get("code")); err != nil {
			return err
		}
		switch owner, err := tx.UserEmails().FindByEmail(ctx, auth.Email); {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			// Someone's already (this user's, through another tab, is
			// fine). The code is spent all the same.
			inUse = owner.UserID != cur.User.ID
			return nil
		}
		if _, err := tx.UserEmails().Add(ctx, cur.User.ID, auth.Email); err != nil {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: cur.User.ID})
	})
	refuse := func(status int, msg templates.Message) {
		h.renderEmailVerify(w, r, cur, auth, verifyForm{status: status, codeError: msg})
	}
	switch {
	case errors.Is(err, errCodeWrong):
		refuse(http.StatusBadRequest, templates.Msg("account.emails.error.code_wrong"))
	case errors.Is(err, errCodeExpired):
		refuse(http.StatusBadRequest, templates.Msg("account.emails.error.code_expired"))
	case errors.Is(err, errCodeUsed):
		pages.SeeOther(w, r, self)
	case errors.Is(err, store.ErrConflict):
		// Another account took the address a moment ago.
		h.renderEmailVerify(w, r, cur, auth, verifyForm{status: http.StatusConflict, inUse: true})
	case err != nil:
		h.emailLimited(w, r, err, refuse)
	case inUse:
		pages.SeeOther(w, r, self)
	default:
		h.seeOtherDone(w, r, routes.AccountEmails, doneEmailAdded)
	}
}

// resendEmailCode queues another code for the address, within the limits
// per address, per client and per authentication.
func (h *Handler) resendEmailCode(w http.ResponseWriter, r *http.Request, cur *session.Current, auth *domain.EmailAuthentication) {
	if err := h.checkEmailLimits(r, auth.Email, &auth.ID); err != nil {
		h.emailLimited(w, r, err, func(status int, msg templates.Message) {
			h.renderEmailVerify(w, r, cur, auth, verifyForm{status: status, errors: []templates.Message{msg}})
		})
		return
	}
	ctx := r.Context()
	lang := h.Pages.Locale(r).Lang()
	if err := store.WithTx(ctx, h.Store, func(tx store.Tx) error { return sendEmailCode(ctx, tx, auth.ID, lang) }); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	h.seeOtherDone(w, r, routes.AccountEmailVerify(auth.ID.String()), doneCodeSent)
}
