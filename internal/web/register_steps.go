package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/routes"
	"mas/internal/store"
	"mas/internal/templates"
)

// maxDisplayNameLength is the longest display name a registration takes,
// in characters, as upstream's.
const maxDisplayNameLength = 255

// registerTokenPage serves GET /register/steps/{id}/token.
func (h *Handler) registerTokenPage(w http.ResponseWriter, r *http.Request) {
	reg := h.registrationStep(w, r)
	if reg == nil {
		return
	}
	if !h.tokenRequired(r, reg) {
		h.continueRegistration(w, r, reg)
		return
	}
	h.renderRegisterToken(w, r, http.StatusOK, reg, templates.RegisterTokenPage{})
}

func (h *Handler) renderRegisterToken(w http.ResponseWriter, r *http.Request, status int, reg *domain.UserRegistration, page templates.RegisterTokenPage) {
	page.Common = h.Pages.CommonWithCSRF(w, r)
	page.FormAction = h.URLs.Relative(routes.RegisterToken(reg.ID.String()))
	h.Pages.Render(w, r, status, templates.PageRegisterToken, page)
}

// registerTokenSubmit serves POST /register/steps/{id}/token: a valid token
// is remembered; it is used (counted) only when the account is created.
func (h *Handler) registerTokenSubmit(w http.ResponseWriter, r *http.Request) {
	reg := h.registrationStepForm(w, r)
	if reg == nil {
		return
	}
	if !h.tokenRequired(r, reg) {
		h.continueRegistration(w, r, reg)
		return
	}
	ctx := r.Context()
	typed := strings.TrimSpace(r.PostForm.Get("token"))
	page := templates.RegisterTokenPage{Token: typed}
	refuse := func(status int, msg templates.Message) {
		page.Error = msg
		h.renderRegisterToken(w, r, status, reg, page)
	}
	if typed == "" {
		refuse(http.StatusBadRequest, templates.Msg("register.error.token_required"))
		return
	}
	// A token is a secret an operator may have made short: guesses are
	// limited per registration like email codes, and registrations
	// themselves per address.
	if h.Limits != nil {
		err := h.Limits.CheckEmailAuthenticationAttempt("registration-token:" + reg.ID.String())
		if limited, ok := isLimited(err); ok {
			pages.SetRetryAfter(w, limited.RetryAfter)
			refuse(http.StatusTooManyRequests, templates.Msg("register.error.code_attempts"))
			return
		}
	}
	token, err := h.Store.RegistrationTokens().FindByToken(ctx, typed)
	switch {
	case errors.Is(err, store.ErrNotFound):
		refuse(http.StatusBadRequest, templates.Msg("register.error.token_invalid"))
		return
	case err != nil:
		h.Pages.InternalError(w, r, err)
		return
	case !token.Valid(h.Clock.Now()):
		refuse(http.StatusBadRequest, templates.Msg("register.error.token_invalid"))
		return
	}
	reg.RegistrationTokenID = &token.ID
	h.saveRegistrationStep(w, r, reg)
}

// registerDisplayNamePage serves GET /register/steps/{id}/display-name.
func (h *Handler) registerDisplayNamePage(w http.ResponseWriter, r *http.Request) {
	reg := h.registrationStep(w, r)
	if reg == nil {
		return
	}
	h.renderRegisterDisplayName(w, r, http.StatusOK, reg, templates.RegisterDisplayNamePage{DisplayName: reg.DisplayName})
}

func (h *Handler) renderRegisterDisplayName(w http.ResponseWriter, r *http.Request, status int, reg *domain.UserRegistration, page templates.RegisterDisplayNamePage) {
	page.Common = h.Pages.CommonWithCSRF(w, r)
	page.FormAction = h.URLs.Relative(routes.RegisterDisplayName(reg.ID.String()))
	h.Pages.Render(w, r, status, templates.PageRegisterDisplayName, page)
}

// registerDisplayNameSubmit serves POST /register/steps/{id}/display-name.
// Skipping uses the username, as upstream (and Synapse) do.
func (h *Handler) registerDisplayNameSubmit(w http.ResponseWriter, r *http.Request) {
	reg := h.registrationStepForm(w, r)
	if reg == nil {
		return
	}
	name := reg.Username
	if r.PostForm.Get("action") != "skip" {
		typed := r.PostForm.Get("display_name")
		name = strings.TrimSpace(typed)
		var problem templates.Message
		switch {
		case name == "":
			problem = templates.Msg("register.error.display_name_required")
		case utf8.RuneCountInString(name) > maxDisplayNameLength:
			problem = templates.Msg("register.error.display_name_too_long")
		}
		if !problem.IsZero() {
			h.renderRegisterDisplayName(w, r, http.StatusBadRequest, reg, templates.RegisterDisplayNamePage{DisplayName: typed, Error: problem})
			return
		}
	}
	reg.DisplayName = name
	h.saveRegistrationStep(w, r, reg)
}

// saveRegistrationStep stores what a step filled in and goes on. A
// conflict means another tab completed the registration meanwhile; the
// finish step then knows where to go.
func (h *Handler) saveRegistrationStep(w http.ResponseWriter, r *http.Request, reg *domain.UserRegistration) {
	if err := h.Store.Registrations().Update(r.Context(), reg); err != nil && !errors.Is(err, store.ErrConflict) {
		h.Pages.InternalError(w, r, err)
		return
	}
	h.continueRegistration(w, r, reg)
}
