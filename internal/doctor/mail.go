package doctor

import (
	"context"
	"strings"
)

// Mail describes the email settings for the mail check.
type Mail struct {
	// Transport is email.transport: blackhole, smtp or sendmail.
	Transport string
	// Target says where mail goes, as the service describes it, e.g.
	// "SMTP relay mail.example.org:587 (starttls, as alice)". It never
	// holds the password.
	Target string
	// NeededBy names the enabled features that send mail.
	NeededBy []string
	// Check proves the transport usable without sending: it connects,
	// upgrades to TLS and logs in as configured. Nil for the blackhole.
	Check func(ctx context.Context) error
}

// logHint tells operators where codes go while mail does not work.
const logHint = "Until mail works, the service logs each verification code it could not send:\n" +
	`search its log for "give this verification code".`

// checkMail (ours): the mail transport is usable, or, for the blackhole,
// nothing that is enabled needs mail.
func (d *doctor) checkMail(ctx context.Context, m *Mail) {
	if m == nil {
		return
	}
	if m.Check == nil {
		if len(m.NeededBy) == 0 {
			d.out.pass("email.transport is " + m.Transport + ": no mail is sent, and nothing enabled needs any")
			return
		}
		d.out.fail("email.transport is "+m.Transport+", so no mail is sent, but "+strings.Join(m.NeededBy, " and ")+" need it",
			"Users never receive their verification codes or recovery links.",
			"Set email.transport to smtp (with email.mode, email.hostname and, if the relay asks for a login,",
			"email.username and email.password) or to sendmail.",
			"See "+docsBase+"/reference/configuration.html#email")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	if err := m.Check(ctx); err != nil {
		hints := []string{"Check email.hostname, email.port and email.mode (plain, starttls or tls) and, if the relay",
			"asks for a login, email.username and email.password."}
		if m.Transport == "sendmail" {
			hints = []string{"Install a sendmail-compatible program, or set email.command to its full path."}
		}
		hints = append(hints, logHint, "See "+docsBase+"/reference/configuration.html#email")
		d.out.fail("Cannot send mail through the "+m.Target+": "+err.Error(), hints...)
		return
	}
	d.out.pass("Mail can be sent through the " + m.Target)
}
