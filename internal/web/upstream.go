package web

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/ratelimit"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
	"mas/internal/upstream/claims"
	"mas/internal/upstream/oidc"
	"mas/internal/upstream/registry"
)

// Logging in with an upstream provider (upstream_oauth2), in three steps
// as upstream does: /upstream/authorize/{id} stores an attempt and sends
// the browser to the provider; /upstream/callback/{id} checks what the
// provider sent back, finds or makes the link for the subject and
// completes the attempt; /upstream/link/{link_id} (upstream_link.go) logs
// in, links or registers. Every attempt is owned by the browser that
// started it (the upstream-oauth2-sessions cookie lists them), and each
// step moves it forward once: a replayed callback or a second use of a
// completed attempt is refused.

const (
	// upstreamCookie is upstream's cookie name for the attempts.
	upstreamCookie = "upstream-oauth2-sessions"
	// upstreamAttemptLifetime bounds how long an attempt can be completed
	// and used; the housekeeping job deletes pending ones after an hour.
	upstreamAttemptLifetime = time.Hour
	// resubmitField marks a form_post callback we posted again to
	// ourselves (see upstreamCallback).
	resubmitField = "mas_resubmit"
	// maxCallbackBytes bounds a form_post callback body.
	maxCallbackBytes = 64 << 10
)

func (h *Handler) upstreamFlows() session.FlowCookie {
	return h.Sessions.FlowCookie(upstreamCookie, upstreamAttemptLifetime)
}

func (h *Handler) mountUpstream(mux *http.ServeMux) {
	mux.HandleFunc("GET "+routes.UpstreamAuthorizePattern, h.upstreamAuthorize)
	mux.HandleFunc("GET "+routes.UpstreamCallbackPattern, h.upstreamCallback)
	mux.HandleFunc("POST "+routes.UpstreamCallbackPattern, h.upstreamCallback)
	mux.HandleFunc("GET "+routes.UpstreamLinkPattern, h.upstreamLinkPage)
	mux.HandleFunc("POST "+routes.UpstreamLinkPattern, h.upstreamLinkSubmit)
	mux.HandleFunc("POST "+routes.UpstreamBackchannelLogoutPattern, h.upstreamBackchannelLogout)
}

// upstreamProblem is a login with a provider that cannot go on.
type upstreamProblem struct {
	status int
	text   templates.Message
	// provider, when known, names it in the title and offers to start
	// again there with next.
	provider *registry.Provider
	next     *session.PostAuthAction
}

func (h *Handler) renderUpstreamProblem(w http.ResponseWriter, r *http.Request, p upstreamProblem) {
	page := templates.UpstreamProblemPage{
		Common:    h.Pages.Common(r, ""),
		Title:     templates.Msg("upstream.problem.title_generic"),
		Text:      p.text,
		LoginLink: h.URLs.RelativeWithQuery(routes.Login, p.next.Query()),
	}
	if p.provider != nil {
		page.Title = templates.Msg("upstream.problem.title", "provider", providerName(p.provider.Row))
		page.RetryLink = h.URLs.RelativeWithQuery(routes.UpstreamAuthorize(p.provider.ID.String()), p.next.Query())
	}
	w.Header().Set("Cache-Control", "no-store")
	h.Pages.Render(w, r, p.status, templates.PageUpstreamProblem, page)
}

// pathProvider returns the enabled provider the path names, or answers
// with a not-found page.
func (h *Handler) pathProvider(w http.ResponseWriter, r *http.Request) *registry.Provider {
	id, err := domain.ParseID(r.PathValue(routes.ParamProviderID))
	var p *registry.Provider
	if err == nil {
		p, _ = h.Upstream.Lookup(id)
	}
	if p == nil {
		ctx := r.Context()
		if err != nil {
			requestctx.Logger(ctx).InfoContext(ctx, "upstream login: the path's provider ID is malformed")
		} else {
			requestctx.Logger(ctx).InfoContext(ctx, "upstream login: no enabled provider has this ID", "provider_id", id.String())
		}
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusNotFound, text: templates.Msg("upstream.error.unknown_provider")})
		return nil
	}
	return p
}

// upstreamAuthorize serves GET /upstream/authorize/{provider_id}: it
// stores a new attempt (state, nonce, PKCE verifier, where to go after)
// and sends the browser to the provider.
func (h *Handler) upstreamAuthorize(w http.ResponseWriter, r *http.Request) {
	p := h.pathProvider(w, r)
	if p == nil {
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	next := session.ParsePostAuthAction(q)
	if h.Limits != nil {
		if err := h.Limits.CheckUpstreamAuthorization(requestctx.ClientIP(ctx)); err != nil {
			var limited *ratelimit.LimitedError
			if errors.As(err, &limited) {
				h.Pages.Limited(w, r, limited)
				return
			}
			h.Pages.InternalError(w, r, err)
			return
		}
	}

	// The templates of additional_authorization_parameters see the
	// downstream authorization request's parameters and login_hint.
	params := h.downstreamParams(r, next)
	if hint := q.Get("login_hint"); hint != "" {
		params["login_hint"] = hint
	}
	cur, err := h.Sessions.Current(r)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	extra, err := p.Params.Render(params, cur == nil && h.Sessions.HasCookie(r))
	if err != nil {
		requestctx.Logger(ctx).ErrorContext(ctx, "upstream login: rendering additional_authorization_parameters", "provider_id", p.ID.String(), "error", err)
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusInternalServerError, text: h.providerMsg("upstream.error.misconfigured", p), next: next})
		return
	}
	redirectURI := h.URLs.Absolute(routes.UpstreamCallback(p.ID.String()))
	target, os, err := p.Client.AuthorizationURL(ctx, redirectURI, extra)
	if err != nil {
		h.upstreamFailure(w, r, p, next, "building the authorization request", err)
		return
	}
	attempt := &domain.UpstreamAuthSession{
		ProviderID:     p.ID,
		State:          os.State,
		CodeVerifier:   os.CodeVerifier,
		Nonce:          os.Nonce,
		PostAuthAction: next.JSON(),
	}
	if err := h.Store.UpstreamSessions().Add(ctx, attempt); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if err := h.upstreamFlows().Add(w, r, attempt.ID); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// downstreamParams are the `params` of the authorization parameter
// templates: the query of the client's authorization request this login
// continues, if any (first value of each parameter).
func (h *Handler) downstreamParams(r *http.Request, next *session.PostAuthAction) map[string]string {
	if next == nil || next.Kind != session.KindContinueAuthorizationGrant {
		return map[string]string{}
	}
	g, err := h.Store.AuthorizationGrants().Lookup(r.Context(), next.ID)
	if err != nil {
		return map[string]string{}
	}
	q, err := url.ParseQuery(g.RawParameters)
	if err != nil {
		return map[string]string{}
	}
	return claims.QueryParams(q)
}

// providerMsg is a message that names the provider.
func (h *Handler) providerMsg(key string, p *registry.Provider) templates.Message {
	return templates.Msg(key, "provider", providerName(p.Row))
}

// upstreamFailure explains a failure talking to the provider: the page
// says what kind of failure it was, the log says exactly what failed.
func (h *Handler) upstreamFailure(w http.ResponseWriter, r *http.Request, p *registry.Provider, next *session.PostAuthAction, step string, err error) {
	ctx := r.Context()
	kind := oidc.KindOf(err)
	status, key := http.StatusBadGateway, "upstream.error.misconfigured"
	switch kind {
	case oidc.KindUnreachable:
		key = "upstream.error.unreachable"
	case oidc.KindAuthorizationDenied:
		status, key = http.StatusForbidden, "upstream.error.denied"
	case oidc.KindBadSignature, oidc.KindWrongIssuer, oidc.KindWrongAudience, oidc.KindExpired,
		oidc.KindWrongNonce, oidc.KindMissingClaim, oidc.KindInvalidClaim, oidc.KindSubjectMismatch:
		status, key = http.StatusBadRequest, "upstream.error.untrusted_answer"
	}
	level := "upstream login failed"
	if kind == oidc.KindAuthorizationDenied {
		requestctx.Logger(ctx).InfoContext(ctx, level, "provider_id", p.ID.String(), "step", step, "kind", kind.String(), "error", err)
	} else {
		requestctx.Logger(ctx).WarnContext(ctx, level, "provider_id", p.ID.String(), "step", step, "kind", kind.String(), "error", err)
	}
	h.renderUpstreamProblem(w, r, upstreamProblem{status: status, text: h.providerMsg(key, p), provider: p, next: next})
}

// upstreamCallback serves GET and POST /upstream/callback/{provider_id}:
// the provider's answer, in the query or (response_mode form_post) in a
// form body.
func (h *Handler) upstreamCallback(w http.ResponseWriter, r *http.Request) {
	p := h.pathProvider(w, r)
	if p == nil {
		return
	}
	ctx := r.Context()
	w.Header().Set("Cache-Control", "no-store")
	values := r.URL.Query()
	if r.Method == http.MethodPost {
		// The provider's page posts this form, so there is no CSRF
		// token; the state, bound to this browser's cookie, plays its
		// part.
		r.Body = http.MaxBytesReader(w, r.Body, maxCallbackBytes)
		if err := r.ParseForm(); err != nil {
			requestctx.Logger(ctx).WarnContext(ctx, "upstream login: the form_post callback body is unreadable or too large", "provider_id", p.ID.String(), "error", err)
			h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusBadRequest, text: h.providerMsg("upstream.error.misconfigured", p), provider: p})
			return
		}
		values = r.PostForm
	}
	resubmitted := values.Has(resubmitField)
	values.Del(resubmitField)
	cb, cbErr := p.Client.ParseCallback(values)

	attempt := h.findAttempt(r, func(a *domain.UpstreamAuthSession) bool {
		return a.ProviderID == p.ID && cb.State != "" && subtle.ConstantTimeCompare([]byte(a.State), []byte(cb.State)) == 1
	})
	if attempt == nil {
		if r.Method == http.MethodPost && !resubmitted {
			// A form posted from the provider's site is a cross-site
			// request, which does not carry our SameSite=Lax cookies.
			// Posting it again from our own page does.
			h.resubmitCallback(w, r, p, values)
			return
		}
		requestctx.Logger(ctx).InfoContext(ctx, "upstream callback for an attempt this browser did not start, or that expired",
			"provider_id", p.ID.String())
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusBadRequest, text: templates.Msg("upstream.error.session_unknown"), provider: p})
		return
	}
	next := session.ParsePostAuthActionJSON(attempt.PostAuthAction)
	if attempt.Stage() != domain.StagePending {
		requestctx.Logger(ctx).WarnContext(ctx, "upstream callback replayed for an attempt already completed",
			"provider_id", p.ID.String(), "upstream_session_id", attempt.ID.String())
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusBadRequest, text: templates.Msg("upstream.error.already_used"), provider: p, next: next})
		return
	}
	if !h.Clock.Now().Before(attempt.CreatedAt.Add(upstreamAttemptLifetime)) {
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusBadRequest, text: templates.Msg("upstream.error.session_unknown"), provider: p, next: next})
		return
	}
	if cbErr != nil {
		h.upstreamFailure(w, r, p, next, "reading the callback", cbErr)
		return
	}

	res, err := p.Client.Exchange(ctx, oidc.Session{
		State: attempt.State, Nonce: attempt.Nonce, CodeVerifier: attempt.CodeVerifier,
		RedirectURI: h.URLs.Absolute(routes.UpstreamCallback(p.ID.String())),
	}, cb.Code)
	if err != nil {
		h.upstreamFailure(w, r, p, next, "exchanging the code", err)
		return
	}
	extra := make(map[string]any, len(cb.Params))
	for k, v := range cb.Params {
		extra[k] = v
	}
	c := claims.Claims{IDToken: res.IDTokenClaims, Userinfo: res.Userinfo, ExtraCallbackParameters: extra}
	mapped, err := p.Mapper.EvaluateClaims(c)
	if err != nil {
		requestctx.Logger(ctx).WarnContext(ctx, "upstream login: a required claim import failed", "provider_id", p.ID.String(), "error", err)
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusBadRequest, text: h.providerMsg("upstream.error.missing_details", p), provider: p, next: next})
		return
	}
	for _, warning := range mapped.Warnings {
		requestctx.Logger(ctx).WarnContext(ctx, "upstream login: an optional claim import failed", "provider_id", p.ID.String(), "error", warning)
	}

	attempt.IDToken = res.IDToken
	attempt.IDTokenClaims = jsonOrEmpty(res.IDTokenClaims)
	attempt.Userinfo = jsonOrEmpty(res.Userinfo)
	attempt.ExtraCallbackParams = jsonOrEmpty(extra)
	var link *domain.UpstreamLink
	err = store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		l, err := tx.UpstreamLinks().FindBySubject(ctx, p.ID, mapped.Subject)
		if errors.Is(err, store.ErrNotFound) {
			l, err = tx.UpstreamLinks().Add(ctx, p.ID, mapped.Subject, nil, mapped.AccountName)
		}
		if err != nil {
			return err
		}
		link = l
		attempt.LinkID = &l.ID
		return tx.UpstreamSessions().Complete(ctx, attempt)
	})
	switch {
	case errors.Is(err, store.ErrConflict), errors.Is(err, domain.ErrInvalidTransition):
		// Two callbacks raced: the other one completed the attempt.
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusBadRequest, text: templates.Msg("upstream.error.already_used"), provider: p, next: next})
		return
	case err != nil:
		h.Pages.InternalError(w, r, err)
		return
	}
	pages.SeeOther(w, r, h.URLs.Relative(routes.UpstreamLink(link.ID.String())))
}

// resubmitCallback answers a cross-site form_post callback with a page
// that posts the same fields to the same URL from our own origin.
func (h *Handler) resubmitCallback(w http.ResponseWriter, r *http.Request, p *registry.Provider, values url.Values) {
	page := templates.FormPostPage{
		Common: h.Pages.Common(r, ""),
		// Our own callback URL, built from the configured public base.
		Action:     template.URL(h.URLs.Absolute(routes.UpstreamCallback(p.ID.String()))), //nolint:gosec // not user input
		ClientName: providerName(p.Row),
	}
	for k, vs := range values {
		for _, v := range vs {
			page.Fields = append(page.Fields, templates.FormPostField{Name: k, Value: v})
		}
	}
	page.Fields = append(page.Fields, templates.FormPostField{Name: resubmitField, Value: "1"})
	w.Header().Set("Content-Security-Policy", page.ContentSecurityPolicy())
	h.Pages.Render(w, r, http.StatusOK, templates.PageFormPost, page)
}

// findAttempt returns the newest attempt this browser started that match
// accepts, or nil.
func (h *Handler) findAttempt(r *http.Request, match func(*domain.UpstreamAuthSession) bool) *domain.UpstreamAuthSession {
	ids := h.upstreamFlows().IDs(r)
	for i := len(ids) - 1; i >= 0; i-- {
		a, err := h.Store.UpstreamSessions().Lookup(r.Context(), ids[i])
		if err != nil {
			continue
		}
		if match(a) {
			return a
		}
	}
	return nil
}

// jsonOrEmpty encodes claims for the store; "" (NULL) for none.
func jsonOrEmpty(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(b)
}

// decodeClaims is the reverse of jsonOrEmpty; nil for none.
func decodeClaims(s string) map[string]any {
	if s == "" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}
