package web

import (
	"errors"
	"net/http"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// errLastEmail refuses to remove the user's only address.
var errLastEmail = errors.New("the only address of the account")

func (h *Handler) renderEmailRemove(w http.ResponseWriter, r *http.Request, cur *session.Current, e *domain.UserEmail, status int, passwordError templates.Message, errs ...templates.Message) {
	needed, err := h.needsPassword(r.Context(), cur.User.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	common, frame := h.accountPage(w, r, cur, sectionEmails)
	h.Pages.Render(w, r, status, templates.PageAccountEmailRemove, templates.AccountEmailRemovePage{
		Common: common, AccountFrame: frame, Email: e.Email,
		FormAction: h.URLs.Relative(routes.AccountEmailRemove(e.ID.String())),
		Password:   templates.PasswordConfirmation{Needed: needed, Error: passwordError},
		Errors:     errs, BackHref: h.URLs.Relative(routes.AccountEmails),
	})
}

// removableEmail is the address the URL names when the user may remove
// it; otherwise the request has been answered and it is nil.
func (h *Handler) removableEmail(w http.ResponseWriter, r *http.Request, cur *session.Current) *domain.UserEmail {
	if !h.Settings.EmailChangeAllowed {
		h.renderEmails(w, r, cur, emailsForm{status: http.StatusForbidden, errors: []templates.Message{templates.Msg("account.error.disabled")}})
		return nil
	}
	e, err := h.userEmail(r, cur.User.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return nil
	}
	if e == nil {
		h.renderEmails(w, r, cur, emailsForm{status: http.StatusNotFound, errors: []templates.Message{templates.Msg("account.emails.error.not_found")}})
		return nil
	}
	return e
}

// emailRemovePage asks to confirm the removal (with the password).
func (h *Handler) emailRemovePage(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	if e := h.removableEmail(w, r, cur); e != nil {
		h.renderEmailRemove(w, r, cur, e, http.StatusOK, templates.Message{})
	}
}

// emailRemoveSubmit removes the address and tells the homeserver. The
// last address stays (the account's way to be recovered), checked under
// the user's hold so that two removals cannot both take "the other one".
func (h *Handler) emailRemoveSubmit(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	e := h.removableEmail(w, r, cur)
	if e == nil {
		return
	}
	if !h.confirmedByPassword(w, r, cur.User, func(status int, msg templates.Message) {
		h.renderEmailRemove(w, r, cur, e, status, msg)
	}) {
		return
	}
	ctx := r.Context()
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if err := tx.Users().Hold(ctx, cur.User.ID); err != nil {
			return err
		}
		emails, err := tx.UserEmails().ListForUser(ctx, cur.User.ID)
		if err != nil {
			return err
		}
		if len(emails) <= 1 {
			return errLastEmail
		}
		if err := tx.UserEmails().Remove(ctx, e.ID); err != nil {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: cur.User.ID})
	})
	switch {
	case errors.Is(err, errLastEmail):
		h.renderEmailRemove(w, r, cur, e, http.StatusConflict, templates.Message{}, templates.Msg("account.emails.error.last"))
	case errors.Is(err, store.ErrNotFound):
		h.renderEmails(w, r, cur, emailsForm{status: http.StatusNotFound, errors: []templates.Message{templates.Msg("account.emails.error.not_found")}})
	case err != nil:
		h.Pages.InternalError(w, r, err)
	default:
		h.seeOtherDone(w, r, routes.AccountEmails, doneEmailRemoved)
	}
}
