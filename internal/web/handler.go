// Package web serves the service's own HTML pages that are not part of a
// protocol: the start page, password login and logout.
package web

import (
	"net/http"

	"mas/internal/clock"
	"mas/internal/passwords"
	"mas/internal/ratelimit"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// Settings are the configuration values the pages depend on.
type Settings struct {
	// ServiceName is shown on pages (branding.service_name).
	ServiceName string
	// ServerName is the homeserver's name (matrix.homeserver): users may
	// log in with "@localpart:ServerName".
	ServerName string
	// PasswordRegistrationEnabled links the login page to registration.
	PasswordRegistrationEnabled bool
}

// Handler serves the pages. Every dependency is explicit.
type Handler struct {
	Store    store.Store
	Sessions *session.Manager
	// Passwords verifies passwords; nil (or a disabled manager) when
	// passwords.enabled is false, which removes the password form.
	Passwords *passwords.Manager
	Limits    *ratelimit.Set
	Templates *templates.Templates
	URLs      *routes.URLBuilder
	Clock     clock.Clock
	Settings  Settings
}

// Mount registers the pages on the `human` resource's mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+routes.IndexPattern, h.index)
	mux.HandleFunc("GET "+routes.Login, h.loginPage)
	mux.HandleFunc("POST "+routes.Login, h.loginSubmit)
	mux.HandleFunc("POST "+routes.Logout, h.logout)
	mux.HandleFunc("GET "+routes.ChangePasswordDiscovery, h.changePassword)
}

// maxFormBytes bounds the bodies of our forms; a login is well under 1 KiB.
const maxFormBytes = 16 << 10

// msgStaleForm is shown when a form fails its CSRF check.
const msgStaleForm = "The form has expired or did not come from this site. Go back, reload the page and try again."

func (h *Handler) common(csrf string) templates.Common {
	c := templates.NewCommon(h.URLs, h.Settings.ServiceName)
	c.CSRFToken = csrf
	return c
}

// render writes a page; pages with forms carry a CSRF token, so none is
// cached.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	w.Header().Set("Cache-Control", "no-store")
	if err := h.Templates.Respond(w, status, name, data); err != nil {
		requestctx.Logger(r.Context()).Error("rendering page", "page", name, "error", err)
		http.Error(w, "internal server error", http.StatusInternalServerError)
	}
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, description string) {
	h.render(w, r, status, templates.PageError, templates.ErrorPage{Common: h.common(""), Description: description})
}

func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	requestctx.Logger(r.Context()).Error("request failed", "error", err)
	h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again later.")
}

// parseForm reads a POSTed form with a small body limit and checks its
// CSRF token, answering the request itself when either fails.
func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "The form could not be read.")
		return false
	}
	if !h.Sessions.CheckCSRF(r) {
		h.errorPage(w, r, http.StatusForbidden, msgStaleForm)
		return false
	}
	return true
}

// seeOther redirects with 303, so that a POST is never replayed.
func seeOther(w http.ResponseWriter, r *http.Request, location string) {
	http.Redirect(w, r, location, http.StatusSeeOther)
}
