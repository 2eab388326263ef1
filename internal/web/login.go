package web

import (
	"context"
	"net/http"
	"strings"

	"mas/internal/domain"
	"mas/internal/login"
	"mas/internal/pages"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// Messages of the login form. A failed login never says whether the
// username or the password was wrong.
var (
	msgInvalidCredentials = templates.Msg("login.error.invalid_credentials")
	msgUsernameMissing    = templates.Msg("login.error.username_missing")
	msgPasswordMissing    = templates.Msg("login.error.password_missing")
	msgRateLimited        = templates.Msg("login.error.rate_limited")
)

// loginForm is what the login page needs besides the common layout.
type loginForm struct {
	next *session.PostAuthAction
	// loginHint goes on to the providers' buttons.
	loginHint   string
	username    string
	err         templates.Message // about the whole form
	usernameErr templates.Message
	passwordErr templates.Message
}

// loginPage serves GET /login. A browser that is already logged in goes
// straight on to where it was heading. Without passwords, a single
// upstream provider is the only way in, so the browser goes straight to
// it, as upstream does.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	next := session.ParsePostAuthAction(q)
	cur, err := h.Sessions.Current(r)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if cur != nil {
		pages.SeeOther(w, r, h.URLs.Relative(next.Target()))
		return
	}
	hint := q.Get("login_hint")
	if !h.passwordsEnabled() {
		providers, err := h.enabledProviders(r.Context())
		if err != nil {
			h.Pages.InternalError(w, r, err)
			return
		}
		if len(providers) == 1 {
			pages.SeeOther(w, r, h.providerStart(providers[0], next, hint))
			return
		}
	}
	h.renderLogin(w, r, http.StatusOK, loginForm{next: next, loginHint: hint, username: h.Login.UsernameFromHint(hint)})
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, f loginForm) {
	providers, err := h.enabledProviders(r.Context())
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	page := templates.LoginPage{
		Common:               h.Pages.CommonWithCSRF(w, r),
		FormAction:           h.URLs.RelativeWithQuery(routes.Login, f.next.Query()),
		PasswordLoginEnabled: h.passwordsEnabled(),
		ServerName:           h.Login.ServerName,
		LoginWithEmail:       h.Login.LoginWithEmail,
		Username:             f.username,
		Error:                f.err,
		UsernameError:        f.usernameErr,
		PasswordError:        f.passwordErr,
		ClientName:           h.clientNameFor(r.Context(), f.next),
		Providers:            h.providerButtons(providers, f.next, f.loginHint),
	}
	if page.PasswordLoginEnabled && h.Settings.PasswordRegistrationEnabled {
		page.RegisterLink = h.URLs.RelativeWithQuery(routes.Register, f.next.Query())
	}
	if page.PasswordLoginEnabled && h.Settings.PasswordRecoveryEnabled {
		page.RecoverLink = h.URLs.Relative(routes.Recover)
	}
	h.Pages.Render(w, r, status, templates.PageLogin, page)
}

// loginSubmit serves POST /login.
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	next := session.ParsePostAuthAction(r.URL.Query())
	if !h.Login.PasswordsEnabled() {
		h.renderLogin(w, r, http.StatusMethodNotAllowed, loginForm{next: next})
		return
	}
	if !h.Pages.ReadForm(w, r) {
		return
	}
	typed := strings.TrimSpace(r.PostForm.Get("username"))
	password := r.PostForm.Get("password")
	form := loginForm{next: next, username: typed}
	if typed == "" || password == "" {
		if typed == "" {
			form.usernameErr = msgUsernameMissing
		}
		if password == "" {
			form.passwordErr = msgPasswordMissing
		}
		h.renderLogin(w, r, http.StatusBadRequest, form)
		return
	}

	res, err := h.Login.CheckLogin(r.Context(), typed, password)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	switch res.Outcome {
	case login.RateLimited:
		pages.SetRetryAfter(w, res.RetryAfter)
		form.err = msgRateLimited
		h.renderLogin(w, r, http.StatusTooManyRequests, form)
		return
	case login.Locked:
		// Only someone who knows the password learns about the lock.
		h.renderLocked(w, r, res.User.Username)
		return
	case login.OK:
	default:
		form.err = msgInvalidCredentials
		h.renderLogin(w, r, http.StatusBadRequest, form)
		return
	}

	if err := h.startSession(w, r, res); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	pages.SeeOther(w, r, h.URLs.Relative(next.Target()))
}

// startSession stores the upgraded password, if any, and the new browser
// session authenticated by it in one transaction, then sets the cookie.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, res login.Result) error {
	ctx := r.Context()
	var bs *domain.BrowserSession
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		passwordID, err := login.StoreUpgrade(ctx, tx, res)
		if err != nil {
			return err
		}
		bs, err = h.Sessions.Create(ctx, tx, r, res.User, &passwordID)
		return err
	})
	if err != nil {
		return err
	}
	return h.Sessions.SetCookie(w, bs)
}

// clientNameFor names the application a login continues to, when the
// action continues an authorization; "" otherwise or when it cannot be
// found (the page is then just less specific).
func (h *Handler) clientNameFor(ctx context.Context, next *session.PostAuthAction) string {
	if next == nil {
		return ""
	}
	var clientID domain.ID
	switch next.Kind {
	case session.KindContinueAuthorizationGrant:
		g, err := h.Store.AuthorizationGrants().Lookup(ctx, next.ID)
		if err != nil {
			return ""
		}
		clientID = g.ClientID
	case session.KindContinueDeviceCodeGrant:
		g, err := h.Store.DeviceCodeGrants().Lookup(ctx, next.ID)
		if err != nil {
			return ""
		}
		clientID = g.ClientID
	default:
		return ""
	}
	c, err := h.Store.Clients().Lookup(ctx, clientID)
	if err != nil {
		return ""
	}
	return c.ClientName
}
