package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// Password registration, in upstream's steps: /register chooses how,
// /register/password takes the username, email and password and stores a
// UserRegistration; then the steps under /register/steps/{id}/ (the email
// code, a registration token when required, the display name) fill it
// in, and finish creates the user, all at once, and signs it in.
//
// A registration's ID travels in the URL, but only the browser that
// started it may continue it: the sealed user-registration-sessions
// cookie lists the registrations it started. Registrations expire after
// an hour, as upstream's.

const (
	registrationCookie   = "user-registration-sessions"
	registrationLifetime = time.Hour
)

func (h *Handler) registrationFlows() session.FlowCookie {
	return h.Sessions.FlowCookie(registrationCookie, registrationLifetime)
}

// mountRegistration registers /register and its steps. They are always
// registered and answer 403 with an explanation when registration is off.
func (h *Handler) mountRegistration(mux *http.ServeMux) {
	open := func(fn http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !h.registrationEnabled() {
				h.registrationClosed(w, r)
				return
			}
			fn(w, r)
		}
	}
	// The chooser also offers the upstream providers, which register
	// accounts without password registration.
	mux.HandleFunc("GET "+routes.Register, h.registerIndex)
	mux.HandleFunc("GET "+routes.RegisterPassword, open(h.registerPasswordPage))
	mux.HandleFunc("POST "+routes.RegisterPassword, open(h.registerPasswordSubmit))
	// The steps also finish registrations through an upstream provider,
	// which do not need password registration: registrationStep checks.
	mux.HandleFunc("GET "+routes.RegisterVerifyEmailPattern, h.registerVerifyEmailPage)
	mux.HandleFunc("POST "+routes.RegisterVerifyEmailPattern, h.registerVerifyEmailSubmit)
	mux.HandleFunc("GET "+routes.RegisterTokenPattern, h.registerTokenPage)
	mux.HandleFunc("POST "+routes.RegisterTokenPattern, h.registerTokenSubmit)
	mux.HandleFunc("GET "+routes.RegisterDisplayNamePattern, h.registerDisplayNamePage)
	mux.HandleFunc("POST "+routes.RegisterDisplayNamePattern, h.registerDisplayNameSubmit)
	mux.HandleFunc("GET "+routes.RegisterFinishPattern, h.registerFinish)
}

func (h *Handler) registrationClosed(w http.ResponseWriter, r *http.Request) {
	h.registrationProblem(w, r, http.StatusForbidden, problemPage{
		title: templates.Msg("register.disabled.title"), text: templates.Msg("register.disabled.text"),
	})
}

// registrationEnabled: account.password_registration_enabled, and passwords
// exist (upstream requires both).
func (h *Handler) registrationEnabled() bool {
	return h.Settings.PasswordRegistrationEnabled && h.passwordsEnabled()
}

// registerQuery is the query of the registration pages: the
// post-authentication action and the suggested username.
func registerQuery(next *session.PostAuthAction, username string) url.Values {
	q := next.Query()
	if username != "" {
		q.Set("username", username)
	}
	return q
}

// suggestedUsername reads the username a link suggests: ?username=, or
// the login_hint an authorization request passed on.
func (h *Handler) suggestedUsername(q url.Values) string {
	if u := q.Get("username"); u != "" {
		return u
	}
	return h.Login.UsernameFromHint(q.Get("login_hint"))
}

// goOnIfSignedIn sends a browser that is already signed in where it was
// heading, as upstream does; it reports whether it answered.
func (h *Handler) goOnIfSignedIn(w http.ResponseWriter, r *http.Request, next *session.PostAuthAction) bool {
	cur, err := h.Sessions.Current(r)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return true
	}
	if cur == nil {
		return false
	}
	pages.SeeOther(w, r, h.URLs.Relative(next.Target()))
	return true
}

// registerIndex serves GET /register: the ways to create an account, a
// password and the upstream providers. Without password registration, a
// single provider is the only way, so the browser goes straight to it, as
// upstream does; without either, registration is closed.
func (h *Handler) registerIndex(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	next := session.ParsePostAuthAction(q)
	if h.goOnIfSignedIn(w, r, next) {
		return
	}
	providers, err := h.enabledProviders(r.Context())
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	hint := q.Get("login_hint")
	passwords := h.registrationEnabled()
	switch {
	case !passwords && len(providers) == 0:
		h.registrationClosed(w, r)
		return
	case !passwords && len(providers) == 1:
		pages.SeeOther(w, r, h.providerStart(providers[0], next, hint))
		return
	}
	loginQuery := next.Query()
	if hint != "" {
		loginQuery.Set("login_hint", hint)
	}
	page := templates.RegisterIndexPage{
		Common:     h.Pages.Common(r, ""),
		LoginLink:  h.URLs.RelativeWithQuery(routes.Login, loginQuery),
		ClientName: h.clientNameFor(r.Context(), next),
		Providers:  h.providerButtons(providers, next, hint),
	}
	if passwords {
		page.PasswordLink = h.URLs.RelativeWithQuery(routes.RegisterPassword, registerQuery(next, h.suggestedUsername(q)))
	}
	h.Pages.Render(w, r, http.StatusOK, templates.PageRegisterIndex, page)
}

// problemPage is a registration that cannot go on.
type problemPage struct {
	title, text templates.Message
	next        *session.PostAuthAction
	// start offers a new registration; retry, the same step again.
	start bool
	retry string
}

func (h *Handler) registrationProblem(w http.ResponseWriter, r *http.Request, status int, p problemPage) {
	page := templates.RegisterProblemPage{
		Common:    h.Pages.Common(r, ""),
		Title:     p.title,
		Text:      p.text,
		LoginLink: h.URLs.RelativeWithQuery(routes.Login, p.next.Query()),
	}
	if page.Title.IsZero() {
		page.Title = templates.Msg("register.problem.title")
	}
	if p.start {
		page.StartLink = h.URLs.RelativeWithQuery(routes.Register, p.next.Query())
	}
	if p.retry != "" {
		page.RetryLink = h.URLs.Relative(p.retry)
	}
	h.Pages.Render(w, r, status, templates.PageRegisterProblem, page)
}

// registrationStep loads the registration a step's URL names, for this
// browser. When the registration cannot go on (unknown, another
// browser's, expired) or is done, it answers the request itself and
// returns nil.
func (h *Handler) registrationStep(w http.ResponseWriter, r *http.Request) *domain.UserRegistration {
	unknown := func() {
		h.registrationProblem(w, r, http.StatusNotFound, problemPage{text: templates.Msg("register.problem.unknown"), start: true})
	}
	if !h.registrationEnabled() && len(h.Upstream.List()) == 0 {
		h.registrationClosed(w, r)
		return nil
	}
	id, err := domain.ParseID(r.PathValue(routes.ParamID))
	if err != nil {
		unknown()
		return nil
	}
	// A registration another browser started looks exactly like one that
	// does not exist.
	if !h.registrationFlows().Has(r, id) {
		unknown()
		return nil
	}
	reg, err := h.Store.Registrations().Lookup(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		unknown()
		return nil
	}
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return nil
	}
	next := session.ParsePostAuthActionJSON(reg.PostAuthAction)
	if reg.UpstreamSessionID == nil && !h.registrationEnabled() {
		h.registrationClosed(w, r)
		return nil
	}
	if reg.CompletedAt != nil {
		// A second tab, or the back button: the account exists.
		pages.SeeOther(w, r, h.URLs.Relative(next.Target()))
		return nil
	}
	if !h.Clock.Now().Before(reg.CreatedAt.Add(registrationLifetime)) {
		h.registrationProblem(w, r, http.StatusGone, problemPage{text: templates.Msg("register.problem.expired"), next: next, start: true})
		return nil
	}
	return reg
}

// registrationStepForm reads the form a step posted, then loads the
// step's registration like registrationStep.
func (h *Handler) registrationStepForm(w http.ResponseWriter, r *http.Request) *domain.UserRegistration {
	if !h.Pages.ReadForm(w, r) {
		return nil
	}
	return h.registrationStep(w, r)
}

// continueRegistration sends the browser to the finish step, which works
// out what is still missing.
func (h *Handler) continueRegistration(w http.ResponseWriter, r *http.Request, reg *domain.UserRegistration) {
	pages.SeeOther(w, r, h.URLs.Relative(routes.RegisterFinish(reg.ID.String())))
}
