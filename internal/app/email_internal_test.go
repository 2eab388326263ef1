package app

import (
	"os"
	"path/filepath"
	"testing"

	"mas/internal/config"
	"mas/internal/email"
)

// The email section maps onto the mailer: ports default by mode, the
// password may come from a file, sendmail's command defaults to sendmail,
// and settings of other transports are not carried over.
func TestEmailOptions(t *testing.T) {
	passwordFile := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(passwordFile, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   config.EmailConfig
		want email.Options
	}{
		{"blackhole", config.EmailConfig{Transport: config.TransportBlackhole, From: "a@example.org", ReplyTo: "b@example.org"},
			email.Options{Transport: email.TransportBlackhole, From: "a@example.org", ReplyTo: "b@example.org"}},
		{"smtp plain", config.EmailConfig{Transport: config.TransportSMTP, From: "a@example.org", Mode: config.SMTPPlain, Hostname: "mx"},
			email.Options{Transport: email.TransportSMTP, From: "a@example.org", Mode: email.ModePlain, Hostname: "mx", Port: 25}},
		{"smtp starttls", config.EmailConfig{Transport: config.TransportSMTP, Mode: config.SMTPStartTLS, Hostname: "mx",
			Username: "alice", Password: "inline"},
			email.Options{Transport: email.TransportSMTP, Mode: email.ModeStartTLS, Hostname: "mx", Port: 587, Username: "alice", Password: "inline"}},
		{"smtp tls, password file, port", config.EmailConfig{Transport: config.TransportSMTP, Mode: config.SMTPTLS, Hostname: "mx", Port: 2465,
			Username: "alice", PasswordFile: passwordFile},
			email.Options{Transport: email.TransportSMTP, Mode: email.ModeTLS, Hostname: "mx", Port: 2465, Username: "alice", Password: "from-a-file"}},
		{"smtp tls default port", config.EmailConfig{Transport: config.TransportSMTP, Mode: config.SMTPTLS, Hostname: "mx"},
			email.Options{Transport: email.TransportSMTP, Mode: email.ModeTLS, Hostname: "mx", Port: 465}},
		{"sendmail default", config.EmailConfig{Transport: config.TransportSendmail},
			email.Options{Transport: email.TransportSendmail, Command: "sendmail"}},
		{"sendmail command", config.EmailConfig{Transport: config.TransportSendmail, Command: "/usr/sbin/sendmail"},
			email.Options{Transport: email.TransportSendmail, Command: "/usr/sbin/sendmail"}},
	}
	for _, tc := range tests {
		got, err := emailOptions(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
	if _, err := emailOptions(config.EmailConfig{Transport: config.TransportSMTP, Mode: config.SMTPPlain, Hostname: "mx",
		Username: "alice", PasswordFile: filepath.Join(t.TempDir(), "absent")}); err == nil {
		t.Error("a missing password file was accepted")
	}
}
