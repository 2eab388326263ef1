package web

import (
	"net/http"

	"mas/internal/homeserver"
	"mas/internal/pages"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/templates"
)

// index serves GET /: who is logged in, with links to the account and a
// logout button, or links to log in and (when open) to register.
func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	cur, err := h.Sessions.Current(r)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	page := templates.IndexPage{}
	if cur != nil {
		page.Common = h.Pages.CommonWithCSRF(w, r)
		page.MXID = homeserver.MXID(cur.User.Username, h.Login.ServerName)
	} else {
		page.Common = h.Pages.Common(r, "")
		if h.passwordsEnabled() && h.Settings.PasswordRegistrationEnabled {
			page.RegisterLink = h.URLs.Relative(routes.Register)
		}
	}
	h.Pages.Render(w, r, http.StatusOK, templates.PageIndex, page)
}

// logout serves POST /logout: ends the browser session and goes to the
// login page, keeping any post-authentication action of the form's URL.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	if err := h.Sessions.End(w, r); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	// Unfinished upstream logins and registrations stay with the person
	// who started them, not the browser's next user.
	h.upstreamFlows().Clear(w)
	h.registrationFlows().Clear(w)
	next := session.ParsePostAuthAction(r.URL.Query())
	pages.SeeOther(w, r, h.URLs.RelativeWithQuery(routes.Login, next.Query()))
}

// changePassword serves the well-known URL password managers use to find
// where a password is changed.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	pages.SeeOther(w, r, h.URLs.Relative(routes.AccountPasswordChange))
}
