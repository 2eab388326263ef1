package web

import (
	"errors"
	"net/http"
	"strings"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/policy"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// The email section lists the user's confirmed addresses, adds one after
// its 6-digit code came back (emailauth.go), and removes one. Adding and
// removing change how the account is recovered, so both need the current
// password; both tell the homeserver through a provisioning job.

// emailsForm is the add form of the email section, as posted.
type emailsForm struct {
	status     int
	email      string
	emailError templates.Message
	// passwordError is the current password's refusal.
	passwordError templates.Message
	errors        []templates.Message
}

func (h *Handler) emailsPage(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	h.renderEmails(w, r, cur, emailsForm{status: http.StatusOK})
}

func (h *Handler) renderEmails(w http.ResponseWriter, r *http.Request, cur *session.Current, f emailsForm) {
	ctx := r.Context()
	emails, err := h.Store.UserEmails().ListForUser(ctx, cur.User.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	needed, err := h.needsPassword(ctx, cur.User.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	common, frame := h.accountPage(w, r, cur, sectionEmails)
	page := templates.AccountEmailsPage{
		Common: common, AccountFrame: frame, Email: f.email, EmailError: f.emailError, Errors: f.errors,
		Password: templates.PasswordConfirmation{Needed: needed, Error: f.passwordError},
	}
	// As upstream: the last address stays, so that the account keeps a
	// way to be recovered.
	removable := h.Settings.EmailChangeAllowed && len(emails) > 1
	for _, e := range emails {
		v := templates.AccountEmail{Address: e.Email}
		if removable {
			v.RemoveHref = h.URLs.Relative(routes.AccountEmailRemove(e.ID.String()))
		}
		page.Emails = append(page.Emails, v)
	}
	if h.Settings.EmailChangeAllowed {
		page.FormAction = h.URLs.Relative(routes.AccountEmails)
	}
	h.Pages.Render(w, r, f.status, templates.PageAccountEmails, page)
}

// emailAddSubmit starts adding an address: checks it, then creates an
// email authentication bound to this browser session and queues its code.
// Whether another account has the address is only said once the code
// came back, so that nobody learns it without owning the address.
func (h *Handler) emailAddSubmit(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	if !h.Settings.EmailChangeAllowed {
		h.renderEmails(w, r, cur, emailsForm{status: http.StatusForbidden, errors: []templates.Message{templates.Msg("account.error.disabled")}})
		return
	}
	ctx := r.Context()
	f := emailsForm{status: http.StatusBadRequest, email: strings.TrimSpace(r.PostForm.Get("email"))}
	problem, err := h.newEmailProblem(r, cur.User.ID, f.email)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if f.emailError = problem; !problem.IsZero() {
		h.renderEmails(w, r, cur, f)
		return
	}
	if !h.confirmedByPassword(w, r, cur.User, func(status int, msg templates.Message) {
		f.status, f.passwordError = status, msg
		h.renderEmails(w, r, cur, f)
	}) {
		return
	}
	if err := h.checkEmailLimits(r, f.email, nil); err != nil {
		h.emailLimited(w, r, err, func(status int, msg templates.Message) {
			f.status, f.errors = status, []templates.Message{msg}
			h.renderEmails(w, r, cur, f)
		})
		return
	}
	auth := &domain.EmailAuthentication{Email: f.email, BrowserSessionID: &cur.Session.ID}
	lang := h.Pages.Locale(r).Lang()
	err = store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if err := tx.EmailAuthentications().Add(ctx, auth); err != nil {
			return err
		}
		return sendEmailCode(ctx, tx, auth.ID, lang)
	})
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	h.seeOtherDone(w, r, routes.AccountEmailVerify(auth.ID.String()), doneCodeSent)
}

// newEmailProblem says what is wrong with an address to add, if anything:
// its form, being the user's already, or the email policy.
func (h *Handler) newEmailProblem(r *http.Request, userID domain.ID, email string) (templates.Message, error) {
	if !domain.IsMailableAddress(email) {
		return templates.Msg("account.emails.error.invalid"), nil
	}
	switch e, err := h.Store.UserEmails().FindByEmail(r.Context(), email); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return templates.Message{}, err
	case e.UserID == userID:
		return templates.Msg("account.emails.error.own"), nil
	}
	vs := h.registrationPolicy().Email(policy.EmailInput{Email: email, Requester: requester(r)})
	if len(vs) == 0 {
		return templates.Message{}, nil
	}
	switch vs[0].Code {
	case policy.CodeEmailDomainNotAllowed:
		return templates.Msg("account.emails.error.domain_not_allowed"), nil
	case policy.CodeEmailDomainBanned:
		return templates.Msg("account.emails.error.domain_banned"), nil
	}
	return templates.Msg("account.emails.error.denied"), nil
}

// emailLimited answers a refusal of the email rate limits through render,
// with the 429 and its Retry-After; any other error is ours.
func (h *Handler) emailLimited(w http.ResponseWriter, r *http.Request, err error, render func(int, templates.Message)) {
	l, ok := isLimited(err)
	if !ok {
		h.Pages.InternalError(w, r, err)
		return
	}
	pages.SetRetryAfter(w, l.RetryAfter)
	render(http.StatusTooManyRequests, templates.Msg("account.error.rate_limited"))
}

// userEmail finds one of the user's addresses by the ID in the URL; nil
// when it is not theirs (or does not exist).
func (h *Handler) userEmail(r *http.Request, userID domain.ID) (*domain.UserEmail, error) {
	id, err := domain.ParseID(r.PathValue(routes.ParamID))
	if err != nil {
		return nil, nil
	}
	e, err := h.Store.UserEmails().Lookup(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil || e.UserID != userID {
		return nil, err
	}
	return e, nil
}
