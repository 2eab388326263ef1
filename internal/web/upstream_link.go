package web

import (
	"errors"
	"net/http"
	"strings"

	"mas/internal/domain"
	"mas/internal/homeserver"
	"mas/internal/pages"
	"mas/internal/policy"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
	"mas/internal/upstream/claims"
	"mas/internal/upstream/registry"
)

// The last step of an upstream login, /upstream/link/{link_id}. With the
// attempt completed by the callback, the link for the provider's subject
// decides:
//
//	link has a user, browser signed in as that user  → authenticate again
//	link has a user, browser signed in as another    → link_mismatch page
//	link has a user, browser signed out              → sign in as the user
//	no user yet, browser signed in                   → suggest_link page
//	no user yet, browser signed out                  → claims_imports: a
//	    localpart conflict may link to its holder (on_conflict), or the
//	    do_register page (skipped with skip_confirmation) starts a
//	    registration that the registration steps finish (token, email
//	    code) before the account is created and linked.
//
// Whatever happens, the attempt is consumed at most once and nothing is
// linked or created when a check fails.

// errHolderLinked: on_conflict set found the holder linked to the
// provider when it came to writing.
var errHolderLinked = errors.New("the holder of the localpart is already linked to the provider")

// linkStep is what the link page works with.
type linkStep struct {
	attempt  *domain.UpstreamAuthSession
	link     *domain.UpstreamLink
	provider *registry.Provider
	next     *session.PostAuthAction
	cur      *session.Current
}

// loadLinkStep loads the link the path names, this browser's completed
// attempt for it and the signed-in user, if any. When the step cannot go
// on it answers the request itself and returns nil.
func (h *Handler) loadLinkStep(w http.ResponseWriter, r *http.Request) *linkStep {
	ctx := r.Context()
	unknown := func(why string, args ...any) {
		requestctx.Logger(ctx).InfoContext(ctx, "upstream link step refused: "+why, args...)
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusBadRequest, text: templates.Msg("upstream.error.session_unknown")})
	}
	linkID, err := domain.ParseID(r.PathValue(routes.ParamLinkID))
	if err != nil {
		unknown("malformed link ID")
		return nil
	}
	link, err := h.Store.UpstreamLinks().Lookup(ctx, linkID)
	if errors.Is(err, store.ErrNotFound) {
		unknown("no such link", "link_id", linkID.String())
		return nil
	}
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return nil
	}
	attempt := h.findAttempt(r, func(a *domain.UpstreamAuthSession) bool {
		return a.LinkID != nil && *a.LinkID == link.ID && a.CompletedAt != nil
	})
	if attempt == nil {
		unknown("no login completed in this browser leads to the link", "provider_id", link.ProviderID.String(), "link_id", link.ID.String())
		return nil
	}
	next := session.ParsePostAuthActionJSON(attempt.PostAuthAction)
	cur, err := h.Sessions.Current(r)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return nil
	}
	p, _ := h.Upstream.Lookup(link.ProviderID)
	if attempt.ConsumedAt != nil {
		// The back button after signing in: go on as then.
		if cur != nil && attempt.BrowserSessionID != nil && *attempt.BrowserSessionID == cur.Session.ID {
			pages.SeeOther(w, r, h.URLs.Relative(next.Target()))
			return nil
		}
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusBadRequest, text: templates.Msg("upstream.error.already_used"), provider: p, next: next})
		return nil
	}
	if !h.Clock.Now().Before(attempt.CreatedAt.Add(upstreamAttemptLifetime)) {
		unknown("the login expired", "provider_id", link.ProviderID.String(), "upstream_session_id", attempt.ID.String())
		return nil
	}
	if p == nil {
		// Disabled since the callback.
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusNotFound, text: templates.Msg("upstream.error.unknown_provider"), next: next})
		return nil
	}
	return &linkStep{attempt: attempt, link: link, provider: p, next: next, cur: cur}
}

// upstreamLinkPage serves GET /upstream/link/{link_id}.
func (h *Handler) upstreamLinkPage(w http.ResponseWriter, r *http.Request) {
	st := h.loadLinkStep(w, r)
	if st == nil {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case st.link.UserID != nil && st.cur != nil && st.cur.User.ID == *st.link.UserID:
		h.signInLinked(w, r, st, *st.link.UserID, nil)
	case st.link.UserID != nil && st.cur != nil:
		h.renderLinkMismatch(w, r, st)
	case st.link.UserID != nil:
		h.signInLinked(w, r, st, *st.link.UserID, nil)
	case st.cur != nil:
		h.renderSuggestLink(w, r, st)
	default:
		h.registerOrLinkByLocalpart(w, r, st)
	}
}

// upstreamLinkSubmit serves POST /upstream/link/{link_id}: the buttons of
// the link pages (action=link, switch or register).
func (h *Handler) upstreamLinkSubmit(w http.ResponseWriter, r *http.Request) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	st := h.loadLinkStep(w, r)
	if st == nil {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	// Each action applies only in its situation; anything else (a stale
	// page, another tab) shows the page for the situation as it is now.
	switch action := r.PostForm.Get("action"); {
	case action == "link" && st.link.UserID == nil && st.cur != nil:
		user := st.cur.User
		h.signInLinked(w, r, st, user.ID, func(tx store.Tx) error {
			return tx.UpstreamLinks().Associate(r.Context(), st.link, user.ID)
		})
	case action == "switch" && st.link.UserID != nil && st.cur != nil && st.cur.User.ID != *st.link.UserID:
		if err := h.Sessions.End(w, r); err != nil {
			h.Pages.InternalError(w, r, err)
			return
		}
		st.cur = nil
		h.signInLinked(w, r, st, *st.link.UserID, nil)
	case action == "register" && st.link.UserID == nil && st.cur == nil:
		mapped, ok := h.evaluateAttempt(w, r, st)
		if !ok {
			return
		}
		h.upstreamRegister(w, r, st, mapped, upstreamRegistrationForm{
			username:          strings.TrimSpace(r.PostForm.Get("username")),
			importDisplayName: r.PostForm.Get("import_display_name") == "on",
			importEmail:       r.PostForm.Get("import_email") == "on",
			terms:             r.PostForm.Get("accept_terms") == "on",
		})
	default:
		pages.SeeOther(w, r, h.URLs.Relative(routes.UpstreamLink(st.link.ID.String())))
	}
}

// signInLinked authenticates the browser as userID with the attempt: the
// current browser session when it is that user's, a new one otherwise.
// before runs first in the same transaction (linking, typically). The
// attempt is consumed, and the browser goes on where it was heading.
func (h *Handler) signInLinked(w http.ResponseWriter, r *http.Request, st *linkStep, userID domain.ID, before func(tx store.Tx) error) {
	ctx := r.Context()
	user, err := h.Store.Users().Lookup(ctx, userID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if !h.usableAccount(w, r, user) {
		return
	}
	var bs *domain.BrowserSession
	err = store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if before != nil {
			if err := before(tx); err != nil {
				return err
			}
		}
		if st.cur != nil && st.cur.User.ID == user.ID {
			bs = st.cur.Session
		} else if bs, err = h.Sessions.Create(ctx, tx, r, user, nil); err != nil {
			return err
		}
		if _, err := tx.BrowserSessions().Authenticate(ctx, bs.ID, nil, &st.attempt.ID); err != nil {
			return err
		}
		return tx.UpstreamSessions().Consume(ctx, st.attempt, bs.ID)
	})
	switch {
	case errors.Is(err, errHolderLinked):
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusConflict, provider: st.provider, next: st.next,
			text: templates.Msg("upstream.error.username_taken", "provider", providerName(st.provider.Row), "username", user.Username)})
		return
	case errors.Is(err, store.ErrConflict), errors.Is(err, domain.ErrInvalidTransition):
		// Another tab used the attempt, or linked the account, meanwhile.
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusConflict, text: templates.Msg("upstream.error.already_used"), provider: st.provider, next: st.next})
		return
	case err != nil:
		h.Pages.InternalError(w, r, err)
		return
	}
	if st.cur == nil || st.cur.Session.ID != bs.ID {
		if err := h.Sessions.SetCookie(w, bs); err != nil {
			h.Pages.InternalError(w, r, err)
			return
		}
	}
	requestctx.Logger(ctx).InfoContext(ctx, "signed in with an upstream provider",
		"provider_id", st.provider.ID.String(), "user_id", user.ID.String(), "upstream_session_id", st.attempt.ID.String())
	pages.SeeOther(w, r, h.URLs.Relative(st.next.Target()))
}

// usableAccount answers for a locked or deactivated account, as the
// password login does, and reports whether the account may sign in.
func (h *Handler) usableAccount(w http.ResponseWriter, r *http.Request, user *domain.User) bool {
	switch {
	case user.DeactivatedAt != nil:
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusForbidden, text: templates.Msg("upstream.error.account_deactivated")})
		return false
	case user.LockedAt != nil:
		h.renderLocked(w, r, user.Username)
		return false
	}
	return true
}

// providerView is how the link pages name the provider and the account.
func providerView(p *registry.Provider, link *domain.UpstreamLink) templates.UpstreamProvider {
	return templates.UpstreamProvider{
		Name:        providerName(p.Row),
		Brand:       templates.ProviderBrand(p.Row.BrandName),
		AccountName: link.HumanAccountName,
	}
}

func (h *Handler) cancelLink(st *linkStep) string {
	if st.next != nil {
		return h.URLs.Relative(st.next.Target())
	}
	return h.URLs.Relative(routes.Account)
}

func (h *Handler) renderSuggestLink(w http.ResponseWriter, r *http.Request, st *linkStep) {
	h.Pages.Render(w, r, http.StatusOK, templates.PageUpstreamSuggestLink, templates.UpstreamSuggestLinkPage{
		Common:     h.Pages.CommonWithCSRF(w, r),
		FormAction: h.URLs.Relative(routes.UpstreamLink(st.link.ID.String())),
		Provider:   providerView(st.provider, st.link),
		MXID:       homeserver.MXID(st.cur.User.Username, h.Login.ServerName),
		CancelLink: h.cancelLink(st),
	})
}

func (h *Handler) renderLinkMismatch(w http.ResponseWriter, r *http.Request, st *linkStep) {
	linked, err := h.Store.Users().Lookup(r.Context(), *st.link.UserID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	h.Pages.Render(w, r, http.StatusConflict, templates.PageUpstreamLinkMismatch, templates.UpstreamLinkMismatchPage{
		Common:      h.Pages.CommonWithCSRF(w, r),
		FormAction:  h.URLs.Relative(routes.UpstreamLink(st.link.ID.String())),
		Provider:    providerView(st.provider, st.link),
		CurrentMXID: homeserver.MXID(st.cur.User.Username, h.Login.ServerName),
		LinkedMXID:  homeserver.MXID(linked.Username, h.Login.ServerName),
		CancelLink:  h.cancelLink(st),
	})
}

// evaluateAttempt renders the provider's claims_imports over what the
// callback stored. A failure (a required import without value) answers
// the request.
func (h *Handler) evaluateAttempt(w http.ResponseWriter, r *http.Request, st *linkStep) (*claims.Result, bool) {
	ctx := r.Context()
	res, err := st.provider.Mapper.EvaluateClaims(claims.Claims{
		IDToken:                 decodeClaims(st.attempt.IDTokenClaims),
		Userinfo:                decodeClaims(st.attempt.Userinfo),
		ExtraCallbackParameters: decodeClaims(st.attempt.ExtraCallbackParams),
	})
	if err != nil {
		requestctx.Logger(ctx).WarnContext(ctx, "upstream login: a required claim import failed", "provider_id", st.provider.ID.String(), "error", err)
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusBadRequest, text: h.providerMsg("upstream.error.missing_details", st.provider), provider: st.provider, next: st.next})
		return nil, false
	}
	for _, warning := range res.Warnings {
		requestctx.Logger(ctx).WarnContext(ctx, "upstream login: an optional claim import failed", "provider_id", st.provider.ID.String(), "error", warning)
	}
	return res, true
}

// checkLocalpart finds out what claims.Resolve needs about a localpart:
// whether a user holds it (returned) and is linked to the provider, or
// else whether the policy or the homeserver refuse it.
func (h *Handler) checkLocalpart(r *http.Request, p *registry.Provider, localpart string) (claims.LocalpartCheck, *domain.User, error) {
	ctx := r.Context()
	var c claims.LocalpartCheck
	holder, err := h.Store.Users().FindByUsername(ctx, localpart)
	switch {
	case err == nil:
		c.Taken = true
		links, err := h.Store.UpstreamLinks().ListForUser(ctx, holder.ID)
		if err != nil {
			return c, nil, err
		}
		for _, l := range links {
			if l.ProviderID == p.ID {
				c.HolderLinked = true
			}
		}
		return c, holder, nil
	case !errors.Is(err, store.ErrNotFound):
		return c, nil, err
	}
	if len(h.upstreamUsernameViolations(r, localpart)) > 0 {
		c.Unavailable = true
		return c, nil, nil
	}
	available, err := h.Homeserver.IsLocalpartAvailable(ctx, localpart)
	if err != nil {
		requestctx.Logger(ctx).WarnContext(ctx, "asking the homeserver whether a username is free", "error", err)
		return c, nil, errHomeserverUnavailable
	}
	c.Unavailable = !available
	return c, nil, nil
}

// upstreamUsernameViolations are the register policy's objections to a
// username, for a registration through a provider.
func (h *Handler) upstreamUsernameViolations(r *http.Request, username string) []policy.Violation {
	var out []policy.Violation
	for _, v := range h.registrationPolicy().Register(policy.RegisterInput{
		RegistrationMethod: policy.RegistrationMethodUpstreamOAuth2, Username: username, Requester: requester(r),
	}) {
		if v.Field == "username" || v.Field == "" {
			out = append(out, v)
		}
	}
	return out
}

// registerOrLinkByLocalpart handles an upstream account that is not linked
// and a browser that is signed out: the imported localpart may link to its
// holder (on_conflict add, replace, set), be refused, or start the
// registration.
func (h *Handler) registerOrLinkByLocalpart(w http.ResponseWriter, r *http.Request, st *linkStep) {
	ctx := r.Context()
	mapped, ok := h.evaluateAttempt(w, r, st)
	if !ok {
		return
	}
	lp := mapped.Localpart
	var check claims.LocalpartCheck
	var holder *domain.User
	if lp.Present() && lp.Action != claims.ActionIgnore {
		var err error
		check, holder, err = h.checkLocalpart(r, st.provider, lp.Value)
		switch {
		case errors.Is(err, errHomeserverUnavailable):
			h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusServiceUnavailable, text: templates.Msg("upstream.error.homeserver_unavailable"), provider: st.provider, next: st.next})
			return
		case err != nil:
			h.Pages.InternalError(w, r, err)
			return
		}
	}
	resolution := lp.Resolve(check)
	log := requestctx.Logger(ctx).With("provider_id", st.provider.ID.String(), "localpart", lp.Value, "resolution", resolution.String())
	switch resolution {
	case claims.ResolveRefuse:
		key := "upstream.error.username_invalid"
		if check.Taken {
			key = "upstream.error.username_taken"
		}
		log.InfoContext(ctx, "upstream login: the imported localpart cannot be used", "taken", check.Taken, "holder_linked", check.HolderLinked)
		h.renderUpstreamProblem(w, r, upstreamProblem{status: http.StatusConflict, provider: st.provider, next: st.next,
			text: templates.Msg(key, "provider", providerName(st.provider.Row), "username", lp.Value)})
	case claims.ResolveLink, claims.ResolveReplace:
		log.InfoContext(ctx, "upstream login: linking to the holder of the imported localpart", "holder_id", holder.ID.String())
		h.signInLinked(w, r, st, holder.ID, func(tx store.Tx) error {
			return h.linkToHolder(r, tx, st, holder, lp.OnConflict, resolution)
		})
	default:
		f := upstreamRegistrationForm{importDisplayName: true, importEmail: true}
		if resolution == claims.ResolveRegister {
			f.username = lp.Value
		}
		if mapped.SkipConfirmation && resolution == claims.ResolveRegister && lp.Forced() {
			f.terms = true // the operator chose to skip every question
			h.upstreamRegister(w, r, st, mapped, f)
			return
		}
		h.renderUpstreamRegister(w, r, http.StatusOK, st, mapped, resolution == claims.ResolveRegister, f, templates.UpstreamRegisterPage{})
	}
}

// linkToHolder links the upstream account to the holder of the localpart,
// in tx, re-checking what on_conflict depends on.
func (h *Handler) linkToHolder(r *http.Request, tx store.Tx, st *linkStep, holder *domain.User, onConflict claims.OnConflict, resolution claims.Resolution) error {
	ctx := r.Context()
	links, err := tx.UpstreamLinks().ListForUser(ctx, holder.ID)
	if err != nil {
		return err
	}
	for _, l := range links {
		if l.ProviderID != st.provider.ID {
			continue
		}
		switch {
		case resolution == claims.ResolveReplace:
			if err := tx.UpstreamLinks().Remove(ctx, l.ID); err != nil {
				return err
			}
		case onConflict == claims.ConflictSet:
			return errHolderLinked
		}
	}
	return tx.UpstreamLinks().Associate(ctx, st.link, holder.ID)
}

// upstreamRegistrationForm is the do_register form.
type upstreamRegistrationForm struct {
	username                       string
	importDisplayName, importEmail bool
	terms                          bool
}

// renderUpstreamRegister shows the do_register page. usernameFromProvider
// says the username field starts with the imported localpart.
func (h *Handler) renderUpstreamRegister(w http.ResponseWriter, r *http.Request, status int, st *linkStep, mapped *claims.Result, usernameFromProvider bool, f upstreamRegistrationForm, page templates.UpstreamRegisterPage) {
	page.Common = h.Pages.CommonWithCSRF(w, r)
	page.FormAction = h.URLs.Relative(routes.UpstreamLink(st.link.ID.String()))
	page.Provider = providerView(st.provider, st.link)
	page.ServerName = h.Login.ServerName
	page.Username = f.username
	page.UsernameFixed = usernameFromProvider && mapped.Localpart.Forced()
	if page.UsernameFixed {
		page.Username = mapped.Localpart.Value
	}
	if a := mapped.Displayname; a.Present() && (a.Forced() || a.Suggested()) {
		page.DisplayName = templates.UpstreamAttribute{Value: a.Value, Forced: a.Forced()}
	}
	if e := mapped.Email; e.Present() && (e.Forced() || e.Suggested()) {
		page.Email = templates.UpstreamAttribute{Value: e.Value, Forced: e.Forced()}
		page.EmailNeedsCode = !e.Verified
	}
	page.TermsURL = h.Pages.Branding.TOSURI
	// Someone with an account here signs in with it first; the link page
	// then offers to link the provider's account to it.
	page.LoginLink = h.URLs.RelativeWithQuery(routes.Login, (&session.PostAuthAction{Kind: session.KindLinkUpstream, ID: st.link.ID}).Query())
	h.Pages.Render(w, r, status, templates.PageUpstreamRegister, page)
}

// upstreamRegister checks the do_register form and starts the
// registration, which the registration steps finish: a registration token
// when the provider requires one, the email code when the address is not
// verified, then the account, linked and signed in (register_finish.go).
func (h *Handler) upstreamRegister(w http.ResponseWriter, r *http.Request, st *linkStep, mapped *claims.Result, f upstreamRegistrationForm) {
	ctx := r.Context()
	lp := mapped.Localpart
	fixed := lp.Forced()
	if fixed {
		f.username = lp.Value
	}
	displayName := ""
	if mapped.Displayname.Present() && mapped.Displayname.Import(f.importDisplayName) {
		displayName = mapped.Displayname.Value
	}
	email := ""
	if mapped.Email.Present() && mapped.Email.Import(f.importEmail) {
		email = mapped.Email.Value
	}

	var page templates.UpstreamRegisterPage
	status := 0
	fail := func(s int) {
		if status == 0 {
			status = s
		}
	}
	if f.username == "" {
		page.UsernameError = templates.Msg("register.error.username_required")
		fail(http.StatusBadRequest)
	}
	for _, v := range h.upstreamUsernameViolations(r, f.username) {
		if f.username == "" {
			break
		}
		if v.Field == "username" {
			if page.UsernameError.IsZero() {
				page.UsernameError = policyMessage(v)
			}
		} else {
			page.Errors = append(page.Errors, policyMessage(v))
		}
		fail(http.StatusBadRequest)
	}
	if email != "" {
		if msg := h.registrationEmailProblem(r, email); !msg.IsZero() {
			page.Errors = append(page.Errors, msg)
			fail(http.StatusBadRequest)
		}
	}
	if h.Pages.Branding.TOSURI != "" && !f.terms {
		page.TermsError = templates.Msg("register.error.terms_required")
		fail(http.StatusBadRequest)
	}
	if status == 0 {
		taken, err := h.usernameTaken(r, f.username)
		switch {
		case errors.Is(err, errHomeserverUnavailable):
			page.Errors = append(page.Errors, templates.Msg("register.error.homeserver_unavailable"))
			fail(http.StatusServiceUnavailable)
		case err != nil:
			h.Pages.InternalError(w, r, err)
			return
		case taken:
			page.UsernameError = templates.Msg("register.error.username_taken")
			fail(http.StatusConflict)
		}
	}
	if status != 0 {
		if fixed && !page.UsernameError.IsZero() {
			// The user cannot change a username the provider forces.
			requestctx.Logger(ctx).InfoContext(ctx, "upstream login: the imported localpart cannot be registered",
				"provider_id", st.provider.ID.String(), "localpart", lp.Value)
			key := "upstream.error.username_invalid"
			if status == http.StatusConflict {
				key = "upstream.error.username_taken"
			}
			h.renderUpstreamProblem(w, r, upstreamProblem{status: status, provider: st.provider, next: st.next,
				text: templates.Msg(key, "provider", providerName(st.provider.Row), "username", lp.Value)})
			return
		}
		h.renderUpstreamRegister(w, r, status, st, mapped, fixed, f, page)
		return
	}

	if displayName == "" {
		displayName = f.username // what the homeserver would show anyway
	}
	reg := &domain.UserRegistration{
		Username:          f.username,
		DisplayName:       displayName,
		UpstreamSessionID: &st.attempt.ID,
		PostAuthAction:    st.attempt.PostAuthAction,
		UserAgent:         requestUserAgent(r),
	}
	if f.terms {
		reg.TermsURL = h.Pages.Branding.TOSURI
	}
	if ip := requestctx.ClientIP(ctx); ip.IsValid() {
		reg.IPAddress = ip.String()
	}
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if err := tx.Registrations().Add(ctx, reg); err != nil {
			return err
		}
		if email == "" {
			return nil
		}
		if !mapped.Email.Verified {
			_, err := h.startRegistrationEmail(r, tx, reg, email)
			return err
		}
		// The provider vouches for the address: a completed
		// authentication, no code.
		auth := &domain.EmailAuthentication{Email: email, UserRegistrationID: &reg.ID}
		if err := tx.EmailAuthentications().Add(ctx, auth); err != nil {
			return err
		}
		if err := tx.EmailAuthentications().Complete(ctx, auth); err != nil {
			return err
		}
		reg.EmailAuthenticationID = &auth.ID
		return tx.Registrations().Update(ctx, reg)
	})
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if err := h.registrationFlows().Add(w, r, reg.ID); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	h.continueRegistration(w, r, reg)
}
