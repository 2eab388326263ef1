package oauth

import (
	"net/http"

	"mas/internal/pages"
	"mas/internal/routes"
	"mas/internal/session"
)

// redirectToLogin sends a browser without a session to the login page,
// which brings it back through action afterwards.
func (h *Handler) redirectToLogin(w http.ResponseWriter, r *http.Request, action session.PostAuthAction, loginHint string) {
	h.redirectWithAction(w, r, routes.Login, action, loginHint)
}

// redirectToRegister sends a browser without a session that asked for
// prompt=create to the registration pages, which also bring it back
// through action; the login hint suggests the username.
func (h *Handler) redirectToRegister(w http.ResponseWriter, r *http.Request, action session.PostAuthAction, loginHint string) {
	h.redirectWithAction(w, r, routes.Register, action, loginHint)
}

func (h *Handler) redirectWithAction(w http.ResponseWriter, r *http.Request, path string, action session.PostAuthAction, loginHint string) {
	q := action.Query()
	if loginHint != "" {
		q.Set("login_hint", loginHint)
	}
	pages.SeeOther(w, r, h.URLs.RelativeWithQuery(path, q))
}
