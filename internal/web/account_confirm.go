package web

import (
	"context"
	"errors"
	"net/http"

	"mas/internal/domain"
	"mas/internal/login"
	"mas/internal/pages"
	"mas/internal/store"
	"mas/internal/templates"
)

// Sensitive account changes (adding or removing an address, changing the
// password, resetting the cryptographic identity, deactivating) require
// the current password, so that a browser left signed in, or a stolen
// session cookie, is not enough to take the account over
// (GHSA-6wfp-jq3r-j9xh). As upstream, users without a password (signed up
// through an upstream provider) and servers without password features are
// not asked. Every check goes through login.Checker.CheckPassword, with
// its rate limits and its one answer for every failure.

// currentPasswordField is the form field the account forms name it.
const currentPasswordField = "current_password"

// needsPassword reports whether user must confirm changes with a password.
func (h *Handler) needsPassword(ctx context.Context, userID domain.ID) (bool, error) {
	if !h.passwordsEnabled() {
		return false, nil
	}
	_, err := h.Store.Passwords().Active(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// confirmedByPassword checks the form's current password when the user
// has one. A refusal (wrong, missing, rate-limited) is handed to refused
// with the status and the field's message, after the Retry-After header
// when the limits refused; a failure of ours is answered here. It reports
// whether the change may go ahead.
func (h *Handler) confirmedByPassword(w http.ResponseWriter, r *http.Request, user *domain.User, refused func(status int, fieldError templates.Message)) bool {
	needed, err := h.needsPassword(r.Context(), user.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return false
	}
	if !needed {
		return true
	}
	typed := r.PostForm.Get(currentPasswordField)
	if typed == "" {
		refused(http.StatusBadRequest, templates.Msg("account.error.password_required"))
		return false
	}
	res, err := h.Login.CheckPassword(r.Context(), user.Username, typed)
	switch {
	case err != nil:
		h.Pages.InternalError(w, r, err)
	case res.Outcome == login.RateLimited:
		pages.SetRetryAfter(w, res.RetryAfter)
		refused(http.StatusTooManyRequests, templates.Msg("account.error.rate_limited"))
	case res.Outcome == login.OK && res.User.ID == user.ID:
		return true
	default:
		refused(http.StatusBadRequest, templates.Msg("account.error.password_wrong"))
	}
	return false
}
