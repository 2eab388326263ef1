package web

import (
	"errors"
	"net/http"

	"mas/internal/login"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/templates"
)

// passwordForm is the password form as posted.
type passwordForm struct {
	status        int
	currentError  templates.Message
	passwordError templates.Message
	confirmError  templates.Message
}

func (h *Handler) renderPassword(w http.ResponseWriter, r *http.Request, cur *session.Current, f passwordForm) {
	common, frame := h.accountPage(w, r, cur, sectionPassword)
	page := templates.AccountPasswordPage{
		Common: common, AccountFrame: frame, Username: cur.User.Username,
		FormAction:   h.URLs.Relative(routes.AccountPasswordChange),
		CurrentError: f.currentError, PasswordError: f.passwordError, ConfirmError: f.confirmError,
	}
	unavailable, err := h.passwordUnavailable(r, cur)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	page.Unavailable = unavailable
	h.Pages.Render(w, r, f.status, templates.PageAccountPassword, page)
}

// passwordUnavailable says why the password cannot be changed here, if it
// cannot: password features or changes are off, or, as upstream, the user
// has no password to confirm the change with (an upstream-provider
// account).
func (h *Handler) passwordUnavailable(r *http.Request, cur *session.Current) (templates.Message, error) {
	if !h.passwordChangeOffered() {
		return templates.Msg("account.password.unavailable"), nil
	}
	has, err := h.needsPassword(r.Context(), cur.User.ID)
	if err != nil || has {
		return templates.Message{}, err
	}
	return templates.Msg("account.password.no_password"), nil
}

func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	h.renderPassword(w, r, cur, passwordForm{status: http.StatusOK})
}

// passwordSubmit changes the password: the current one must be right and
// the new one strong enough, typed twice the same. The new password is
// hashed with the newest scheme.
func (h *Handler) passwordSubmit(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	if unavailable, err := h.passwordUnavailable(r, cur); err != nil || !unavailable.IsZero() {
		if err != nil {
			h.Pages.InternalError(w, r, err)
			return
		}
		h.renderPassword(w, r, cur, passwordForm{status: http.StatusForbidden})
		return
	}
	f := passwordForm{status: http.StatusBadRequest}
	password, confirm := r.PostForm.Get("new_password"), r.PostForm.Get("new_password_confirm")
	f.passwordError = accountPasswordProblem(login.CheckNewPassword(password, h.Settings.MinimumPasswordComplexity, cur.User.Username))
	if f.passwordError.IsZero() && password != confirm {
		f.confirmError = templates.Msg("account.password.error.mismatch")
	}
	if !f.passwordError.IsZero() || !f.confirmError.IsZero() {
		h.renderPassword(w, r, cur, f)
		return
	}
	if !h.confirmedByPassword(w, r, cur.User, func(status int, msg templates.Message) {
		f.status, f.currentError = status, msg
		h.renderPassword(w, r, cur, f)
	}) {
		return
	}
	ctx := r.Context()
	version, hash, err := h.Login.Passwords.Hash(ctx, password)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if _, err := h.Store.Passwords().Add(ctx, cur.User.ID, hash, version, nil); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	requestctx.Logger(ctx).InfoContext(ctx, "password changed on the account page", "user_id", cur.User.ID.String())
	h.seeOtherDone(w, r, routes.AccountPasswordChange, donePassword)
}

// accountPasswordProblem words why login.CheckNewPassword refused a password.
func accountPasswordProblem(err error) templates.Message {
	switch {
	case err == nil:
		return templates.Message{}
	case errors.Is(err, login.ErrPasswordEmpty):
		return templates.Msg("account.password.error.empty")
	case errors.Is(err, login.ErrPasswordTooLong):
		return templates.Msg("account.password.error.too_long")
	case errors.Is(err, login.ErrPasswordNotText):
		return templates.Msg("account.password.error.not_text")
	}
	return templates.Msg("account.password.error.weak")
}
