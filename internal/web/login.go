package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"mas/internal/domain"
	"mas/internal/homeserver"
	"mas/internal/passwords"
	"mas/internal/ratelimit"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// Messages of the login form. A failed login never says whether the
// username or the password was wrong.
const (
	msgInvalidCredentials = "Invalid username or password."
	msgMissingCredentials = "Enter your username and password."
	msgRateLimited        = "Too many attempts. Wait a while and try again."
)

// loginForm is what the login page needs besides the common layout.
type loginForm struct {
	next     *session.PostAuthAction
	username string
	err      string
}

// loginPage serves GET /login. A browser that is already logged in goes
// straight on to where it was heading.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	next := session.ParsePostAuthAction(q)
	cur, err := h.Sessions.Current(r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if cur != nil {
		seeOther(w, r, h.URLs.Relative(next.Target()))
		return
	}
	h.renderLogin(w, r, http.StatusOK, loginForm{next: next, username: h.usernameFromHint(q.Get("login_hint"))})
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, f loginForm) {
	page := templates.LoginPage{
		Common:               h.common(h.Sessions.CSRFToken(w, r)),
		FormAction:           h.URLs.RelativeWithQuery(routes.Login, f.next.Query()),
		PasswordLoginEnabled: h.Passwords.Enabled(),
		Username:             f.username,
		Error:                f.err,
		ClientName:           h.clientNameFor(r.Context(), f.next),
	}
	if h.Settings.PasswordRegistrationEnabled {
		page.RegisterLink = h.URLs.RelativeWithQuery(routes.Register, f.next.Query())
	}
	h.render(w, r, status, templates.PageLogin, page)
}

// loginSubmit serves POST /login.
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	next := session.ParsePostAuthAction(r.URL.Query())
	if !h.Passwords.Enabled() {
		h.renderLogin(w, r, http.StatusMethodNotAllowed, loginForm{next: next})
		return
	}
	if !h.parseForm(w, r) {
		return
	}
	typed := strings.TrimSpace(r.PostForm.Get("username"))
	password := r.PostForm.Get("password")
	form := loginForm{next: next, username: typed}
	if typed == "" || password == "" {
		form.err = msgMissingCredentials
		h.renderLogin(w, r, http.StatusBadRequest, form)
		return
	}

	localpart, ok := h.localpart(typed)
	if !ok {
		localpart = typed // still rate-limited as a name of its own
	}
	user, pw, err := h.checkPassword(r.Context(), localpart, ok, password)
	var limited *ratelimit.LimitedError
	switch {
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(limited.RetryAfter.Seconds()))))
		form.err = msgRateLimited
		h.renderLogin(w, r, http.StatusTooManyRequests, form)
		return
	case errors.Is(err, errBadCredentials):
		form.err = msgInvalidCredentials
		h.renderLogin(w, r, http.StatusBadRequest, form)
		return
	case err != nil:
		h.internalError(w, r, err)
		return
	}
	if user.LockedAt != nil {
		// Only someone who knows the password learns about the lock.
		h.render(w, r, http.StatusForbidden, templates.PageAccountLocked, templates.AccountLockedPage{
			Common: h.common(""),
			MXID:   homeserver.MXID(user.Username, h.Settings.ServerName),
		})
		return
	}

	if err := h.startSession(w, r, user, pw); err != nil {
		h.internalError(w, r, err)
		return
	}
	seeOther(w, r, h.URLs.Relative(next.Target()))
}

// startSession stores the upgraded password, if any, and the new browser
// session authenticated by it in one transaction, then sets the cookie.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, user *domain.User, pw *verifiedPassword) error {
	ctx := r.Context()
	var bs *domain.BrowserSession
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		passwordID := pw.ID
		if pw.upgrade != nil {
			upgraded, err := tx.Passwords().Add(ctx, user.ID, pw.upgrade.Hash, pw.upgrade.Version, &pw.ID)
			if err != nil {
				return err
			}
			passwordID = upgraded.ID
		}
		var err error
		bs, err = h.Sessions.Create(ctx, tx, r, user, &passwordID)
		return err
	})
	if err != nil {
		return err
	}
	return h.Sessions.SetCookie(w, bs)
}

// errBadCredentials covers every reason a login fails that the user must
// not be told apart: no such user, a deactivated one, no password, a wrong
// password.
var errBadCredentials = errors.New("bad credentials")

// verifiedPassword is the user's active password once verified, with the
// rehash to store when its scheme is not the newest.
type verifiedPassword struct {
	ID      domain.ID
	upgrade *passwords.Upgrade
}

// checkPassword verifies password for the user named localpart (known is
// false when the name cannot be one of ours), after the rate limits. Every
// failure path past the limits spends about the time of one verification,
// so that response times do not tell which accounts exist.
func (h *Handler) checkPassword(ctx context.Context, localpart string, known bool, password string) (*domain.User, *verifiedPassword, error) {
	var user *domain.User
	var active *domain.Password
	if known {
		u, err := h.Store.Users().FindByUsername(ctx, localpart)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, nil, err
		case u.DeactivatedAt == nil:
			user = u
		}
	}
	if user != nil {
		p, err := h.Store.Passwords().Active(ctx, user.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, nil, err
		default:
			active = p
		}
	}
	// The limits come before any hashing, so that hammering the form
	// costs the attacker a refusal, not us a hash. Unknown names are
	// limited too, by name, so that the limiter does not tell existing
	// accounts apart either.
	accountKey := strings.ToLower(localpart)
	if user != nil {
		accountKey = user.ID.String()
	}
	if err := h.Limits.CheckPassword(requestctx.ClientIP(ctx), accountKey); err != nil {
		return nil, nil, err
	}
	if active == nil {
		if err := h.Passwords.DummyVerify(ctx); err != nil {
			return nil, nil, err
		}
		return nil, nil, errBadCredentials
	}
	upgrade, err := h.Passwords.Verify(ctx, active.Version, active.HashedPassword, password)
	switch {
	case errors.Is(err, passwords.ErrMismatch):
		return nil, nil, errBadCredentials
	case errors.Is(err, passwords.ErrUnknownScheme), errors.Is(err, passwords.ErrMalformedHash):
		// The stored hash is unusable: the user cannot log in with a
		// password until it is reset, which an operator must hear about.
		requestctx.Logger(ctx).Error("stored password cannot be verified", "user_id", user.ID.String(), "error", err)
		// Nothing was hashed: spend the time a verification takes, or the
		// quick answer singles out these accounts (all of them, once an
		// operator drops the scheme that migrated users still have).
		if err := h.Passwords.DummyVerify(ctx); err != nil {
			return nil, nil, err
		}
		return nil, nil, errBadCredentials
	case err != nil:
		return nil, nil, err
	}
	return user, &verifiedPassword{ID: active.ID, upgrade: upgrade}, nil
}

// localpart turns what the user typed into a localpart: a bare localpart,
// or a full Matrix ID of this server. ok is false for an ID of another
// server, which cannot be an account here.
func (h *Handler) localpart(typed string) (string, bool) {
	if strings.HasPrefix(typed, "@") {
		return homeserver.Localpart(typed, h.Settings.ServerName)
	}
	return typed, !strings.ContainsAny(typed, ":@")
}

// usernameFromHint pre-fills the username from an OpenID Connect
// login_hint: a localpart, a Matrix ID of this server, or upstream's
// "mxid:@localpart:server" form. Anything else is ignored.
func (h *Handler) usernameFromHint(hint string) string {
	hint = strings.TrimPrefix(strings.TrimSpace(hint), "mxid:")
	if hint == "" {
		return ""
	}
	localpart, ok := h.localpart(hint)
	if !ok {
		return ""
	}
	return localpart
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
