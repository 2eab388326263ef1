package email_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mas/internal/email"
	"mas/internal/email/mailpittest"
)

const (
	from    = `"Example Service" <noreply@example.org>`
	replyTo = `"Support" <support@example.org>`
)

func sample(to string) email.Message {
	return email.Message{
		To:      to,
		Subject: "Your code\n is 123456",
		Text:    "Hello,\nyour code is 123456.\n",
		HTML:    "<p>Hello, your code is <strong>123456</strong>.</p>",
	}
}

func newMailer(t *testing.T, o email.Options) *email.Mailer {
	t.Helper()
	if o.From == "" {
		o.From = from
	}
	m, err := email.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Plain SMTP to a real server: the mail arrives with its subject on one
// line, both parts, the configured From and Reply-To, and marked as
// automatic.
func TestSMTPPlainThroughMailpit(t *testing.T) {
	mp := mailpittest.Require(t)
	m := newMailer(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModePlain,
		Hostname: mp.SMTPHost, Port: mp.SMTPPort, ReplyTo: replyTo})
	to := mailpittest.Address("plain")
	if err := m.Send(t.Context(), sample(to)); err != nil {
		t.Fatal(err)
	}
	got := mp.Wait(t, to, 1)[0]
	if got.Subject != "Your code is 123456" {
		t.Errorf("subject %q", got.Subject)
	}
	if got.From.Address != "noreply@example.org" || got.From.Name != "Example Service" {
		t.Errorf("from %+v", got.From)
	}
	if len(got.ReplyTo) != 1 || got.ReplyTo[0].Address != "support@example.org" {
		t.Errorf("reply-to %+v", got.ReplyTo)
	}
	if !strings.Contains(got.Text, "your code is 123456.") || !strings.Contains(got.HTML, "<strong>123456</strong>") {
		t.Errorf("bodies:\ntext %q\nhtml %q", got.Text, got.HTML)
	}
	if v := got.Headers["Auto-Submitted"]; !slices.Equal(v, []string{"auto-generated"}) {
		t.Errorf("Auto-Submitted = %v", v)
	}
	if _, ok := got.Headers["User-Agent"]; ok {
		t.Errorf("the mail names the library: %v", got.Headers["User-Agent"])
	}
	if err := m.Check(t.Context()); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// Credentials in plain mode: the relay is asked to authenticate (mailpit
// here accepts any login), as upstream does for a relay on the same host.
func TestSMTPPlainWithCredentials(t *testing.T) {
	mp := mailpittest.Require(t)
	m := newMailer(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModePlain,
		Hostname: mp.SMTPHost, Port: mp.SMTPPort, Username: "relay-user", Password: "relay-pass"})
	if err := m.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	to := mailpittest.Address("plain-auth")
	if err := m.Send(t.Context(), sample(to)); err != nil {
		t.Fatal(err)
	}
	mp.Wait(t, to, 1)
}

// STARTTLS: the connection is upgraded before the password is sent, and
// the relay's certificate is verified.
func TestSMTPStartTLS(t *testing.T) {
	s := newSink(t, sinkOptions{user: "alice", pass: "s3cret"})
	m := newMailer(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModeStartTLS,
		Hostname: s.Host, Port: s.Port, Username: "alice", Password: "s3cret", TLS: s.ClientTLS})
	if err := m.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if n := len(s.messages()); n != 0 {
		t.Fatalf("Check sent %d messages", n)
	}
	if err := m.Send(t.Context(), sample("bob@example.net")); err != nil {
		t.Fatal(err)
	}
	got := s.messages()
	if len(got) != 1 || !got[0].TLS || got[0].From != "noreply@example.org" || !slices.Equal(got[0].To, []string{"bob@example.net"}) {
		t.Fatalf("received %+v", got)
	}
	if !strings.Contains(string(got[0].Data), "Subject: Your code is 123456") {
		t.Errorf("message:\n%s", got[0].Data)
	}
	if logins := s.logins(); !slices.Equal(logins, []string{"alice", "alice"}) {
		t.Errorf("logins %v, want one per connection", logins)
	}

	t.Run("wrong password", func(t *testing.T) {
		bad := newMailer(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModeStartTLS,
			Hostname: s.Host, Port: s.Port, Username: "alice", Password: "wrong", TLS: s.ClientTLS})
		err := bad.Check(t.Context())
		if err == nil {
			t.Fatal("Check passed with a wrong password")
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Errorf("the error shows the password: %v", err)
		}
		if err := bad.Send(t.Context(), sample("bob@example.net")); err == nil {
			t.Fatal("Send passed with a wrong password")
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		bad := newMailer(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModeStartTLS,
			Hostname: s.Host, Port: s.Port, Username: "alice", Password: "s3cret"})
		if err := bad.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("Check = %v, want a certificate error", err)
		}
	})
}

// starttls mode refuses a relay that cannot upgrade, rather than sending
// in clear.
func TestSMTPStartTLSIsMandatory(t *testing.T) {
	s := newSink(t, sinkOptions{noTLS: true})
	m := newMailer(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModeStartTLS,
		Hostname: s.Host, Port: s.Port})
	if err := m.Send(t.Context(), sample("bob@example.net")); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send = %v, want a STARTTLS error", err)
	}
	if n := len(s.messages()); n != 0 {
		t.Fatalf("%d messages sent in clear", n)
	}
}

// tls mode speaks TLS from the first byte.
func TestSMTPImplicitTLS(t *testing.T) {
	s := newSink(t, sinkOptions{implicitTLS: true, user: "alice", pass: "s3cret"})
	m := newMailer(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModeTLS,
		Hostname: s.Host, Port: s.Port, Username: "alice", Password: "s3cret", TLS: s.ClientTLS})
	if err := m.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := m.Send(t.Context(), sample("bob@example.net")); err != nil {
		t.Fatal(err)
	}
	if got := s.messages(); len(got) != 1 || !got[0].TLS {
		t.Fatalf("received %+v", got)
	}
	// The same server in plain mode gets no SMTP greeting it understands.
	plain := newMailer(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModePlain,
		Hostname: s.Host, Port: s.Port, Timeout: 2 * time.Second})
	if err := plain.Check(t.Context()); err == nil {
		t.Fatal("plain mode talked to a TLS-only relay")
	}
}

// A relay that is down fails both the check and the send at once, naming
// where it tried.
func TestSMTPUnreachable(t *testing.T) {
	host, port := mailpittest.Unreachable(t)
	m := newMailer(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModePlain, Hostname: host, Port: port})
	for name, err := range map[string]error{
		"Check": m.Check(t.Context()),
		"Send":  m.Send(t.Context(), sample("bob@example.net")),
	} {
		if err == nil || !strings.Contains(err.Error(), host) {
			t.Errorf("%s = %v, want an error naming %s", name, err, host)
		}
	}
}

// A cancelled or expired context ends the conversation.
func TestSMTPHonoursDeadline(t *testing.T) {
	host, port := mailpittest.Unreachable(t)
	m := newMailer(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModePlain, Hostname: host, Port: port})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := m.Check(ctx); err == nil {
		t.Fatal("Check passed with a cancelled context")
	}
}

// The sendmail transport runs the command with upstream's arguments and
// the whole message on stdin.
func TestSendmail(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, dir, "fake-sendmail", `printf '%s\n' "$@" > "$(dirname "$0")/args"
cat > "$(dirname "$0")/stdin"
`)
	m := newMailer(t, email.Options{Transport: email.TransportSendmail, Command: script, ReplyTo: replyTo})
	if err := m.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := m.Send(t.Context(), sample("bob@example.net")); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	if got := strings.Fields(string(args)); !slices.Equal(got, []string{"-i", "-f", "noreply@example.org", "--", "bob@example.net"}) {
		t.Errorf("arguments %q", got)
	}
	stdin, _ := os.ReadFile(filepath.Join(dir, "stdin"))
	for _, want := range []string{"To: <bob@example.net>", "Subject: Your code is 123456", "Reply-To: \"Support\" <support@example.org>",
		"Content-Type: text/plain", "Content-Type: text/html", "your code is 123456."} {
		if !strings.Contains(string(stdin), want) {
			t.Errorf("message lacks %q:\n%s", want, stdin)
		}
	}

	t.Run("command fails", func(t *testing.T) {
		failing := writeScript(t, t.TempDir(), "failing-sendmail", "cat >/dev/null\necho 'recipient refused' >&2\nexit 67\n")
		m := newMailer(t, email.Options{Transport: email.TransportSendmail, Command: failing})
		err := m.Send(t.Context(), sample("bob@example.net"))
		if err == nil || !strings.Contains(err.Error(), "recipient refused") {
			t.Fatalf("Send = %v, want the command's complaint", err)
		}
	})
	t.Run("command missing", func(t *testing.T) {
		m := newMailer(t, email.Options{Transport: email.TransportSendmail, Command: filepath.Join(dir, "absent")})
		if err := m.Check(t.Context()); err == nil {
			t.Fatal("Check passed without the command")
		}
		if err := m.Send(t.Context(), sample("bob@example.net")); err == nil {
			t.Fatal("Send passed without the command")
		}
	})
}

func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// The blackhole accepts everything and sends nothing.
func TestBlackhole(t *testing.T) {
	m := newMailer(t, email.Options{Transport: email.TransportBlackhole})
	if err := m.Send(t.Context(), sample("bob@example.net")); err != nil {
		t.Fatal(err)
	}
	if err := m.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Describe(), "blackhole") {
		t.Errorf("Describe() = %q", m.Describe())
	}
}

func TestRejects(t *testing.T) {
	for name, o := range map[string]email.Options{
		"bad from":          {Transport: email.TransportBlackhole, From: "not an address"},
		"bad reply-to":      {Transport: email.TransportBlackhole, From: from, ReplyTo: "<>"},
		"unknown":           {Transport: "pigeon", From: from},
		"no hostname":       {Transport: email.TransportSMTP, From: from, Mode: email.ModePlain},
		"unknown SMTP mode": {Transport: email.TransportSMTP, From: from, Mode: "ssl", Hostname: "mail.example.org"},
	} {
		if _, err := email.New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	m := newMailer(t, email.Options{Transport: email.TransportBlackhole})
	for _, to := range []string{"", "not an address", "a@b\r\nBcc: x@y"} {
		if err := m.Send(t.Context(), sample(to)); err == nil {
			t.Errorf("recipient %q accepted", to)
		}
	}
}

func TestDescribeAndPorts(t *testing.T) {
	for mode, want := range map[email.Mode]int{email.ModePlain: 25, email.ModeStartTLS: 587, email.ModeTLS: 465} {
		if got := email.DefaultPort(mode); got != want {
			t.Errorf("DefaultPort(%s) = %d, want %d", mode, got, want)
		}
	}
	m := newMailer(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModeStartTLS,
		Hostname: "mail.example.org", Username: "alice", Password: "s3cret"})
	if got, want := m.Describe(), "SMTP relay mail.example.org:587 (starttls, as alice)"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}
