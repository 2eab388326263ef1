// Package web serves the service's own HTML pages that are not part of a
// protocol: the start page, password login and logout.
package web

import (
	"net/http"

	"mas/internal/clock"
	"mas/internal/login"
	"mas/internal/pages"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
)

// Handler serves the pages. Every dependency is explicit.
type Handler struct {
	Store    store.Store
	Sessions *session.Manager
	// Login checks passwords; its Passwords is nil (or disabled) when
	// passwords.enabled is false, which removes the password form.
	Login *login.Checker
	Pages *pages.Renderer
	URLs  *routes.URLBuilder
	Clock clock.Clock
}

// Mount registers the pages on the `human` resource's mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+routes.IndexPattern, h.index)
	mux.HandleFunc("GET "+routes.Login, h.loginPage)
	mux.HandleFunc("POST "+routes.Login, h.loginSubmit)
	mux.HandleFunc("POST "+routes.Logout, h.logout)
	mux.HandleFunc("GET "+routes.ChangePasswordDiscovery, h.changePassword)
}
