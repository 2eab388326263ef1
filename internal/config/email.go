package config

import "net/mail"

// EmailConfig is the `email` section.
type EmailConfig struct {
	From      string         `yaml:"from"`
	ReplyTo   string         `yaml:"reply_to"`
	Transport EmailTransport `yaml:"transport" required:"true"`
	// SMTP settings.
	Mode         SMTPMode `yaml:"mode,omitempty"`
	Hostname     string   `yaml:"hostname,omitempty"`
	Port         uint16   `yaml:"port,omitempty"`
	Username     string   `yaml:"username,omitempty"`
	Password     string   `yaml:"password,omitempty"`
	PasswordFile string   `yaml:"password_file,omitempty"`
	// Command is the sendmail binary; empty means "sendmail".
	Command string `yaml:"command,omitempty"`
}

// EmailTransport says how mail leaves.
type EmailTransport string

const (
	TransportBlackhole EmailTransport = "blackhole"
	TransportSMTP      EmailTransport = "smtp"
	TransportSendmail  EmailTransport = "sendmail"
)

func (EmailTransport) enumValues() []string { return []string{"blackhole", "smtp", "sendmail"} }

// SMTPMode is the connection security of the SMTP relay.
type SMTPMode string

const (
	SMTPPlain    SMTPMode = "plain"
	SMTPStartTLS SMTPMode = "starttls"
	SMTPTLS      SMTPMode = "tls"
)

func (SMTPMode) enumValues() []string { return []string{"plain", "starttls", "tls"} }

// DefaultEmailAddress is upstream's From and Reply-To.
const DefaultEmailAddress = `"Authentication Service" <root@localhost>`

func (e *EmailConfig) setDefaults() {
	*e = EmailConfig{From: DefaultEmailAddress, ReplyTo: DefaultEmailAddress, Transport: TransportBlackhole}
}

// SMTPPort returns the configured port or the usual one for the mode.
func (e *EmailConfig) SMTPPort() uint16 {
	if e.Port != 0 {
		return e.Port
	}
	switch e.Mode {
	case SMTPTLS:
		return 465
	case SMTPStartTLS:
		return 587
	}
	return 25
}

// SendmailCommand returns the sendmail command, defaulting to "sendmail".
func (e *EmailConfig) SendmailCommand() string {
	if e.Command == "" {
		return "sendmail"
	}
	return e.Command
}

// PasswordValue returns the SMTP password, or "" when none is set.
func (e *EmailConfig) PasswordValue() (string, error) {
	return secretValue("email", "password", e.Password, e.PasswordFile)
}

func (e *EmailConfig) validate(v *validator) {
	const p = "email"
	for _, f := range []struct{ key, value string }{{"from", e.From}, {"reply_to", e.ReplyTo}} {
		if _, err := mail.ParseAddress(f.value); err != nil {
			v.add(joinPath(p, f.key), "invalid email address %q: %v", f.value, err)
		}
	}
	smtpOnly := []struct {
		key string
		set bool
	}{
		{"mode", e.Mode != ""}, {"hostname", e.Hostname != ""}, {"port", e.Port != 0},
		{"username", e.Username != ""}, {"password", e.Password != ""}, {"password_file", e.PasswordFile != ""},
	}
	switch e.Transport {
	case TransportSMTP:
		if e.Mode == "" {
			v.add(joinPath(p, "mode"), "required for the smtp transport")
		}
		if e.Hostname == "" {
			v.add(joinPath(p, "hostname"), "required for the smtp transport")
		}
		hasPassword := e.Password != "" || e.PasswordFile != ""
		switch {
		case e.Username != "" && !hasPassword:
			v.add(joinPath(p, "password"), "required when `username` is set (`password` or `password_file`)")
		case e.Username == "" && hasPassword:
			v.add(joinPath(p, "username"), "required when a password is set")
		}
		v.atMostOne(p, "password", e.Password, e.PasswordFile)
		if e.Command != "" {
			v.add(joinPath(p, "command"), "only applies to the sendmail transport")
		}
	case TransportSendmail:
		for _, f := range smtpOnly {
			if f.set {
				v.add(joinPath(p, f.key), "only applies to the smtp transport")
			}
		}
	case "":
		v.add(joinPath(p, "transport"), "required")
	}
}
