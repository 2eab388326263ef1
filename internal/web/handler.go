// Package web serves the service's own HTML pages that are not part of a
// protocol: the start page, password login and logout, registration,
// password recovery and the account pages.
package web

import (
	"io"
	"net/http"

	"mas/internal/clock"
	"mas/internal/homeserver"
	"mas/internal/login"
	"mas/internal/pages"
	"mas/internal/policy"
	"mas/internal/ratelimit"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/upstream/registry"
)

// Handler serves the pages. Every dependency is explicit.
type Handler struct {
	Store    store.Store
	Sessions *session.Manager
	// Login checks passwords; its Passwords is nil (or disabled) when
	// passwords.enabled is false, which removes every password feature.
	Login *login.Checker
	Pages *pages.Renderer
	URLs  *routes.URLBuilder
	Clock clock.Clock
	// Homeserver answers whether a username is free and receives
	// display names.
	Homeserver homeserver.Connection
	// Policy evaluates the register and email policies; nil behaves like
	// an engine without data.
	Policy *policy.Engine
	// Limits guards registration, recovery and email codes.
	Limits *ratelimit.Set
	// Captcha checks the registration form's challenge; nil when
	// captcha.service is not set.
	Captcha CaptchaVerifier
	// Rand supplies codes and tickets (crypto/rand in production).
	Rand     io.Reader
	Settings Settings
	// Upstream holds the enabled upstream providers (upstream*.go); nil
	// or empty when none is configured.
	Upstream *registry.Registry
}

// Settings are the `account`, `passwords` and `experimental` settings the
// pages follow.
type Settings struct {
	PasswordRegistrationEnabled       bool
	PasswordRegistrationEmailRequired bool
	RegistrationTokenRequired         bool
	PasswordRecoveryEnabled           bool
	PasswordChangeAllowed             bool
	EmailChangeAllowed                bool
	DisplayNameChangeAllowed          bool
	AccountDeactivationAllowed        bool
	LoginWithEmailAllowed             bool
	// MinimumPasswordComplexity is passwords.minimum_complexity (zxcvbn
	// score 0-4).
	MinimumPasswordComplexity int
	// PlanManagementIframeURI adds a plan tab to the account pages.
	PlanManagementIframeURI string
}

// Mount registers the pages on the `human` resource's mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+routes.IndexPattern, h.index)
	mux.HandleFunc("GET "+routes.Login, h.loginPage)
	mux.HandleFunc("POST "+routes.Login, h.loginSubmit)
	mux.HandleFunc("POST "+routes.Logout, h.logout)
	mux.HandleFunc("GET "+routes.ChangePasswordDiscovery, h.changePassword)
	h.mountRegistration(mux)
	h.mountRecovery(mux)
	h.mountAccount(mux)
	h.mountUpstream(mux)
}

// passwordsEnabled reports whether password features exist at all.
func (h *Handler) passwordsEnabled() bool { return h.Login != nil && h.Login.PasswordsEnabled() }
