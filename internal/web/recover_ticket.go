package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"

	"mas/internal/domain"
	"mas/internal/homeserver"
	"mas/internal/login"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/store"
	"mas/internal/templates"
)

// maxTicketLength bounds what is looked up as a ticket; real ones are far
// shorter.
const maxTicketLength = 256

// recoveryLink is what a valid recovery ticket leads to.
type recoveryLink struct {
	ticket  *domain.RecoveryTicket
	session *domain.RecoverySession
	email   *domain.UserEmail
	user    *domain.User
}

// errRecoveryUserInvalid: the user was locked or deactivated while the
// recovery was under way.
var errRecoveryUserInvalid = errors.New("user can no longer recover")

// recoverTicketPage serves the recovery link: the new-password form.
func (h *Handler) recoverTicketPage(w http.ResponseWriter, r *http.Request) {
	if !h.recoveryEnabled() {
		h.recoveryDisabled(w, r)
		return
	}
	link, ok := h.resolveRecoveryLink(w, r, r.URL.Query().Get("ticket"))
	if !ok {
		return
	}
	h.renderRecoverFinish(w, r, http.StatusOK, link, templates.RecoveryFinishPage{})
}

// recoverTicketSubmit sets the new password. The recovery session is
// consumed in the same transaction, so a link sets a password once: of
// two concurrent submissions exactly one gets through.
func (h *Handler) recoverTicketSubmit(w http.ResponseWriter, r *http.Request) {
	if !h.recoveryEnabled() {
		h.recoveryDisabled(w, r)
		return
	}
	if !h.Pages.ReadForm(w, r) {
		return
	}
	link, ok := h.resolveRecoveryLink(w, r, r.PostForm.Get("ticket"))
	if !ok {
		return
	}
	password := r.PostForm.Get("password")
	signOut := r.PostForm.Get("sign_out_everywhere") != ""
	page := templates.RecoveryFinishPage{SignOutEverywhere: signOut}
	err := login.CheckNewPassword(password, h.Settings.MinimumPasswordComplexity, link.user.Username, link.email.Email)
	page.PasswordError = accountPasswordProblem(err) // the account page's words
	if password != r.PostForm.Get("password_confirm") {
		page.ConfirmError = templates.Msg("account.password.error.mismatch")
	}
	if !page.PasswordError.IsZero() || !page.ConfirmError.IsZero() {
		h.renderRecoverFinish(w, r, http.StatusBadRequest, link, page)
		return
	}

	ctx := r.Context()
	// Hashing is slow: done before the transaction, not inside it.
	version, hash, err := h.Login.Passwords.Hash(ctx, password)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	ended, err := h.setRecoveredPassword(ctx, link, version, hash, signOut)
	switch {
	case errors.Is(err, store.ErrConflict):
		h.renderRecoveryLink(w, r, http.StatusGone, templates.PageRecoveryConsumed)
		return
	case errors.Is(err, errRecoveryUserInvalid):
		h.renderRecoveryLink(w, r, http.StatusNotFound, templates.PageRecoveryInvalid)
		return
	case err != nil:
		h.Pages.InternalError(w, r, err)
		return
	}
	log := requestctx.Logger(ctx)
	log.InfoContext(ctx, "password reset through recovery", "user_id", link.user.ID.String(),
		"recovery_session_id", link.session.ID.String(), "signed_out_everywhere", signOut,
		"ended_browser", ended.Browser, "ended_oauth2", ended.OAuth2, "ended_compat", ended.Compat)
	h.renderRecoverFinish(w, r, http.StatusOK, link, templates.RecoveryFinishPage{Done: true, SignedOut: signOut})
}

// setRecoveredPassword consumes the recovery session, stores the new
// password and, when asked, ends every session of the user, all in one
// transaction. ErrConflict: the session was consumed meanwhile.
func (h *Handler) setRecoveredPassword(ctx context.Context, link *recoveryLink, version int, hash string, signOut bool) (store.EndedSessions, error) {
	var ended store.EndedSessions
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		// Serialises with logins and other changes of this user, and
		// reads the user as they are now: a lock set since the page was
		// shown still stops the recovery.
		if err := tx.Users().Hold(ctx, link.user.ID); err != nil {
			return err
		}
		user, err := tx.Users().Lookup(ctx, link.user.ID)
		if err != nil {
			return err
		}
		if !user.IsValid() {
			return errRecoveryUserInvalid
		}
		if err := tx.Recovery().ConsumeSession(ctx, link.session); err != nil {
			return err
		}
		if _, err := tx.Passwords().Add(ctx, user.ID, hash, version, nil); err != nil {
			return fmt.Errorf("storing the new password: %w", err)
		}
		if signOut {
			ended, err = store.EndEverySession(ctx, tx, user.ID)
		}
		return err
	})
	return ended, err
}

// resolveRecoveryLink finds the user a ticket lets set a password for.
// When it cannot be used it answers with the page that says why and
// returns false: unknown (or the address is gone), already used, expired,
// or the account locked or deactivated.
func (h *Handler) resolveRecoveryLink(w http.ResponseWriter, r *http.Request, ticket string) (*recoveryLink, bool) {
	ctx := r.Context()
	invalid := func() { h.renderRecoveryLink(w, r, http.StatusNotFound, templates.PageRecoveryInvalid) }
	if ticket == "" || len(ticket) > maxTicketLength || !domain.IsText(ticket) {
		invalid()
		return nil, false
	}
	link := &recoveryLink{}
	var err error
	if link.ticket, err = h.Store.Recovery().FindTicket(ctx, ticket); err == nil {
		// The query matched already; comparing again in constant time
		// costs nothing and keeps the rule visible.
		if subtle.ConstantTimeCompare([]byte(link.ticket.Ticket), []byte(ticket)) != 1 {
			err = store.ErrNotFound
		}
	}
	if err == nil {
		link.session, err = h.Store.Recovery().LookupSession(ctx, link.ticket.RecoverySessionID)
	}
	if err == nil {
		link.email, err = h.Store.UserEmails().Lookup(ctx, link.ticket.UserEmailID)
	}
	if err == nil {
		link.user, err = h.Store.Users().Lookup(ctx, link.email.UserID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		invalid()
		return nil, false
	case err != nil:
		h.Pages.InternalError(w, r, err)
		return nil, false
	case link.session.ConsumedAt != nil:
		h.renderRecoveryLink(w, r, http.StatusGone, templates.PageRecoveryConsumed)
		return nil, false
	case !h.Clock.Now().Before(link.ticket.ExpiresAt):
		h.renderRecoveryLink(w, r, http.StatusGone, templates.PageRecoveryExpired)
		return nil, false
	case link.user.DeactivatedAt != nil:
		invalid()
		return nil, false
	case link.user.LockedAt != nil:
		// The mailbox's owner may learn that the account is locked; the
		// same page answers a login with the right password.
		h.renderLocked(w, r, link.user.Username)
		return nil, false
	}
	return link, true
}

func (h *Handler) renderRecoverFinish(w http.ResponseWriter, r *http.Request, status int, link *recoveryLink, page templates.RecoveryFinishPage) {
	if page.Done {
		// The form is gone, and with it any need for a form token.
		page.Common = h.Pages.Common(r, "")
	} else {
		page.Common = h.Pages.CommonWithCSRF(w, r)
	}
	page.MXID = homeserver.MXID(link.user.Username, h.Login.ServerName)
	page.Username = link.user.Username
	page.FormAction = h.URLs.Relative(routes.AccountPasswordRecovery)
	if !page.Done {
		page.Ticket = link.ticket.Ticket
	}
	h.Pages.Render(w, r, status, templates.PageRecoveryFinish, page)
}
