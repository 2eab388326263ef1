package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"mas/internal/domain"
	"mas/internal/ratelimit"
	"mas/internal/requestctx"
	"mas/internal/store"
)

// Email verification is shared by registration and by adding an address on
// the account page: an EmailAuthentication belongs to one of them, the
// send-email-authentication-code job draws a 6-digit code and mails it (or,
// when mail fails, logs it for the operator), and the user types it in.

// Outcomes of checking a typed code.
var (
	// errCodeWrong: no such code for this authentication. One answer for
	// a wrong and a malformed code.
	errCodeWrong = errors.New("wrong code")
	// errCodeExpired: the code was right but is too old; a new one must
	// be sent.
	errCodeExpired = errors.New("expired code")
	// errCodeUsed: the authentication was completed already (a second
	// tab, a double submit).
	errCodeUsed = errors.New("authentication already completed")
)

// sendEmailCode schedules the code mail of auth, in tx, in the language of
// the request that asked for it.
func sendEmailCode(ctx context.Context, tx store.Tx, authID domain.ID, lang string) error {
	return tx.Jobs().Enqueue(ctx, domain.SendEmailAuthenticationCodeJob{EmailAuthenticationID: authID, Language: lang})
}

// checkEmailLimits guards sending a code to email: per address and per
// client address, and, for another code in the same authentication, per
// authentication. A nil limiter set allows everything.
func (h *Handler) checkEmailLimits(r *http.Request, email string, authID *domain.ID) error {
	if h.Limits == nil {
		return nil
	}
	ip := requestctx.ClientIP(r.Context())
	if authID != nil {
		return h.Limits.CheckEmailAuthenticationSendCode(ip, email, authID.String())
	}
	return h.Limits.CheckEmailAuthenticationEmail(ip, email)
}

// verifyEmailCode checks a typed code against auth and, when it is right
// and fresh, completes the authentication in tx. Attempts are limited per
// authentication (email_authentication.attempt_per_session), so a 6-digit
// code cannot be guessed; a refused attempt is a *ratelimit.LimitedError.
func (h *Handler) verifyEmailCode(ctx context.Context, tx store.Tx, auth *domain.EmailAuthentication, typed string) error {
	if auth.CompletedAt != nil {
		return errCodeUsed
	}
	if h.Limits != nil {
		if err := h.Limits.CheckEmailAuthenticationAttempt(auth.ID.String()); err != nil {
			return err
		}
	}
	code := strings.TrimSpace(typed)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return errCodeWrong
	}
	found, err := tx.EmailAuthentications().FindCode(ctx, auth.ID, code)
	if errors.Is(err, store.ErrNotFound) {
		return errCodeWrong
	}
	if err != nil {
		return err
	}
	// The query matched already; comparing again in constant time costs
	// nothing and keeps the rule visible.
	if subtle.ConstantTimeCompare([]byte(found.Code), []byte(code)) != 1 {
		return errCodeWrong
	}
	if !h.Clock.Now().Before(found.ExpiresAt) {
		return errCodeExpired
	}
	if err := tx.EmailAuthentications().Complete(ctx, auth); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errCodeUsed
		}
		return err
	}
	return nil
}

// isLimited reports a rate-limit refusal and returns it.
func isLimited(err error) (*ratelimit.LimitedError, bool) {
	var l *ratelimit.LimitedError
	ok := errors.As(err, &l)
	return l, ok
}
