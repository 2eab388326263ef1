// Package email sends the service's mails (verification codes, recovery
// links) through the configured transport: an SMTP relay, a local sendmail
// command, or nowhere at all (blackhole). It knows nothing of templates or
// languages: callers hand it a finished message.
package email

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Transport says how mail leaves.
type Transport string

const (
	// TransportBlackhole drops every message (upstream's default).
	TransportBlackhole Transport = "blackhole"
	// TransportSMTP hands messages to an SMTP relay.
	TransportSMTP Transport = "smtp"
	// TransportSendmail pipes messages into a local sendmail command.
	TransportSendmail Transport = "sendmail"
)

// Mode is the connection security of the SMTP relay.
type Mode string

const (
	// ModePlain never encrypts (a relay on the same host, say).
	ModePlain Mode = "plain"
	// ModeStartTLS connects in clear and must upgrade with STARTTLS.
	ModeStartTLS Mode = "starttls"
	// ModeTLS speaks TLS from the first byte (SMTPS).
	ModeTLS Mode = "tls"
)

// DefaultTimeout bounds each SMTP conversation and sendmail run.
const DefaultTimeout = 30 * time.Second

// Options describe the transport. Only the fields of the chosen transport
// are read.
type Options struct {
	Transport Transport
	// From and ReplyTo are RFC 5322 addresses, with or without a name.
	From    string
	ReplyTo string

	// SMTP relay. Port 0 takes the usual port of the mode (25, 587, 465).
	Mode     Mode
	Hostname string
	Port     int
	// Username and Password authenticate when Username is set.
	Username string
	Password string
	// TLS replaces the TLS settings (tests trust their own CA with it);
	// nil verifies the relay's certificate for Hostname against the
	// system roots.
	TLS *tls.Config

	// Command is the sendmail program; empty means "sendmail" on PATH.
	Command string

	// Timeout bounds one send or check; zero means DefaultTimeout.
	Timeout time.Duration
}

// Message is one finished mail to one recipient.
type Message struct {
	To      string
	Subject string
	Text    string // the text/plain part
	HTML    string // the text/html alternative; empty sends text only
}

// Mailer sends messages. It is safe for concurrent use: every send opens
// its own connection or process.
type Mailer struct {
	opts    Options
	from    *mail.Address
	replyTo *mail.Address
	sender  sender
}

// sender is one transport.
type sender interface {
	send(ctx context.Context, msg *gomail.Msg) error
	check(ctx context.Context) error
	describe() string
}

// New checks the options and builds the mailer. It connects to nothing.
func New(opts Options) (*Mailer, error) {
	from, err := mail.ParseAddress(opts.From)
	if err != nil {
		return nil, fmt.Errorf("email: from address %q: %w", opts.From, err)
	}
	m := &Mailer{opts: opts, from: from}
	if opts.ReplyTo != "" {
		if m.replyTo, err = mail.ParseAddress(opts.ReplyTo); err != nil {
			return nil, fmt.Errorf("email: reply-to address %q: %w", opts.ReplyTo, err)
		}
	}
	if m.opts.Timeout <= 0 {
		m.opts.Timeout = DefaultTimeout
	}
	switch opts.Transport {
	case TransportBlackhole:
		m.sender = blackhole{}
	case TransportSMTP:
		if m.sender, err = newSMTP(m.opts); err != nil {
			return nil, err
		}
	case TransportSendmail:
		m.sender = newSendmail(m.opts)
	default:
		return nil, fmt.Errorf("email: unknown transport %q", opts.Transport)
	}
	return m, nil
}

// Transport is the configured transport.
func (m *Mailer) Transport() Transport { return m.opts.Transport }

// Describe says where mail goes, for log lines and the doctor: never the
// password.
func (m *Mailer) Describe() string { return m.sender.describe() }

// Send delivers msg. An error means it was not accepted for delivery;
// the caller may retry.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	composed, err := m.compose(msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	return m.sender.send(ctx, composed)
}

// Check proves the transport is usable without sending anything: an SMTP
// relay is connected to, greeted, upgraded to TLS and authenticated with
// as configured; a sendmail command must exist and be executable. The
// blackhole always passes. The error is the cause alone; Describe says where.
func (m *Mailer) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	return m.sender.check(ctx)
}

// blackhole sends nothing, successfully.
type blackhole struct{}

func (blackhole) send(context.Context, *gomail.Msg) error { return nil }
func (blackhole) check(context.Context) error             { return nil }
func (blackhole) describe() string                        { return "blackhole (mail is discarded)" }
