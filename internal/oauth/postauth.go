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
	q := action.Query()
	if loginHint != "" {
		q.Set("login_hint", loginHint)
	}
	pages.SeeOther(w, r, h.URLs.RelativeWithQuery(routes.Login, q))
}
