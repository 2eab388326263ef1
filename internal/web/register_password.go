package web

import (
	"errors"
	"net/http"
	"strings"

	"mas/internal/domain"
	"mas/internal/login"
	"mas/internal/pages"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// registerPasswordPage serves GET /register/password.
func (h *Handler) registerPasswordPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	next := session.ParsePostAuthAction(q)
	if h.goOnIfSignedIn(w, r, next) {
		return
	}
	h.renderRegisterPassword(w, r, http.StatusOK, next, templates.RegisterPasswordPage{Username: h.suggestedUsername(q)})
}

func (h *Handler) renderRegisterPassword(w http.ResponseWriter, r *http.Request, status int, next *session.PostAuthAction, page templates.RegisterPasswordPage) {
	page.Common = h.Pages.CommonWithCSRF(w, r)
	page.FormAction = h.URLs.RelativeWithQuery(routes.RegisterPassword, next.Query())
	page.ServerName = h.Login.ServerName
	page.EmailRequired = h.Settings.PasswordRegistrationEmailRequired
	page.TermsURL = h.Pages.Branding.TOSURI
	page.LoginLink = h.URLs.RelativeWithQuery(routes.Login, next.Query())
	page.ClientName = h.clientNameFor(r.Context(), next)
	if h.Captcha != nil {
		widget := h.Captcha.Widget()
		page.Captcha = &templates.Captcha{ScriptURL: widget.ScriptURL, Class: widget.Class, SiteKey: widget.SiteKey}
		// Only this page lets the captcha's script and frames in.
		requestctx.AllowPageSources(r.Context(), widget.Sources)
	}
	h.Pages.Render(w, r, status, templates.PageRegisterPassword, page)
}

// registrationForm is the password form as posted.
type registrationForm struct {
	username, email, password, confirm string
	terms                              bool
}

// registerPasswordSubmit serves POST /register/password: every check, each
// with its message next to its field, then the registration, its email
// authentication and the code mail in one transaction.
func (h *Handler) registerPasswordSubmit(w http.ResponseWriter, r *http.Request) {
	next := session.ParsePostAuthAction(r.URL.Query())
	if !h.Pages.ReadForm(w, r) {
		return
	}
	if h.goOnIfSignedIn(w, r, next) {
		return
	}
	ctx := r.Context()
	f := registrationForm{
		username: strings.TrimSpace(r.PostForm.Get("username")),
		email:    strings.TrimSpace(r.PostForm.Get("email")),
		password: r.PostForm.Get("password"),
		confirm:  r.PostForm.Get("password_confirm"),
		terms:    r.PostForm.Get("accept_terms") == "on",
	}
	page := templates.RegisterPasswordPage{Username: f.username, Email: f.email, TermsAccepted: f.terms}
	refuse := func(status int) { h.renderRegisterPassword(w, r, status, next, page) }

	// The captcha first: a form that fails it does not get to make the
	// homeserver look the username up.
	human := true
	if h.Captcha != nil {
		ok, err := h.Captcha.Verify(ctx, r)
		switch {
		case err != nil:
			// Not the user's fault: they may try again.
			requestctx.Logger(ctx).WarnContext(ctx, "captcha verification failed", "error", err)
			page.CaptchaError = templates.Msg("register.error.captcha_unavailable")
			refuse(http.StatusServiceUnavailable)
			return
		case !ok:
			page.CaptchaError = templates.Msg("register.error.captcha_failed")
			human = false
		}
	}
	status, err := h.checkRegistrationForm(r, f, &page, human)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if status != 0 {
		refuse(status)
		return
	}

	// Limits count only forms about to create something.
	if h.Limits != nil {
		msg := "register.error.rate_limited"
		err := h.Limits.CheckRegistration(requestctx.ClientIP(ctx))
		if err == nil && f.email != "" {
			msg = "register.error.codes_limited"
			err = h.checkEmailLimits(r, f.email, nil)
		}
		if limited, ok := isLimited(err); ok {
			pages.SetRetryAfter(w, limited.RetryAfter)
			page.Errors = append(page.Errors, templates.Msg(msg))
			refuse(http.StatusTooManyRequests)
			return
		}
		if err != nil {
			h.Pages.InternalError(w, r, err)
			return
		}
	}

	reg, err := h.startRegistration(r, f, next)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if err := h.registrationFlows().Add(w, r, reg.ID); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	// The first step, in the finish step's order.
	switch id := reg.ID.String(); {
	case h.Settings.RegistrationTokenRequired:
		pages.SeeOther(w, r, h.URLs.Relative(routes.RegisterToken(id)))
	case reg.EmailAuthenticationID != nil:
		pages.SeeOther(w, r, h.URLs.Relative(routes.RegisterVerifyEmail(id)))
	default:
		h.continueRegistration(w, r, reg)
	}
}

// startRegistration stores the registration with its hashed password, and,
// when an address was given, its email authentication and code mail, all
// in one transaction.
func (h *Handler) startRegistration(r *http.Request, f registrationForm, next *session.PostAuthAction) (*domain.UserRegistration, error) {
	ctx := r.Context()
	version, hash, err := h.Login.Passwords.Hash(ctx, f.password)
	if err != nil {
		return nil, err
	}
	reg := &domain.UserRegistration{
		Username:        f.username,
		HashedPassword:  hash,
		PasswordVersion: version,
		PostAuthAction:  next.JSON(),
		UserAgent:       requestUserAgent(r),
	}
	if f.terms {
		reg.TermsURL = h.Pages.Branding.TOSURI
	}
	if ip := requestctx.ClientIP(ctx); ip.IsValid() {
		reg.IPAddress = ip.String()
	}
	err = store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if err := tx.Registrations().Add(ctx, reg); err != nil {
			return err
		}
		if f.email == "" {
			return nil
		}
		_, err := h.startRegistrationEmail(r, tx, reg, f.email)
		return err
	})
	return reg, err
}

// startRegistrationEmail starts verifying email for reg, in tx: a new
// email authentication, the registration pointing at it, and its code
// mail in the request's language.
func (h *Handler) startRegistrationEmail(r *http.Request, tx store.Tx, reg *domain.UserRegistration, email string) (*domain.EmailAuthentication, error) {
	ctx := r.Context()
	auth := &domain.EmailAuthentication{Email: email, UserRegistrationID: &reg.ID}
	if err := tx.EmailAuthentications().Add(ctx, auth); err != nil {
		return nil, err
	}
	reg.EmailAuthenticationID = &auth.ID
	if err := tx.Registrations().Update(ctx, reg); err != nil {
		return nil, err
	}
	return auth, sendEmailCode(ctx, tx, auth.ID, h.Pages.Locale(r).Lang())
}

// checkRegistrationForm puts each problem of the form next to its field
// and returns the status to answer with, or 0 when the form is fine.
// Without human (a failed captcha), the homeserver is not asked about the
// username.
func (h *Handler) checkRegistrationForm(r *http.Request, f registrationForm, page *templates.RegisterPasswordPage, human bool) (int, error) {
	status := 0
	bad := func() {
		if status == 0 {
			status = http.StatusBadRequest
		}
	}
	fail := func(field *templates.Message, msg templates.Message) {
		if field.IsZero() {
			*field = msg
		}
		bad()
	}
	if !human {
		bad()
	}

	emailOK := f.email != "" && domain.IsMailableAddress(f.email)
	switch {
	case f.email == "" && h.Settings.PasswordRegistrationEmailRequired:
		fail(&page.EmailError, templates.Msg("register.error.email_required"))
	case f.email != "" && !emailOK:
		fail(&page.EmailError, templates.Msg("register.error.email_invalid"))
	}
	if f.username == "" {
		fail(&page.UsernameError, templates.Msg("register.error.username_required"))
	}

	for _, v := range h.registrationPolicy().Register(registerInput(r, f.username, f.email, emailOK)) {
		switch {
		case v.Field == "username" && f.username != "":
			fail(&page.UsernameError, policyMessage(v))
		case v.Field == "email" && emailOK:
			fail(&page.EmailError, policyMessage(v))
		case v.Field == "":
			page.Errors = append(page.Errors, policyMessage(v))
			bad()
		}
	}

	switch err := login.CheckNewPassword(f.password, h.Settings.MinimumPasswordComplexity, f.username, f.email); {
	case errors.Is(err, login.ErrPasswordEmpty):
		fail(&page.PasswordError, templates.Msg("register.error.password_required"))
	case errors.Is(err, login.ErrPasswordTooLong):
		fail(&page.PasswordError, templates.Msg("register.error.password_too_long"))
	case err != nil:
		fail(&page.PasswordError, templates.Msg("register.error.password_weak"))
	}
	switch {
	case f.password == "":
		// One message is enough for an empty form.
	case f.confirm == "":
		fail(&page.ConfirmError, templates.Msg("register.error.confirm_required"))
	case f.password != f.confirm:
		fail(&page.ConfirmError, templates.Msg("register.error.password_mismatch"))
	}
	if h.Pages.Branding.TOSURI != "" && !f.terms {
		fail(&page.TermsError, templates.Msg("register.error.terms_required"))
	}

	// Availability last: it is the only check that leaves the service.
	if !page.UsernameError.IsZero() || !human {
		return status, nil
	}
	taken, err := h.usernameTaken(r, f.username)
	switch {
	case errors.Is(err, errHomeserverUnavailable):
		page.Errors = append(page.Errors, templates.Msg("register.error.homeserver_unavailable"))
		return http.StatusServiceUnavailable, nil
	case err != nil:
		return 0, err
	case taken:
		fail(&page.UsernameError, templates.Msg("register.error.username_taken"))
	}
	return status, nil
}

// errHomeserverUnavailable: the homeserver could not say whether a
// username is free.
var errHomeserverUnavailable = errors.New("the homeserver could not be asked about the username")

// usernameTaken reports whether username belongs to a user here or is
// unavailable on the homeserver (taken, reserved for an application
// service).
func (h *Handler) usernameTaken(r *http.Request, username string) (bool, error) {
	ctx := r.Context()
	_, err := h.Store.Users().FindByUsername(ctx, username)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	available, err := h.Homeserver.IsLocalpartAvailable(ctx, username)
	if err != nil {
		requestctx.Logger(ctx).WarnContext(ctx, "asking the homeserver whether a username is free", "error", err)
		return false, errHomeserverUnavailable
	}
	return !available, nil
}
