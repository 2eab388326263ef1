package web

import (
	"context"
	"errors"
	"net/http"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// Reasons the account cannot be created after all, found inside the
// creating transaction (a concurrent registration won the race).
var (
	errRegistrationUsernameTaken = errors.New("the username was taken meanwhile")
	errRegistrationEmailInUse    = errors.New("the address was confirmed by another account meanwhile")
	errRegistrationTokenUsedUp   = errors.New("the registration token can no longer be used")
	errRegistrationLinked        = errors.New("the upstream account was linked or used meanwhile")
)

// registerFinish serves GET /register/steps/{id}/finish. In upstream's
// order it sends the browser to the first step still missing (token,
// email code, display name), shows why the registration cannot go on (the
// verified address belongs to another account, the username was taken
// meanwhile), or creates the account and signs it in.
func (h *Handler) registerFinish(w http.ResponseWriter, r *http.Request) {
	reg := h.registrationStep(w, r)
	if reg == nil {
		return
	}
	next := session.ParsePostAuthActionJSON(reg.PostAuthAction)
	token, auth, ok := h.registrationReady(w, r, reg, next)
	if !ok {
		return
	}
	usernameTaken := func() {
		h.registrationProblem(w, r, http.StatusConflict, problemPage{
			text: templates.Msg("register.problem.username_taken", "username", reg.Username), next: next, start: true,
		})
	}

	// Last-minute check: someone may have taken the name since the form.
	taken, err := h.usernameTaken(r, reg.Username)
	switch {
	case errors.Is(err, errHomeserverUnavailable):
		h.registrationProblem(w, r, http.StatusServiceUnavailable, problemPage{
			text: templates.Msg("register.problem.homeserver_unavailable"), next: next, retry: routes.RegisterFinish(reg.ID.String()),
		})
		return
	case err != nil:
		h.Pages.InternalError(w, r, err)
		return
	case taken:
		usernameTaken()
		return
	}

	bs, err := h.createRegisteredUser(r, reg, auth, token)
	switch {
	case errors.Is(err, store.ErrConflict), errors.Is(err, domain.ErrInvalidTransition):
		// Completed by another tab meanwhile: this step now moves on.
		h.continueRegistration(w, r, reg)
		return
	case errors.Is(err, errRegistrationUsernameTaken):
		usernameTaken()
		return
	case errors.Is(err, errRegistrationEmailInUse):
		h.emailInUse(w, r, auth.Email, next)
		return
	case errors.Is(err, errRegistrationTokenUsedUp):
		h.tokenUsedUp(w, r, reg)
		return
	case errors.Is(err, errRegistrationLinked):
		h.registrationProblem(w, r, http.StatusConflict, problemPage{text: templates.Msg("upstream.error.already_used"), next: next})
		return
	case err != nil:
		h.Pages.InternalError(w, r, err)
		return
	}
	if err := h.Sessions.SetCookie(w, bs); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	pages.SeeOther(w, r, h.URLs.Relative(next.Target()))
}

// registrationReady checks that every step is done, in upstream's order,
// and returns the token and the verified email authentication (each nil
// when not needed). When a step is missing, or the verified address turns
// out to be another account's, it answers the request and ok is false.
func (h *Handler) registrationReady(w http.ResponseWriter, r *http.Request, reg *domain.UserRegistration, next *session.PostAuthAction) (token *domain.RegistrationToken, auth *domain.EmailAuthentication, ok bool) {
	ctx := r.Context()
	id := reg.ID.String()
	var err error
	if reg.UpstreamSessionID != nil && !h.upstreamRegistrationUsable(r, reg) {
		// The provider was disabled meanwhile: nothing may be linked to it.
		h.registrationProblem(w, r, http.StatusConflict, problemPage{text: templates.Msg("upstream.error.unknown_provider"), next: next})
		return nil, nil, false
	}
	if h.tokenRequired(r, reg) {
		if reg.RegistrationTokenID == nil {
			pages.SeeOther(w, r, h.URLs.Relative(routes.RegisterToken(id)))
			return nil, nil, false
		}
		if token, err = h.Store.RegistrationTokens().Lookup(ctx, *reg.RegistrationTokenID); err != nil {
			h.Pages.InternalError(w, r, err)
			return nil, nil, false
		}
		if !token.Valid(h.Clock.Now()) {
			h.tokenUsedUp(w, r, reg)
			return nil, nil, false
		}
	}

	switch {
	case reg.EmailAuthenticationID != nil:
		if auth, err = h.Store.EmailAuthentications().Lookup(ctx, *reg.EmailAuthenticationID); err != nil {
			h.Pages.InternalError(w, r, err)
			return nil, nil, false
		}
		if auth.CompletedAt == nil {
			pages.SeeOther(w, r, h.URLs.Relative(routes.RegisterVerifyEmail(id)))
			return nil, nil, false
		}
		// Only now, with the address proven, may the page say it is in
		// use: before, that would tell anyone whose address it is.
		_, err := h.Store.UserEmails().FindByEmail(ctx, auth.Email)
		if err == nil {
			h.emailInUse(w, r, auth.Email, next)
			return nil, nil, false
		}
		if !errors.Is(err, store.ErrNotFound) {
			h.Pages.InternalError(w, r, err)
			return nil, nil, false
		}
	case h.Settings.PasswordRegistrationEmailRequired && reg.UpstreamSessionID == nil:
		// Started while addresses were optional.
		h.registrationProblem(w, r, http.StatusConflict, problemPage{text: templates.Msg("register.problem.no_email"), next: next, start: true})
		return nil, nil, false
	}

	if reg.DisplayName == "" {
		pages.SeeOther(w, r, h.URLs.Relative(routes.RegisterDisplayName(id)))
		return nil, nil, false
	}
	return token, auth, true
}

// createRegisteredUser makes the account in one transaction: the
// registration completed, the user, its password, its verified address,
// the token counted, a browser session signed in with the password, and
// the job that creates the user on the homeserver with its display name
// (the job reads the addresses from the store). Nothing is written if any
// of it fails.
func (h *Handler) createRegisteredUser(r *http.Request, reg *domain.UserRegistration, auth *domain.EmailAuthentication, token *domain.RegistrationToken) (*domain.BrowserSession, error) {
	ctx := r.Context()
	var bs *domain.BrowserSession
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if err := tx.Registrations().Complete(ctx, reg); err != nil {
			return err
		}
		user, err := tx.Users().Add(ctx, reg.Username)
		if errors.Is(err, store.ErrConflict) {
			return errRegistrationUsernameTaken
		}
		if err != nil {
			return err
		}
		var passwordID *domain.ID
		if reg.HashedPassword != "" {
			password, err := tx.Passwords().Add(ctx, user.ID, reg.HashedPassword, reg.PasswordVersion, nil)
			if err != nil {
				return err
			}
			passwordID = &password.ID
		}
		if auth != nil {
			_, err := tx.UserEmails().Add(ctx, user.ID, auth.Email)
			if errors.Is(err, store.ErrConflict) {
				return errRegistrationEmailInUse
			}
			if err != nil {
				return err
			}
		}
		if token != nil {
			err := tx.RegistrationTokens().Use(ctx, token)
			if errors.Is(err, store.ErrConflict) || errors.Is(err, domain.ErrInvalidTransition) {
				return errRegistrationTokenUsedUp
			}
			if err != nil {
				return err
			}
		}
		if bs, err = h.Sessions.Create(ctx, tx, r, user, passwordID); err != nil {
			return err
		}
		if reg.UpstreamSessionID != nil {
			if err := linkRegisteredUser(ctx, tx, *reg.UpstreamSessionID, user, bs); err != nil {
				return err
			}
		}
		return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: user.ID, SetDisplayName: reg.DisplayName})
	})
	return bs, err
}

// linkRegisteredUser finishes a registration through an upstream
// provider, in the creating transaction: the provider's account is linked
// to the new user, and the attempt consumed, authenticating the new
// browser session.
func linkRegisteredUser(ctx context.Context, tx store.Tx, attemptID domain.ID, user *domain.User, bs *domain.BrowserSession) error {
	attempt, err := tx.UpstreamSessions().Lookup(ctx, attemptID)
	if err != nil {
		return err
	}
	if attempt.LinkID == nil {
		return errRegistrationLinked
	}
	link, err := tx.UpstreamLinks().Lookup(ctx, *attempt.LinkID)
	if err != nil {
		return err
	}
	err = tx.UpstreamLinks().Associate(ctx, link, user.ID)
	if err == nil {
		err = tx.UpstreamSessions().Consume(ctx, attempt, bs.ID)
	}
	if errors.Is(err, store.ErrConflict) || errors.Is(err, domain.ErrInvalidTransition) {
		return errRegistrationLinked
	}
	if err != nil {
		return err
	}
	_, err = tx.BrowserSessions().Authenticate(ctx, bs.ID, nil, &attempt.ID)
	return err
}

// emailInUse is upstream's email_in_use step: the proven address already
// belongs to another account.
func (h *Handler) emailInUse(w http.ResponseWriter, r *http.Request, email string, next *session.PostAuthAction) {
	h.Pages.Render(w, r, http.StatusConflict, templates.PageRegisterEmailInUse, templates.RegisterEmailInUsePage{
		Common:    h.Pages.Common(r, ""),
		Email:     email,
		LoginLink: h.URLs.RelativeWithQuery(routes.Login, next.Query()),
		StartLink: h.URLs.RelativeWithQuery(routes.Register, next.Query()),
	})
}

// upstreamRegistrationUsable says whether the provider of a registration
// through an upstream provider is still enabled.
func (h *Handler) upstreamRegistrationUsable(r *http.Request, reg *domain.UserRegistration) bool {
	attempt, err := h.Store.UpstreamSessions().Lookup(r.Context(), *reg.UpstreamSessionID)
	if err != nil {
		return false
	}
	_, ok := h.Upstream.Lookup(attempt.ProviderID)
	return ok
}

// tokenRequired says whether the registration needs a registration token:
// account.registration_token_required for a password registration, the
// provider's registration_token_required for one through a provider. A
// provider removed meanwhile requires one, to be safe.
func (h *Handler) tokenRequired(r *http.Request, reg *domain.UserRegistration) bool {
	if reg.UpstreamSessionID == nil {
		return h.Settings.RegistrationTokenRequired
	}
	attempt, err := h.Store.UpstreamSessions().Lookup(r.Context(), *reg.UpstreamSessionID)
	if err != nil {
		return true
	}
	p, ok := h.Upstream.Lookup(attempt.ProviderID)
	return !ok || p.Settings.RegistrationTokenRequired
}

// tokenUsedUp asks for another token when the one given can no longer be
// used (revoked, expired or used up since it was entered).
func (h *Handler) tokenUsedUp(w http.ResponseWriter, r *http.Request, reg *domain.UserRegistration) {
	h.renderRegisterToken(w, r, http.StatusConflict, reg, templates.RegisterTokenPage{Error: templates.Msg("register.error.token_used_up")})
}
