package compat

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"mas/internal/domain"
	"mas/internal/login"
	"mas/internal/policy"
	"mas/internal/ratelimit"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
	"mas/internal/tokens"
)

const (
	// loginTokenLength is the length of the loginToken handed to clients.
	loginTokenLength = 32
	// ssoLoginLifetime bounds the time between the client starting an SSO
	// login and the user approving it.
	ssoLoginLifetime = 30 * time.Minute
	// displayNameTimeout bounds the purely cosmetic display name lookup on
	// the consent page.
	displayNameTimeout = time.Second
	// MaxRedirectURLBytes bounds the redirectUrl an SSO login stores for
	// whoever asks, logged in or not.
	MaxRedirectURLBytes = 4 << 10
)

// SSO actions (MSC3824): whether the user came to log in or to register.
const (
	actionLogin    = "login"
	actionRegister = "register"
	// actionUnknown is what upstream passes on for any other value.
	actionUnknown = "unknown"
	// paramUnstableAction is MSC3824's unstable name of `action`.
	paramUnstableAction = "org.matrix.msc3824.action"
)

// Messages of the SSO pages.
const (
	codeLoginExpired = "compat_sso_login_expired"
)

// Messages of the SSO error pages.
var (
	msgMissingRedirectURL = templates.Msg("errors.sso_missing_redirect")
	msgInvalidRedirectURL = templates.Msg("errors.sso_invalid_redirect")
	msgRedirectURLTooLong = templates.Msg("errors.sso_redirect_too_long")
	msgLoginNotFound      = templates.Msg("errors.sso_login_not_found")
	msgLoginExpired       = templates.Msg("errors.sso_login_expired")
)

// ssoRedirect serves GET /_matrix/client/{version}/login/sso/redirect[/…]:
// it records the client's redirectUrl with a fresh loginToken and sends
// the browser to the page where the user approves the login.
func (h *Handler) ssoRedirect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// These pages live on the API resource, which adds no frame
	// protection of its own.
	w.Header().Set("X-Frame-Options", "DENY")
	q := r.URL.Query()
	if !q.Has("redirectUrl") {
		h.Pages.Error(w, r, http.StatusBadRequest, "", msgMissingRedirectURL)
		return
	}
	if len(q.Get("redirectUrl")) > MaxRedirectURLBytes {
		h.Pages.Error(w, r, http.StatusRequestURITooLong, "", msgRedirectURLTooLong)
		return
	}
	redirectURL, ok := parseRedirectURL(q.Get("redirectUrl"))
	if !ok {
		h.Pages.Error(w, r, http.StatusBadRequest, "", msgInvalidRedirectURL)
		return
	}
	var limited *ratelimit.LimitedError
	if err := h.Limits.CheckCompatSSO(requestctx.ClientIP(ctx)); errors.As(err, &limited) {
		h.Pages.Limited(w, r, limited)
		return
	}
	token, err := tokens.RandomAlphanumeric(h.Rand, loginTokenLength)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	login, err := h.Store.CompatSSOLogins().Add(ctx, redirectURL, token)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	var cq url.Values
	if a, ok := ssoAction(q); ok {
		// Both names, so that pages and clients reading either agree.
		cq = url.Values{"action": {a}, paramUnstableAction: {a}}
	}
	http.Redirect(w, r, h.URLs.AbsoluteWithQuery(routes.CompleteCompatSSO(login.ID.String()), cq), http.StatusSeeOther)
}

// ssoAction reads the MSC3824 action, preferring the stable name. Values
// other than login and register become "unknown", as upstream's.
func ssoAction(q url.Values) (string, bool) {
	v, ok := q["action"]
	if !ok {
		if v, ok = q[paramUnstableAction]; !ok {
			return "", false
		}
	}
	switch v[0] {
	case actionLogin, actionRegister:
		return v[0], true
	default:
		return actionUnknown, true
	}
}

// parseRedirectURL checks a client's redirectUrl: an absolute URL without
// credentials, with a host when it is http(s). Other schemes (apps'
// private-use schemes) are allowed as they are. The URL is returned in
// normal form, with the root path an http(s) URL without a path implies.
func parseRedirectURL(raw string) (string, bool) {
	if !domain.IsText(raw) {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript", "blob", "file":
		// Never a client's callback; only good for running script or
		// reading local files under a user's approval.
		return "", false
	}
	if u.User != nil {
		if _, hasPassword := u.User.Password(); u.User.Username() != "" || hasPassword {
			return "", false
		}
		u.User = nil
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		if u.Opaque != "" || u.Hostname() == "" {
			return "", false
		}
		if u.Path == "" {
			u.Path = "/"
		}
	}
	return u.String(), true
}

// withLoginToken appends the loginToken to the client's redirect URL,
// keeping its query and fragment.
func withLoginToken(redirectURL, token string) (string, error) {
	u, err := url.Parse(redirectURL)
	if err != nil {
		return "", err
	}
	param := "loginToken=" + url.QueryEscape(token)
	if u.RawQuery == "" {
		u.RawQuery = param
	} else {
		u.RawQuery += "&" + param
	}
	return u.String(), nil
}

// ssoCompletePage serves GET /complete-compat-sso/{grant_id}: the "continue
// to <client>" screen.
func (h *Handler) ssoCompletePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, cur, ok := h.ssoPrelude(w, r)
	if !ok {
		return
	}
	login, ok := h.loadPendingSSOLogin(w, r, id)
	if !ok {
		return
	}
	csrf := h.Sessions.CSRFToken(w, r)
	if !h.ssoAllowedByPolicy(w, r, cur, login, csrf) {
		return
	}
	h.Pages.Render(w, r, http.StatusOK, templates.PageCompatSSO, templates.CompatSSOPage{
		Common:       h.Pages.Common(r, csrf),
		MXID:         h.Homeserver.MXID(cur.User.Username),
		DisplayName:  h.displayName(ctx, cur.User.Username),
		RedirectHost: redirectHost(login.RedirectURI),
		FormAction:   h.URLs.RelativeWithQuery(routes.CompleteCompatSSO(id.String()), actionQuery(r)),
	})
}

// ssoCompleteSubmit serves POST /complete-compat-sso/{grant_id}: the user
// approved, so the login is fulfilled and the browser goes back to the
// client with the loginToken.
func (h *Handler) ssoCompleteSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Pages.ReadForm(w, r) {
		return
	}
	id, cur, ok := h.ssoPrelude(w, r)
	if !ok {
		return
	}
	login, ok := h.loadPendingSSOLogin(w, r, id)
	if !ok {
		return
	}
	if !h.ssoAllowedByPolicy(w, r, cur, login, "") {
		return
	}
	target, err := withLoginToken(login.RedirectURI, login.LoginToken)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	err = h.Store.CompatSSOLogins().Fulfill(ctx, login, cur.Session.ID)
	if isConflict(err) {
		h.ssoExpired(w, r)
		return
	}
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// ssoPrelude parses the login ID and finds the browser session, sending a
// browser without one to log in (or register, when the client said the
// user came to register) and back. ok is false when the request has been
// answered.
func (h *Handler) ssoPrelude(w http.ResponseWriter, r *http.Request) (domain.ID, *session.Current, bool) {
	id, err := domain.ParseID(r.PathValue(routes.ParamGrantID))
	if err != nil {
		h.Pages.Error(w, r, http.StatusNotFound, "", msgLoginNotFound)
		return domain.ZeroID, nil, false
	}
	cur, err := h.Sessions.Current(r)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return domain.ZeroID, nil, false
	}
	if cur == nil {
		next := session.PostAuthAction{Kind: session.KindContinueCompatSSOLogin, ID: id}
		target := routes.Login
		if a, _ := ssoAction(r.URL.Query()); a == actionRegister {
			target = routes.Register
		}
		http.Redirect(w, r, h.URLs.RelativeWithQuery(target, next.Query()), http.StatusSeeOther)
		return domain.ZeroID, nil, false
	}
	return id, cur, true
}

// loadPendingSSOLogin loads a login the user may still approve: pending,
// and started less than ssoLoginLifetime ago.
func (h *Handler) loadPendingSSOLogin(w http.ResponseWriter, r *http.Request, id domain.ID) (*domain.CompatSSOLogin, bool) {
	login, err := h.Store.CompatSSOLogins().Lookup(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.Pages.Error(w, r, http.StatusNotFound, "", msgLoginNotFound)
		return nil, false
	}
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return nil, false
	}
	if login.Stage() != domain.StagePending || h.Clock.Now().Sub(login.CreatedAt) > ssoLoginLifetime {
		h.ssoExpired(w, r)
		return nil, false
	}
	return login, true
}

// ssoExpired tells the user to start over from the application. Upstream
// answers it with 200, and so do we: the page is the whole answer.
func (h *Handler) ssoExpired(w http.ResponseWriter, r *http.Request) {
	h.Pages.Error(w, r, http.StatusOK, codeLoginExpired, msgLoginExpired)
}

// ssoAllowedByPolicy runs the compat_login policy for the interactive part
// of an SSO login (the soft session limit applies: the user can still end
// sessions) and shows the violation page when it refuses. csrf is the
// page's token, or "" to mint one.
func (h *Handler) ssoAllowedByPolicy(w http.ResponseWriter, r *http.Request, cur *session.Current, sso *domain.CompatSSOLogin, csrf string) bool {
	engine := h.policyEngine()
	in := policy.CompatLoginInput{
		User: policyUser(cur.User),
		// Whether a device is replaced is only known when the client
		// redeems the token with its device ID.
		SessionReplaced: false,
		Login:           policy.CompatLogin{Type: loginTypeSSO, RedirectURI: sso.RedirectURI},
		Requester:       requester(r),
	}
	if engine.CompatLoginCountsSessions() {
		var err error
		if in.SessionCounts, err = login.SessionCounts(r.Context(), h.Store, cur.User.ID); err != nil {
			h.Pages.InternalError(w, r, err)
			return false
		}
	}
	vs := engine.CompatLogin(in)
	if len(vs) == 0 {
		return true
	}
	if csrf == "" {
		csrf = h.Sessions.CSRFToken(w, r)
	}
	page := templates.CompatLoginPolicyViolationPage{
		Common: h.Pages.Common(r, csrf),
		MXID:   h.Homeserver.MXID(cur.User.Username),
	}
	for _, v := range vs {
		page.Violations = append(page.Violations, v.Msg)
		if v.Code == policy.CodeTooManySessions {
			page.TooManySessions = true
		}
	}
	h.Pages.Render(w, r, http.StatusForbidden, templates.PageCompatLoginPolicyViolation, page)
	return false
}

// displayName fetches the user's display name from the homeserver for the
// consent page; it is cosmetic, so failures and slowness only omit it.
func (h *Handler) displayName(ctx context.Context, localpart string) string {
	ctx, cancel := context.WithTimeout(ctx, displayNameTimeout)
	defer cancel()
	u, err := h.Homeserver.QueryUser(ctx, localpart)
	if err != nil {
		requestctx.Logger(ctx).WarnContext(ctx, "fetching display name for the SSO consent page", "error", err)
		return ""
	}
	return u.DisplayName
}

// actionQuery keeps the action parameters of the request, for the form to
// post back to the same URL.
func actionQuery(r *http.Request) url.Values {
	q := url.Values{}
	if a, ok := ssoAction(r.URL.Query()); ok {
		q.Set("action", a)
		q.Set(paramUnstableAction, a)
	}
	return q
}

// redirectHost is how the consent page names the client it sends the
// loginToken to: the host alone for https, which is the one case where the
// host says who gets the token. Anything else is shown whole (without query
// and fragment) so that the scheme is visible: a private-use scheme such as
// evil://app.example/ is claimed by whichever app registered it, whatever
// its "host" says, and plain http can be intercepted.
func redirectHost(redirectURL string) string {
	u, err := url.Parse(redirectURL)
	if err != nil {
		return redirectURL
	}
	if u.Scheme == "https" && u.Host != "" {
		return u.Host
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	return u.String()
}
