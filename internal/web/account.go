package web

import (
	"net/http"
	"net/url"

	"mas/internal/homeserver"
	"mas/internal/pages"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/templates"
)

// The account pages (discovery's account_management_uri): server-rendered
// sections where a signed-in user sees and changes their account. Each
// section is a page; a form posts back to its section and is answered with
// a redirect carrying a `done` notice, or with the section and the errors.

// mountAccount registers the account pages under /account/.
func (h *Handler) mountAccount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+routes.AccountRoot, h.accountRoot)
	mux.HandleFunc("GET "+routes.AccountPattern, h.signedIn(deepLinkReturn, h.accountIndex))
	mux.HandleFunc("POST "+routes.AccountDisplayName, h.signedIn(manageAccount(""), h.displayNameSubmit))

	mux.HandleFunc("GET "+routes.AccountEmails, h.signedIn(manageAccount(""), h.emailsPage))
	mux.HandleFunc("POST "+routes.AccountEmails, h.signedIn(manageAccount(""), h.emailAddSubmit))
	mux.HandleFunc("GET "+routes.AccountEmailVerifyPattern, h.signedIn(manageAccount(""), h.emailVerifyPage))
	mux.HandleFunc("POST "+routes.AccountEmailVerifyPattern, h.signedIn(manageAccount(""), h.emailVerifySubmit))
	mux.HandleFunc("GET "+routes.AccountEmailRemovePattern, h.signedIn(manageAccount(""), h.emailRemovePage))
	mux.HandleFunc("POST "+routes.AccountEmailRemovePattern, h.signedIn(manageAccount(""), h.emailRemoveSubmit))

	mux.HandleFunc("GET "+routes.AccountPasswordChange, h.signedIn(changePasswordReturn, h.passwordPage))
	mux.HandleFunc("POST "+routes.AccountPasswordChange, h.signedIn(changePasswordReturn, h.passwordSubmit))

	sessions := manageAccount(actionSessionsList)
	mux.HandleFunc("GET "+routes.AccountSessions, h.signedIn(sessions, h.sessionsPage))
	mux.HandleFunc("GET "+routes.AccountSessionPattern, h.signedIn(sessions, h.sessionPage))
	mux.HandleFunc("POST "+routes.AccountSessionEndPattern, h.signedIn(sessions, h.sessionEndSubmit))

	reset := manageAccount(actionCrossSigningReset)
	mux.HandleFunc("GET "+routes.AccountCrossSigningReset, h.signedIn(reset, h.crossSigningPage))
	mux.HandleFunc("POST "+routes.AccountCrossSigningReset, h.signedIn(reset, h.crossSigningSubmit))

	mux.HandleFunc("GET "+routes.AccountDeactivate, h.signedIn(manageAccount(""), h.deactivatePage))
	mux.HandleFunc("POST "+routes.AccountDeactivate, h.signedIn(manageAccount(""), h.deactivateSubmit))

	if h.Settings.PlanManagementIframeURI != "" {
		mux.HandleFunc("GET "+routes.AccountPlan, h.signedIn(manageAccount(""), h.planPage))
	}
}

// accountHandler serves an account page for the signed-in user.
type accountHandler func(w http.ResponseWriter, r *http.Request, cur *session.Current)

// signedIn runs page for a signed-in user. Anyone else is sent to the
// login page, which brings them back where next says; a browser whose
// user is locked or deactivated is told so instead.
func (h *Handler) signedIn(next func(*http.Request) *session.PostAuthAction, page accountHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cur, err := h.Sessions.Current(r)
		if err != nil {
			h.Pages.InternalError(w, r, err)
			return
		}
		if cur != nil {
			page(w, r, cur)
			return
		}
		unusable, err := h.Sessions.UnusableUser(r)
		if err != nil {
			h.Pages.InternalError(w, r, err)
			return
		}
		if unusable != nil {
			h.renderUnusable(w, r, unusable.Username, unusable.DeactivatedAt != nil)
			return
		}
		pages.SeeOther(w, r, h.URLs.RelativeWithQuery(routes.Login, next(r).Query()))
	}
}

// renderUnusable says that the account is deactivated or locked, and
// offers nothing else.
func (h *Handler) renderUnusable(w http.ResponseWriter, r *http.Request, username string, deactivated bool) {
	if !deactivated {
		h.renderLocked(w, r, username)
		return
	}
	h.Pages.Render(w, r, http.StatusForbidden, templates.PageAccountDeactivated, templates.AccountDeactivatedPage{
		Common: h.Pages.Common(r, ""),
		MXID:   homeserver.MXID(username, h.Login.ServerName),
	})
}

// renderLocked says that the account is locked (403), as the password
// login, a recovery link, an upstream login and the account pages do.
func (h *Handler) renderLocked(w http.ResponseWriter, r *http.Request, username string) {
	h.Pages.Render(w, r, http.StatusForbidden, templates.PageAccountLocked, templates.AccountLockedPage{
		Common: h.Pages.Common(r, ""),
		MXID:   homeserver.MXID(username, h.Login.ServerName),
	})
}

// accountRoot serves /account: the page lives at /account/; the query
// (an MSC4191 action) goes along.
func (h *Handler) accountRoot(w http.ResponseWriter, r *http.Request) {
	target := h.URLs.Relative(routes.Account)
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	pages.SeeOther(w, r, target)
}

// Returns after login: the post-authentication actions of the sections.

// manageAccount returns to the account page, opening the section action
// names ("" for the profile).
func manageAccount(action string) func(*http.Request) *session.PostAuthAction {
	return func(*http.Request) *session.PostAuthAction {
		q := url.Values{"kind": {session.KindManageAccount}}
		if action != "" {
			q.Set(paramAction, action)
		}
		return session.ParsePostAuthAction(q)
	}
}

// deepLinkReturn returns to the account page with the request's own
// MSC4191 action and device.
func deepLinkReturn(r *http.Request) *session.PostAuthAction {
	q := url.Values{"kind": {session.KindManageAccount}}
	for _, p := range []string{paramAction, paramDeviceID} {
		if v := r.URL.Query().Get(p); v != "" {
			q.Set(p, v)
		}
	}
	return session.ParsePostAuthAction(q)
}

func changePasswordReturn(*http.Request) *session.PostAuthAction {
	return session.ParsePostAuthAction(url.Values{"kind": {session.KindChangePassword}})
}
