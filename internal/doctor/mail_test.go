package doctor_test

import (
	"path/filepath"
	"strings"
	"testing"

	"mas/internal/doctor"
	"mas/internal/email"
	"mas/internal/email/mailpittest"
)

func mailCheck(t *testing.T, o email.Options, neededBy ...string) *doctor.Mail {
	t.Helper()
	o.From = "noreply@example.org"
	m, err := email.New(o)
	if err != nil {
		t.Fatal(err)
	}
	d := &doctor.Mail{Transport: string(o.Transport), Target: m.Describe(), NeededBy: neededBy}
	if o.Transport != email.TransportBlackhole {
		d.Check = m.Check
	}
	return d
}

// The blackhole passes while nothing needs mail, and fails, pointing at
// the log fallback, once registration or recovery does.
func TestMailBlackhole(t *testing.T) {
	d := newDeployment(t, masSecret)
	d.opts.Mail = mailCheck(t, email.Options{Transport: email.TransportBlackhole})
	out, sum := run(t, d.opts)
	mustContain(t, out, "✅ email.transport is blackhole: no mail is sent, and nothing enabled needs any")
	if sum != (doctor.Summary{Passed: resultCount + 1}) {
		t.Errorf("summary = %+v", sum)
	}

	d.opts.Mail = mailCheck(t, email.Options{Transport: email.TransportBlackhole}, "password registration", "password recovery")
	out, sum = run(t, d.opts)
	mustContain(t, out, "❌ email.transport is blackhole, so no mail is sent, but password registration and password recovery need it",
		"Set email.transport to smtp")
	// The blackhole "sends" successfully, so no code reaches the log.
	if strings.Contains(out, "give this verification code") {
		t.Errorf("the blackhole hint promises logged codes:\n%s", out)
	}
	if sum.Failures != 1 {
		t.Errorf("summary = %+v", sum)
	}
}

// An SMTP relay that is down fails the check, naming it, with hints.
func TestMailSMTPUnreachable(t *testing.T) {
	host, port := mailpittest.Unreachable(t)
	d := newDeployment(t, masSecret)
	d.opts.Mail = mailCheck(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModeStartTLS, Hostname: host, Port: port,
		Username: "alice", Password: "smtp-password-123"})
	out, sum := run(t, d.opts)
	mustContain(t, out, "❌ Cannot send mail through the "+d.opts.Mail.Target+": ",
		"email.hostname, email.port and email.mode", `"give this verification code"`)
	if strings.Contains(out, "smtp-password-123") {
		t.Errorf("the SMTP password was printed:\n%s", out)
	}
	if sum.Failures != 1 || sum.Passed != resultCount {
		t.Errorf("summary = %+v", sum)
	}
}

// A working relay passes: the check connects without sending anything.
func TestMailSMTPWorks(t *testing.T) {
	mp := mailpittest.Require(t)
	d := newDeployment(t, masSecret)
	d.opts.Mail = mailCheck(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModePlain, Hostname: mp.SMTPHost, Port: mp.SMTPPort})
	out, sum := run(t, d.opts)
	mustContain(t, out, "✅ Mail can be sent through the SMTP relay "+mp.SMTPAddr()+" (plain)")
	if sum != (doctor.Summary{Passed: resultCount + 1}) {
		t.Errorf("summary = %+v\n%s", sum, out)
	}
}

func TestMailSendmailMissing(t *testing.T) {
	d := newDeployment(t, masSecret)
	d.opts.Mail = mailCheck(t, email.Options{Transport: email.TransportSendmail, Command: filepath.Join(t.TempDir(), "sendmail")})
	out, _ := run(t, d.opts)
	mustContain(t, out, "❌ Cannot send mail through the sendmail command", "email.command")
}

// In standalone mode, where the homeserver checks are skipped, mail is
// still checked.
func TestMailCheckedInStandalone(t *testing.T) {
	out, sum := run(t, doctor.Options{Issuer: issuer, ServerName: serverName, Endpoint: "http://127.0.0.1:1/", Standalone: true,
		Mail: mailCheck(t, email.Options{Transport: email.TransportBlackhole})})
	mustContain(t, out, "✅ email.transport is blackhole")
	if sum.Failures != 1 || sum.Passed != 2 { // the issuer and mail
		t.Errorf("summary = %+v", sum)
	}
}
