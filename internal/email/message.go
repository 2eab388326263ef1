package email

import (
	"fmt"
	"net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// compose turns msg into a MIME message: text, with the HTML as its
// alternative, from and reply-to as configured.
func (m *Mailer) compose(msg Message) (*gomail.Msg, error) {
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return nil, fmt.Errorf("email: recipient %q: %w", msg.To, err)
	}
	// No User-Agent: the library and its version are nobody's business.
	g := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	g.FromMailAddress(m.from)
	if m.replyTo != nil {
		g.ReplyToMailAddress(m.replyTo)
	}
	g.ToMailAddress(to)
	g.Subject(oneLine(msg.Subject))
	// RFC 3834: automatic replies (vacation notices) must not answer.
	g.SetGenHeader("Auto-Submitted", "auto-generated")
	g.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		g.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return g, nil
}

// oneLine folds a subject a template spread over lines into one.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
