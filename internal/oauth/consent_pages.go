package oauth

// Helpers shared by the browser-facing pages of this package: the consent
// screen, the device pages and the authorization endpoint's HTML errors.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"mas/internal/domain"
	"mas/internal/policy"
	"mas/internal/requestctx"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// msgStaleForm is shown when a form fails its CSRF check: typically a page
// left open past the token's lifetime.
const msgStaleForm = "The form has expired or did not come from this site. Go back, reload the page and try again."

// pageCommon fills the layout data of a page; csrf is the form token or "".
func (h *Handler) pageCommon(csrf string) templates.Common {
	c := templates.NewCommon(h.URLs, h.Settings.ServiceName)
	c.CSRFToken = csrf
	return c
}

// renderPage writes a page that is specific to this browser (it carries a
// CSRF token or an authorization response), hence never cached.
func (h *Handler) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	w.Header().Set("Cache-Control", "no-store")
	if err := h.Templates.Respond(w, status, name, data); err != nil {
		requestctx.Logger(r.Context()).Error("rendering page", "page", name, "error", err)
		http.Error(w, "internal server error", http.StatusInternalServerError)
	}
}

// htmlError shows the error page: for failures that must not, or cannot,
// go back to the client (unknown client, unregistered redirect URI, a
// grant that is gone).
func (h *Handler) htmlError(w http.ResponseWriter, r *http.Request, status int, code, description string) {
	h.renderPage(w, r, status, templates.PageError, templates.ErrorPage{
		Common:      h.pageCommon(""),
		Code:        code,
		Description: description,
	})
}

// internalError logs err and shows the generic error page.
func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	requestctx.Logger(r.Context()).Error("request failed", "error", err)
	h.htmlError(w, r, http.StatusInternalServerError, ErrServerError, "Something went wrong on our side. Please try again later.")
}

// seeOther redirects within the service with 303, so that a POST is never
// replayed (RFC 9700 §4.12).
func (h *Handler) seeOther(w http.ResponseWriter, r *http.Request, location string) {
	http.Redirect(w, r, location, http.StatusSeeOther)
}

// parsePageForm reads a small form POSTed by one of our pages and checks
// its CSRF token, answering the request itself when either fails.
func (h *Handler) parsePageForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.htmlError(w, r, http.StatusBadRequest, "", "The form could not be read.")
		return false
	}
	if !h.Sessions.CheckCSRF(r) {
		h.htmlError(w, r, http.StatusForbidden, "", msgStaleForm)
		return false
	}
	return true
}

// pathID parses a ULID path segment.
func pathID(r *http.Request, name string) (domain.ID, bool) {
	id, err := domain.ParseID(r.PathValue(name))
	return id, err == nil
}

// clientInfo is what the pages show about c. Only http(s) URLs are passed
// on: html/template would neutralise the others anyway, but a broken
// image is worse than none.
func clientInfo(c *domain.Client, redirectURI string) templates.ClientInfo {
	info := templates.ClientInfo{
		Name:      c.ClientName,
		LogoURI:   webURL(c.LogoURI),
		ClientURI: webURL(c.ClientURI),
		PolicyURI: webURL(c.PolicyURI),
		TOSURI:    webURL(c.TOSURI),
	}
	if u, err := url.Parse(redirectURI); err == nil && redirectURI != "" {
		info.RedirectHost = u.Host
		if u.Host == "" {
			info.RedirectHost = u.Scheme + ":" // a native app's private-use scheme
		}
	}
	return info
}

func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return s
}

// grantPolicy runs the authorization_grant policy for a user about to
// give client the scope, counting the user's sessions for the session
// limit.
func (h *Handler) grantPolicy(ctx context.Context, r *http.Request, user *domain.User, client *domain.Client, scope []string, grantType string) ([]policy.Violation, error) {
	counts, err := h.sessionCounts(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	engine := h.Policy
	if engine == nil {
		engine = &policy.Engine{}
	}
	ua := requestctx.UserAgent(ctx)
	if ua == "" {
		ua = r.UserAgent()
	}
	return engine.AuthorizationGrant(policy.AuthorizationGrantInput{
		User:          &policy.User{ID: user.ID.String(), Username: user.Username, CanRequestAdmin: user.CanRequestAdmin},
		Client:        policy.Client{ID: client.ID.String()},
		Scope:         joinScope(scope),
		GrantType:     grantType,
		SessionCounts: counts,
		Requester:     policy.Requester{IPAddress: requestctx.ClientIP(ctx), UserAgent: ua},
	}), nil
}

// sessionCounts counts the user's active sessions of every kind, for the
// session limit.
func (h *Handler) sessionCounts(ctx context.Context, userID domain.ID) (*policy.SessionCounts, error) {
	oauth2, err := h.Store.Sessions().CountActiveForUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("counting OAuth 2.0 sessions: %w", err)
	}
	compat, err := h.Store.CompatSessions().CountActiveForUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("counting compat sessions: %w", err)
	}
	personal, err := h.Store.PersonalSessions().ListActiveForActor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("listing personal sessions: %w", err)
	}
	c := &policy.SessionCounts{OAuth2: int64(oauth2), Compat: int64(compat), Personal: int64(len(personal))}
	c.Total = c.OAuth2 + c.Compat + c.Personal
	return c, nil
}

// policyViolationPage shows why the policy refused the grant.
func (h *Handler) policyViolationPage(w http.ResponseWriter, r *http.Request, cur *session.Current, client *domain.Client, redirectURI string, vs []policy.Violation) {
	page := templates.PolicyViolationPage{
		Common: h.pageCommon(h.Sessions.CSRFToken(w, r)),
		Client: clientInfo(client, redirectURI),
		MXID:   h.mxid(cur.User),
	}
	for _, v := range vs {
		page.Violations = append(page.Violations, v.Msg)
		if v.Code == policy.CodeTooManySessions {
			page.TooManySessions = true
		}
	}
	h.renderPage(w, r, http.StatusForbidden, templates.PagePolicyViolation, page)
}

// mxid is the user's Matrix ID.
func (h *Handler) mxid(u *domain.User) string {
	if h.Homeserver == nil {
		return u.Username
	}
	return h.Homeserver.MXID(u.Username)
}

// lostTransition reports a state transition lost to another request (or a
// grant in the wrong state to begin with).
func lostTransition(err error) bool {
	return errors.Is(err, domain.ErrInvalidTransition) || errors.Is(err, store.ErrConflict)
}
