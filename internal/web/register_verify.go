package web

import (
	"errors"
	"net/http"
	"strings"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/routes"
	"mas/internal/store"
	"mas/internal/templates"
)

// registrationEmail loads the step's registration and its email
// authentication. A registration without one, or whose address is
// verified already, goes on to the finish step; ok is false whenever the
// request was answered.
func (h *Handler) registrationEmail(w http.ResponseWriter, r *http.Request) (*domain.UserRegistration, *domain.EmailAuthentication, bool) {
	reg := h.registrationStep(w, r)
	if reg == nil {
		return nil, nil, false
	}
	if reg.EmailAuthenticationID == nil {
		h.continueRegistration(w, r, reg)
		return nil, nil, false
	}
	auth, err := h.Store.EmailAuthentications().Lookup(r.Context(), *reg.EmailAuthenticationID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return nil, nil, false
	}
	if auth.CompletedAt != nil {
		h.continueRegistration(w, r, reg)
		return nil, nil, false
	}
	return reg, auth, true
}

// registerVerifyEmailPage serves GET /register/steps/{id}/verify-email.
func (h *Handler) registerVerifyEmailPage(w http.ResponseWriter, r *http.Request) {
	reg, auth, ok := h.registrationEmail(w, r)
	if !ok {
		return
	}
	h.renderRegisterVerifyEmail(w, r, http.StatusOK, reg, auth, templates.RegisterVerifyEmailPage{})
}

func (h *Handler) renderRegisterVerifyEmail(w http.ResponseWriter, r *http.Request, status int, reg *domain.UserRegistration, auth *domain.EmailAuthentication, page templates.RegisterVerifyEmailPage) {
	page.Common = h.Pages.CommonWithCSRF(w, r)
	page.FormAction = h.URLs.Relative(routes.RegisterVerifyEmail(reg.ID.String()))
	page.Email = auth.Email
	h.Pages.Render(w, r, status, templates.PageRegisterVerifyEmail, page)
}

// registerVerifyEmailSubmit serves POST /register/steps/{id}/verify-email:
// the code (action=verify), a new code (resend), or another address
// (change_email).
func (h *Handler) registerVerifyEmailSubmit(w http.ResponseWriter, r *http.Request) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	reg, auth, ok := h.registrationEmail(w, r)
	if !ok {
		return
	}
	switch r.PostForm.Get("action") {
	case "resend":
		h.resendRegistrationCode(w, r, reg, auth)
	case "change_email":
		h.changeRegistrationEmail(w, r, reg, auth)
	default:
		h.checkRegistrationCode(w, r, reg, auth)
	}
}

func (h *Handler) checkRegistrationCode(w http.ResponseWriter, r *http.Request, reg *domain.UserRegistration, auth *domain.EmailAuthentication) {
	ctx := r.Context()
	typed := strings.TrimSpace(r.PostForm.Get("code"))
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		return h.verifyEmailCode(ctx, tx, auth, typed)
	})
	page := templates.RegisterVerifyEmailPage{Code: typed}
	switch limited, isLimit := isLimited(err); {
	case err == nil, errors.Is(err, errCodeUsed):
		h.continueRegistration(w, r, reg)
		return
	case isLimit:
		pages.SetRetryAfter(w, limited.RetryAfter)
		page.CodeError = templates.Msg("register.error.code_attempts")
		h.renderRegisterVerifyEmail(w, r, http.StatusTooManyRequests, reg, auth, page)
	case errors.Is(err, errCodeWrong):
		page.CodeError = templates.Msg("register.error.code_wrong")
		h.renderRegisterVerifyEmail(w, r, http.StatusBadRequest, reg, auth, page)
	case errors.Is(err, errCodeExpired):
		page.CodeError = templates.Msg("register.error.code_expired")
		h.renderRegisterVerifyEmail(w, r, http.StatusBadRequest, reg, auth, page)
	default:
		h.Pages.InternalError(w, r, err)
	}
}

// resendRegistrationCode mails another code for the same address, within
// the per-authentication limit.
func (h *Handler) resendRegistrationCode(w http.ResponseWriter, r *http.Request, reg *domain.UserRegistration, auth *domain.EmailAuthentication) {
	ctx := r.Context()
	if h.refuseEmailLimited(w, r, reg, auth, auth.Email, &auth.ID, templates.RegisterVerifyEmailPage{}) {
		return
	}
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		return sendEmailCode(ctx, tx, auth.ID, h.Pages.Locale(r).Lang())
	})
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	h.renderRegisterVerifyEmail(w, r, http.StatusOK, reg, auth, templates.RegisterVerifyEmailPage{
		Notice: templates.Msg("register.verify.resent", "email", auth.Email),
	})
}

// changeRegistrationEmail replaces the address being verified: a new
// email authentication, checked like the form's address.
func (h *Handler) changeRegistrationEmail(w http.ResponseWriter, r *http.Request, reg *domain.UserRegistration, auth *domain.EmailAuthentication) {
	ctx := r.Context()
	email := strings.TrimSpace(r.PostForm.Get("email"))
	page := templates.RegisterVerifyEmailPage{NewEmail: email}
	if problem := h.registrationEmailProblem(r, email); !problem.IsZero() {
		page.NewEmailError = problem
		h.renderRegisterVerifyEmail(w, r, http.StatusBadRequest, reg, auth, page)
		return
	}
	if h.refuseEmailLimited(w, r, reg, auth, email, nil, page) {
		return
	}
	var next *domain.EmailAuthentication
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		var err error
		next, err = h.startRegistrationEmail(r, tx, reg, email)
		return err
	})
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	h.renderRegisterVerifyEmail(w, r, http.StatusOK, reg, next, templates.RegisterVerifyEmailPage{
		Notice: templates.Msg("register.verify.address_changed", "email", email),
	})
}

// refuseEmailLimited answers with the verify page when sending a code to
// email is over its limits; it reports whether it answered.
func (h *Handler) refuseEmailLimited(w http.ResponseWriter, r *http.Request, reg *domain.UserRegistration, auth *domain.EmailAuthentication, email string, authID *domain.ID, page templates.RegisterVerifyEmailPage) bool {
	err := h.checkEmailLimits(r, email, authID)
	if err == nil {
		return false
	}
	limited, ok := isLimited(err)
	if !ok {
		h.Pages.InternalError(w, r, err)
		return true
	}
	pages.SetRetryAfter(w, limited.RetryAfter)
	page.Errors = append(page.Errors, templates.Msg("register.error.codes_limited"))
	h.renderRegisterVerifyEmail(w, r, http.StatusTooManyRequests, reg, auth, page)
	return true
}
