// Package compat implements the Matrix client-server API's legacy login
// endpoints that a homeserver delegating authentication routes to this
// service: /_matrix/client/*/login (password and login-token logins, the
// flow list), /refresh, /logout, /logout/all, the m.login.sso redirect, and
// the browser page that completes an SSO login.
//
// Logins create compatibility sessions: one device, an mct_ access token
// and, when the client asks for one, an mcr_ refresh token. The homeserver
// learns about the device synchronously at login and forgets it through a
// sync-devices job when the session ends.
//
// API errors are Matrix error bodies ({"errcode", "error"}) built from
// *matrixError values and written in exactly one place (writeError).
package compat

import (
	"io"
	"net/http"
	"time"

	"mas/internal/clock"
	"mas/internal/homeserver"
	"mas/internal/login"
	"mas/internal/pages"
	"mas/internal/policy"
	"mas/internal/ratelimit"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
)

// defaultTokenTTL is experimental.compat_token_ttl's default: the lifetime
// of access tokens issued together with a refresh token.
const defaultTokenTTL = 5 * time.Minute

// Settings are the configuration values the endpoints depend on.
type Settings struct {
	// TokenTTL is the lifetime of refreshable compat access tokens
	// (experimental.compat_token_ttl); 0 means five minutes. Tokens issued
	// without a refresh token never expire.
	TokenTTL time.Duration
	// HardLimitEviction is experimental.session_limit
	// .dangerous_hard_limit_eviction: an API login over the hard session
	// limit ends the user's oldest compat sessions instead of failing.
	HardLimitEviction bool
}

// Handler serves the compatibility endpoints. Every dependency is explicit.
type Handler struct {
	Store      store.Store
	Homeserver homeserver.Connection
	// Policy evaluates compat_login; nil behaves like an engine without
	// data (no session limit, nobody banned).
	Policy *policy.Engine
	// Login checks passwords; its Passwords is nil (or disabled) when
	// passwords.enabled is false, which removes m.login.password.
	Login *login.Checker
	// Limits guards the SSO redirect, which stores a row for anyone.
	Limits   *ratelimit.Set
	Sessions *session.Manager
	Pages    *pages.Renderer
	URLs     *routes.URLBuilder
	Clock    clock.Clock
	// Rand supplies tokens and device IDs (crypto/rand in production).
	Rand     io.Reader
	Settings Settings
}

// Mount registers the `compat` resource: the Matrix API endpoints and the
// SSO redirect (an HTML endpoint that lives under /_matrix like the rest).
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+routes.CompatLoginPattern, h.loginFlows)
	mux.HandleFunc("POST "+routes.CompatLoginPattern, h.login)
	mux.HandleFunc("POST "+routes.CompatRefreshPattern, h.refresh)
	mux.HandleFunc("POST "+routes.CompatLogoutPattern, h.logout)
	mux.HandleFunc("POST "+routes.CompatLogoutAllPattern, h.logoutAll)
	mux.HandleFunc("GET "+routes.CompatLoginSSORedirectPattern, h.ssoRedirect)
	// Element iOS sends a trailing slash; the identity provider segment is
	// ignored, there being only this service to log in with.
	mux.HandleFunc("GET "+routes.CompatLoginSSORedirectSlashPattern, h.ssoRedirect)
	mux.HandleFunc("GET "+routes.CompatLoginSSORedirectIDPPattern, h.ssoRedirect)
}

// MountHuman registers the browser page of the `human` resource that
// completes an SSO login.
func (h *Handler) MountHuman(mux *http.ServeMux) {
	mux.HandleFunc("GET "+routes.CompleteCompatSSOPattern, h.ssoCompletePage)
	mux.HandleFunc("POST "+routes.CompleteCompatSSOPattern, h.ssoCompleteSubmit)
}

func (h *Handler) tokenTTL() time.Duration {
	if h.Settings.TokenTTL > 0 {
		return h.Settings.TokenTTL
	}
	return defaultTokenTTL
}

func (h *Handler) policyEngine() *policy.Engine {
	if h.Policy == nil {
		return &policy.Engine{}
	}
	return h.Policy
}
