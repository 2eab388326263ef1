package oauth

// Helpers shared by the browser-facing pages of this package: the consent
// screen and the device pages.

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"mas/internal/domain"
	"mas/internal/login"
	"mas/internal/policy"
	"mas/internal/requestctx"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

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
	engine := h.Policy
	if engine == nil {
		engine = &policy.Engine{}
	}
	// Counting takes three queries; a nil count skips the rule, which is
	// off anyway when no session limit is configured.
	var counts *policy.SessionCounts
	if engine.AuthorizationGrantCountsSessions() {
		c, err := login.SessionCounts(ctx, h.Store, user.ID)
		if err != nil {
			return nil, err
		}
		counts = &c
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

// policyViolationPage shows why the policy refused the grant.
func (h *Handler) policyViolationPage(w http.ResponseWriter, r *http.Request, cur *session.Current, client *domain.Client, redirectURI string, vs []policy.Violation) {
	page := templates.PolicyViolationPage{
		Common: h.Pages.CommonWithCSRF(w, r),
		Client: clientInfo(client, redirectURI),
		MXID:   h.mxid(cur.User),
	}
	for _, v := range vs {
		page.Violations = append(page.Violations, v.Msg)
		if v.Code == policy.CodeTooManySessions {
			page.TooManySessions = true
		}
	}
	h.Pages.Render(w, r, http.StatusForbidden, templates.PagePolicyViolation, page)
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
