package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// DefaultPort is the usual port of each SMTP mode, as upstream picks it.
func DefaultPort(mode Mode) int {
	switch mode {
	case ModeTLS:
		return 465
	case ModeStartTLS:
		return 587
	}
	return 25
}

// smtpTransport opens one connection per message: go-mail's client holds
// a single connection, and jobs send concurrently.
type smtpTransport struct {
	host     string
	port     int
	mode     Mode
	username string
	timeout  time.Duration
	options  []gomail.Option
}

// Mechanisms tried, best first. Without TLS, PLAIN and LOGIN would put the
// password on the wire; the operator chose plain mode (a relay on the same
// host, usually), and upstream authenticates there too, so they come
// last.
var (
	authOverTLS   = []gomail.SMTPAuthType{gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin, gomail.SMTPAuthCramMD5}
	authPlaintext = []gomail.SMTPAuthType{gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc}
)

func newSMTP(o Options) (*smtpTransport, error) {
	if o.Hostname == "" {
		return nil, errors.New("email: the SMTP hostname is required")
	}
	s := &smtpTransport{host: o.Hostname, port: o.Port, mode: o.Mode, username: o.Username, timeout: o.Timeout}
	if s.port == 0 {
		s.port = DefaultPort(o.Mode)
	}
	tlsConfig := &tls.Config{ServerName: o.Hostname, MinVersion: tls.VersionTLS12}
	if o.TLS != nil {
		tlsConfig = o.TLS.Clone()
		if tlsConfig.ServerName == "" {
			tlsConfig.ServerName = o.Hostname
		}
	}
	s.options = []gomail.Option{gomail.WithTLSConfig(tlsConfig), gomail.WithPort(s.port)}
	auth := authOverTLS
	switch o.Mode {
	case ModePlain:
		s.options = append(s.options, gomail.WithTLSPolicy(gomail.NoTLS))
		auth = authPlaintext
	case ModeStartTLS:
		s.options = append(s.options, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case ModeTLS:
		s.options = append(s.options, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("email: unknown SMTP mode %q (want plain, starttls or tls)", o.Mode)
	}
	if o.Username != "" {
		s.options = append(s.options, gomail.WithOpportunisticSMTPAuth(auth...),
			gomail.WithUsername(o.Username), gomail.WithPassword(o.Password))
	}
	if _, err := s.client(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

// client builds a client whose every network wait ends by ctx's deadline:
// go-mail bounds reads and writes by its own timeout, not by the context.
func (s *smtpTransport) client(ctx context.Context) (*gomail.Client, error) {
	timeout := s.timeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline))
	}
	if timeout <= 0 {
		return nil, context.DeadlineExceeded
	}
	c, err := gomail.NewClient(s.host, append(s.options, gomail.WithTimeout(timeout))...)
	if err != nil {
		return nil, fmt.Errorf("email: SMTP settings: %w", err)
	}
	return c, nil
}

func (s *smtpTransport) send(ctx context.Context, msg *gomail.Msg) error {
	c, err := s.client(ctx)
	if err != nil {
		return err
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("email: sending through %s: %w", s.describe(), err)
	}
	return nil
}

// check connects, greets, upgrades to TLS and authenticates as a send
// would, then quits. Its error is the bare cause: callers name the relay
// with describe.
func (s *smtpTransport) check(ctx context.Context) error {
	c, err := s.client(ctx)
	if err != nil {
		return err
	}
	conn, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return err
	}
	return c.CloseWithSMTPClient(conn)
}

func (s *smtpTransport) describe() string {
	d := "SMTP relay " + net.JoinHostPort(s.host, strconv.Itoa(s.port)) + " (" + string(s.mode)
	if s.username != "" {
		d += ", as " + s.username
	}
	return d + ")"
}
