package app

import (
	"context"
	"errors"
	"time"

	"mas/internal/config"
	"mas/internal/doctor"
	"mas/internal/email"
	"mas/internal/jobs"
)

// emailOptions maps the `email` section onto the mailer's options.
func emailOptions(c config.EmailConfig) (email.Options, error) {
	o := email.Options{
		Transport: email.Transport(c.Transport),
		From:      c.From,
		ReplyTo:   c.ReplyTo,
	}
	switch c.Transport {
	case config.TransportSMTP:
		password, err := c.PasswordValue()
		if err != nil {
			return email.Options{}, err
		}
		o.Mode, o.Hostname, o.Port = email.Mode(c.Mode), c.Hostname, int(c.SMTPPort())
		o.Username, o.Password = c.Username, password
	case config.TransportSendmail:
		o.Command = c.SendmailCommand()
	}
	return o, nil
}

// newMailer builds the configured transport; it connects to nothing.
func newMailer(cfg *config.Config) (*email.Mailer, error) {
	o, err := emailOptions(cfg.Email)
	if err != nil {
		return nil, err
	}
	return email.New(o)
}

// mailDeps is what the mail jobs need.
func (a *App) mailDeps() jobs.Mail {
	return jobs.Mail{Mailer: a.Mailer, Templates: a.Templates, I18n: a.I18n, URLs: a.URLs, Branding: branding(a.Config)}
}

// mailCheckTimeout bounds the start-up check of the mail transport.
const mailCheckTimeout = 10 * time.Second

// checkMailer proves, in the background, that mail can leave, and says so
// in one WARN line if not, as upstream does at start. It never delays the
// start: mail jobs retry anyway, and log codes they could not send.
func (a *App) checkMailer(ctx context.Context) {
	if a.Mailer == nil || a.Mailer.Transport() == email.TransportBlackhole {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(ctx, mailCheckTimeout)
		defer cancel()
		err := a.Mailer.Check(ctx)
		switch {
		case err == nil:
			a.Logger.Info("the mail server is reachable", "transport", a.Mailer.Describe())
			return
		case errors.Is(ctx.Err(), context.Canceled):
			return // the service is stopping
		}
		a.Logger.Warn("cannot reach the mail server: mails are retried, and verification codes that cannot be sent are logged",
			"transport", a.Mailer.Describe(), "error", err.Error())
	}()
}

// MailNeededBy names the enabled features that cannot work without mail.
func MailNeededBy(cfg *config.Config) []string {
	if !cfg.Passwords.Enabled {
		return nil
	}
	var out []string
	if cfg.Account.PasswordRegistrationEnabled && cfg.Account.PasswordRegistrationEmailRequired {
		out = append(out, "password registration (account.password_registration_enabled)")
	}
	if cfg.Account.PasswordRecoveryEnabled {
		out = append(out, "password recovery (account.password_recovery_enabled)")
	}
	return out
}

// DoctorMail describes the mail settings for `mas-cli doctor`.
func DoctorMail(cfg *config.Config) (*doctor.Mail, error) {
	m, err := newMailer(cfg)
	if err != nil {
		return nil, err
	}
	d := &doctor.Mail{Transport: string(m.Transport()), Target: m.Describe(), NeededBy: MailNeededBy(cfg)}
	if m.Transport() != email.TransportBlackhole {
		d.Check = m.Check
	}
	return d, nil
}
