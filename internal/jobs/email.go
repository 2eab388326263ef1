package jobs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/riverqueue/river"

	"mas/internal/domain"
	"mas/internal/email"
	"mas/internal/i18n"
	"mas/internal/routes"
	"mas/internal/store"
	"mas/internal/templates"
	"mas/internal/tokens"
)

// Mail is what the mail jobs need. Without a Mailer or Templates every
// mail fails (and the verification code is logged), so a deployment that
// forgot to wire mail still lets the operator help users.
type Mail struct {
	Mailer    *email.Mailer
	Templates *templates.Templates
	// I18n picks each mail's language; nil means English only.
	I18n *i18n.Catalog
	// URLs builds the links mails carry.
	URLs     *routes.URLBuilder
	Branding templates.Branding
}

// Lifetimes, as upstream.
const (
	emailCodeLifetime      = 5 * time.Minute
	recoveryTicketLifetime = 10 * time.Minute
	recoveryTicketLength   = 32
)

// emailCodeReuseLeft is how much validity the newest code must have left
// to be sent again instead of drawing another. A retry of a job that
// failed to send thus mails the code it drew (and logged), rather than
// piling up codes; a code about to expire is replaced, so the user gets
// time to type it.
const emailCodeReuseLeft = 2 * time.Minute

// maxDraws bounds redrawing a code or ticket that happens to exist
// already: with 10^6 codes per authentication, a second draw is rare, a
// tenth means something else is wrong.
const maxDraws = 10

// logCodeMessage is the line operators grep for when mail does not work
// (docs/configuration.md quotes it): it carries the code in clear, which
// nothing else ever logs.
const logCodeMessage = "email could not be sent; give this verification code to the user"

// logDiscardedCodeMessage is the same line when the transport is the
// blackhole: the mail "succeeds" but reaches nobody, so the log is the
// only way the code can reach the user.
const logDiscardedCodeMessage = "email transport is blackhole, so no email was sent; give this verification code to the user"

func addEmailWorkers(w *river.Workers, d Deps) {
	river.AddWorker(w, &sendEmailCodeWorker{d: d})
	river.AddWorker(w, &sendRecoveryEmailWorker{d: d})
}

// sendEmailCodeWorker draws (or reuses) a code for an email
// authentication and mails it to the address being verified.
type sendEmailCodeWorker struct {
	river.WorkerDefaults[domain.SendEmailAuthenticationCodeJob]
	d Deps
}

func (w *sendEmailCodeWorker) Work(ctx context.Context, job *river.Job[domain.SendEmailAuthenticationCodeJob]) error {
	s := w.d.Store
	auth, err := s.EmailAuthentications().Lookup(ctx, job.Args.EmailAuthenticationID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("email authentication %s no longer exists", job.Args.EmailAuthenticationID))
	}
	if err != nil {
		return err
	}
	if auth.CompletedAt != nil {
		w.d.Logger.Debug("email authentication already completed; no code sent", "email_authentication_id", auth.ID.String())
		return nil
	}
	username, err := authenticationUsername(ctx, s, auth)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("the owner of email authentication %s no longer exists", auth.ID))
	}
	if err != nil {
		return err
	}
	now := w.d.Clock.Now()
	code, err := w.code(ctx, auth.ID, now)
	if err != nil {
		return err
	}
	data := templates.VerificationEmail{
		EmailCommon: w.d.Mail.common(job.Args.Language),
		Username:    username, Email: auth.Email, Code: code.Code,
		ExpiresInMinutes: minutesLeft(code.ExpiresAt, now),
	}
	if err := w.d.Mail.send(ctx, templates.EmailVerification, auth.Email, data); err != nil {
		// The error River records must not carry the code; this line
		// does, on purpose, at a level operators see.
		w.d.Logger.Warn(logCodeMessage,
			"email", auth.Email, "code", code.Code, "username", username,
			"expires_at", code.ExpiresAt.UTC().Format(time.RFC3339), "attempt", job.Attempt, "error", err.Error())
		return err
	}
	if w.d.Mail.Mailer.Transport() == email.TransportBlackhole {
		w.d.Logger.Warn(logDiscardedCodeMessage,
			"email", auth.Email, "code", code.Code, "username", username,
			"expires_at", code.ExpiresAt.UTC().Format(time.RFC3339))
		return nil
	}
	w.d.Logger.Info("sent email verification code", "email", auth.Email, "username", username,
		"email_authentication_id", auth.ID.String(), "transport", w.d.Mail.Mailer.Describe())
	return nil
}

// code returns the code to mail: the newest one when it has time left,
// else a new one.
func (w *sendEmailCodeWorker) code(ctx context.Context, authID domain.ID, now time.Time) (*domain.EmailAuthenticationCode, error) {
	latest, err := w.d.Store.EmailAuthentications().LatestCode(ctx, authID)
	switch {
	case err == nil && latest.ExpiresAt.Sub(now) >= emailCodeReuseLeft:
		return latest, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	for range maxDraws {
		digits, err := tokens.RandomDigits(rand.Reader, 6)
		if err != nil {
			return nil, err
		}
		code, err := w.d.Store.EmailAuthentications().AddCode(ctx, authID, digits, now.Add(emailCodeLifetime))
		if errors.Is(err, store.ErrConflict) {
			continue // this authentication had that code already
		}
		return code, err
	}
	return nil, fmt.Errorf("no unused code found for email authentication %s after %d draws", authID, maxDraws)
}

// authenticationUsername names who the code is for: the registration's
// chosen username, or the signed-in user adding an address.
func authenticationUsername(ctx context.Context, s store.Store, auth *domain.EmailAuthentication) (string, error) {
	switch {
	case auth.UserRegistrationID != nil:
		r, err := s.Registrations().Lookup(ctx, *auth.UserRegistrationID)
		if err != nil {
			return "", err
		}
		return r.Username, nil
	case auth.BrowserSessionID != nil:
		bs, err := s.BrowserSessions().Lookup(ctx, *auth.BrowserSessionID)
		if err != nil {
			return "", err
		}
		u, err := s.Users().Lookup(ctx, bs.UserID)
		if err != nil {
			return "", err
		}
		return u.Username, nil
	}
	return "", fmt.Errorf("email authentication %s has no owner", auth.ID)
}

// sendRecoveryEmailWorker mails a recovery link for the address of a
// recovery session, if an active account has it. Whether one does is
// never revealed to the requester, and only logged at debug level.
type sendRecoveryEmailWorker struct {
	river.WorkerDefaults[domain.SendAccountRecoveryEmailsJob]
	d Deps
}

func (w *sendRecoveryEmailWorker) Work(ctx context.Context, job *river.Job[domain.SendAccountRecoveryEmailsJob]) error {
	s := w.d.Store
	session, err := s.Recovery().LookupSession(ctx, job.Args.RecoverySessionID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("recovery session %s no longer exists", job.Args.RecoverySessionID))
	}
	if err != nil {
		return err
	}
	if session.ConsumedAt != nil {
		return nil
	}
	address, err := s.UserEmails().FindByEmail(ctx, session.Email)
	if errors.Is(err, store.ErrNotFound) {
		w.d.Logger.Debug("account recovery: no account has this address; nothing sent", "recovery_session_id", session.ID.String())
		return nil
	}
	if err != nil {
		return err
	}
	user, err := s.Users().Lookup(ctx, address.UserID)
	if err != nil {
		return err
	}
	if !user.IsValid() {
		w.d.Logger.Debug("account recovery: the account is locked or deactivated; nothing sent", "recovery_session_id", session.ID.String())
		return nil
	}
	now := w.d.Clock.Now()
	ticket, err := w.ticket(ctx, session.ID, address.ID, now.Add(recoveryTicketLifetime))
	if err != nil {
		return err
	}
	data := templates.RecoveryEmail{
		EmailCommon: w.d.Mail.common(session.Locale),
		Username:    user.Username, Email: address.Email,
		ExpiresInMinutes: minutesLeft(ticket.ExpiresAt, now),
	}
	if w.d.Mail.URLs != nil {
		data.Link = w.d.Mail.URLs.AbsoluteWithQuery(routes.AccountPasswordRecovery, url.Values{"ticket": {ticket.Ticket}})
	}
	if err := w.d.Mail.send(ctx, templates.EmailRecovery, address.Email, data); err != nil {
		// Neither the ticket nor the link is logged: they are the key.
		return fmt.Errorf("mailing the recovery link of user %s: %w", user.ID, err)
	}
	w.d.Logger.Info("sent account recovery email", "user_id", user.ID.String(), "recovery_session_id", session.ID.String(),
		"transport", w.d.Mail.Mailer.Describe())
	return nil
}

func (w *sendRecoveryEmailWorker) ticket(ctx context.Context, sessionID, emailID domain.ID, expires time.Time) (*domain.RecoveryTicket, error) {
	for range maxDraws {
		t, err := tokens.RandomAlphanumeric(rand.Reader, recoveryTicketLength)
		if err != nil {
			return nil, err
		}
		ticket, err := w.d.Store.Recovery().AddTicket(ctx, sessionID, emailID, t, expires)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return ticket, err
	}
	return nil, fmt.Errorf("no unused recovery ticket after %d draws", maxDraws)
}

// common is the mail's language and branding. lang is a stored
// preference or Accept-Language value; unknown or empty means English.
func (m Mail) common(lang string) templates.EmailCommon {
	catalog := m.I18n
	if catalog == nil {
		catalog = i18n.Default
	}
	c := templates.EmailCommon{Branding: m.Branding}
	c.WithLocale(catalog.Match(lang))
	return c
}

// send renders the named mail and hands it to the mailer.
func (m Mail) send(ctx context.Context, name, to string, data any) error {
	if m.Mailer == nil || m.Templates == nil {
		return errors.New("email is not set up in this process (no mailer or templates)")
	}
	rendered, err := m.Templates.RenderEmail(name, data)
	if err != nil {
		return err
	}
	return m.Mailer.Send(ctx, email.Message{To: to, Subject: rendered.Subject, Text: rendered.Text, HTML: rendered.HTML})
}

// minutesLeft is the whole minutes until expiry, at least one: a mail
// does not promise more time than there is. The second of slack absorbs
// the stores' microsecond truncation of expiry times.
func minutesLeft(expires, now time.Time) int {
	return max(1, int((expires.Sub(now)+time.Second)/time.Minute))
}
