package templates

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"reflect"
	"strings"
	texttemplate "text/template"

	"mas/internal/i18n"
)

// Emails are three files each under files/emails: NAME.subject and
// NAME.txt, rendered with text/template (no HTML escaping), and NAME.html,
// rendered with html/template after emails/layout.html, which frames
// every HTML mail. Like pages, each takes a typed data struct with
// samples, may be overridden from the templates directory, and is
// rendered at load and by `templates check`.
const (
	EmailVerification = "emails/verification"
	EmailRecovery     = "emails/recovery"
)

// emailLayout is parsed into every HTML mail's set, before the mail.
const emailLayout = "emails/layout.html"

// emailRegistry lists every mail with its data type.
var emailRegistry = []pageSpec{
	page[VerificationEmail](EmailVerification),
	page[RecoveryEmail](EmailRecovery),
}

// EmailNames returns the names of the mails, each standing for its three
// files.
func EmailNames() []string {
	names := make([]string, len(emailRegistry))
	for i, e := range emailRegistry {
		names[i] = e.name
	}
	return names
}

// EmailCommon is what every mail needs: its language and the
// deployment's branding. Mails carry no links of the layout: the links
// they need are absolute and part of their own data.
type EmailCommon struct {
	// Lang is the BCP 47 language of the mail; empty renders as "en".
	Lang string
	// Locale translates the mail; nil means the embedded English catalog.
	Locale *i18n.Locale
	Branding
}

// T translates key with name/value arguments in the mail's language.
func (c EmailCommon) T(key string, args ...any) (string, error) {
	return Common{Lang: c.Lang, Locale: c.Locale}.T(key, args...)
}

// WithLocale sets the mail's language.
func (c *EmailCommon) WithLocale(l *i18n.Locale) {
	c.Locale = l
	c.Lang = l.Lang()
}

// Service is the name the mail signs with: the configured service name,
// else the catalog's generic one.
func (c EmailCommon) Service() (string, error) {
	if c.ServiceName != "" {
		return c.ServiceName, nil
	}
	return c.T("common.service_name")
}

// VerificationEmail carries a code proving control of an address, for a
// registration or for an address added on the account page.
type VerificationEmail struct {
	EmailCommon
	// Username is the account's, or the one being registered.
	Username string
	// Email is the address being verified (the recipient).
	Email string
	// Code is the 6-digit code to type in.
	Code string
	// ExpiresInMinutes is how long the code stays valid.
	ExpiresInMinutes int
}

// Sample returns representative values for Check.
func (VerificationEmail) Sample() []VerificationEmail {
	return []VerificationEmail{
		{EmailCommon: sampleEmailCommon(), Username: "alice", Email: "alice@example.com", Code: "042195", ExpiresInMinutes: 5},
		// No service name, a name that must be escaped, one minute.
		{Username: `<b>bob</b>`, Email: "bob+tag@example.com", Code: "000001", ExpiresInMinutes: 1},
	}
}

// RecoveryEmail carries the link that lets the owner of an address set a
// new password on one account.
type RecoveryEmail struct {
	EmailCommon
	// Username is the account the link recovers.
	Username string
	// Email is the recipient.
	Email string
	// Link is the absolute URL of the recovery page with its ticket.
	Link string
	// ExpiresInMinutes is how long the link stays valid.
	ExpiresInMinutes int
}

// Sample returns representative values for Check.
func (RecoveryEmail) Sample() []RecoveryEmail {
	return []RecoveryEmail{
		{
			EmailCommon: sampleEmailCommon(), Username: "alice", Email: "alice@example.com",
			Link:             "https://auth.example.com/prefix/account/password/recovery?ticket=Sample0Ticket1abcdefghijklmnopqr",
			ExpiresInMinutes: 10,
		},
		{Username: "bob", Email: "bob@example.com", Link: "https://auth.example.com/account/password/recovery?ticket=x&y=<z>", ExpiresInMinutes: 1},
	}
}

func sampleEmailCommon() EmailCommon {
	return EmailCommon{Lang: "en", Branding: sampleCommon().Branding}
}

// RenderedEmail is a mail ready to send.
type RenderedEmail struct {
	Subject string // one line
	Text    string
	HTML    string
}

// emailSet is the parsed templates of one mail.
type emailSet struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// RenderEmail renders the named mail with data, which must be the mail's
// struct (or a pointer to it).
func (t *Templates) RenderEmail(name string, data any) (RenderedEmail, error) {
	spec, ok := lookupEmail(name)
	if !ok {
		return RenderedEmail{}, fmt.Errorf("templates: no email named %q", name)
	}
	if typ := reflect.TypeOf(data); typ != spec.typ && typ != reflect.PointerTo(spec.typ) {
		return RenderedEmail{}, fmt.Errorf("templates: %s renders %s, got %T", name, spec.typ, data)
	}
	out, err := (*t.emails.Load())[name].render(data)
	if err != nil {
		return RenderedEmail{}, fmt.Errorf("templates: %s: %w", name, err)
	}
	return out, nil
}

func lookupEmail(name string) (pageSpec, bool) {
	for _, e := range emailRegistry {
		if e.name == name {
			return e, true
		}
	}
	return pageSpec{}, false
}

func (s *emailSet) render(data any) (RenderedEmail, error) {
	var subject, text, html bytes.Buffer
	if err := s.subject.Execute(&subject, data); err != nil {
		return RenderedEmail{}, err
	}
	if err := s.text.Execute(&text, data); err != nil {
		return RenderedEmail{}, err
	}
	if err := s.html.Execute(&html, data); err != nil {
		return RenderedEmail{}, err
	}
	return RenderedEmail{
		// A header is one line, whatever the template's layout.
		Subject: strings.Join(strings.Fields(subject.String()), " "),
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    html.String(),
	}, nil
}

// loadEmails parses every mail and renders it with its samples.
func loadEmails(src source) (map[string]*emailSet, error) {
	sets := make(map[string]*emailSet, len(emailRegistry))
	for _, e := range emailRegistry {
		set, err := parseEmail(src, e.name)
		if err != nil {
			return nil, err
		}
		for i, sample := range e.samples() {
			if _, err := set.render(sample); err != nil {
				return nil, fmt.Errorf("templates: %s (sample %d): %w", e.name, i, err)
			}
		}
		sets[e.name] = set
	}
	return sets, nil
}

func parseEmail(src source, name string) (*emailSet, error) {
	s := &emailSet{}
	var err error
	if s.subject, err = parseText(src, name+".subject"); err != nil {
		return nil, err
	}
	if s.text, err = parseText(src, name+".txt"); err != nil {
		return nil, err
	}
	s.html = htmltemplate.New(name + ".html").Funcs(funcs)
	for _, file := range []string{emailLayout, name + ".html"} {
		text, err := src.read(file)
		if err != nil {
			return nil, err
		}
		// As with pages, the mail's own file is the set's root.
		target := s.html
		if file == emailLayout {
			target = s.html.New(file)
		}
		if _, err := target.Parse(string(text)); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", src.origin(file), err)
		}
	}
	return s, nil
}

func parseText(src source, file string) (*texttemplate.Template, error) {
	text, err := src.read(file)
	if err != nil {
		return nil, err
	}
	t, err := texttemplate.New(file).Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("templates: %s: %w", src.origin(file), err)
	}
	return t, nil
}

// checkEmails renders every mail's samples twice: both must succeed,
// match, and fill subject and both bodies.
func (t *Templates) checkEmails() error {
	for _, e := range emailRegistry {
		for i, sample := range e.samples() {
			first, err := t.RenderEmail(e.name, sample)
			if err != nil {
				return fmt.Errorf("%w (sample %d)", err, i)
			}
			second, err := t.RenderEmail(e.name, sample)
			if err != nil {
				return fmt.Errorf("%w (sample %d)", err, i)
			}
			if first != second {
				return fmt.Errorf("templates: %s (sample %d) renders differently on each run", e.name, i)
			}
			if first.Subject == "" || strings.TrimSpace(first.Text) == "" || strings.TrimSpace(first.HTML) == "" {
				return fmt.Errorf("templates: %s (sample %d) renders an empty subject or body", e.name, i)
			}
		}
	}
	return nil
}
