package policy

import "strings"

// EmailInput describes an email address about to be added to an account.
type EmailInput struct {
	Email     string
	Requester Requester
}

const (
	msgEmailDomainNotAllowed = "email domain is not allowed"
	msgEmailDomainBanned     = "email domain is banned"
	msgEmailNotAllowed       = "email is not allowed"
)

// Email checks an address against the domain and address lists and the
// requester.
func (e *Engine) Email(in EmailInput) []Violation {
	var vs violations
	k := e.knobs()
	k.emailViolations(&vs, in.Email, "")
	k.requesterViolations(&vs, in.Requester)
	return vs
}

// emailViolations applies the address rules, tagging each violation with
// field (registration reports them against its "email" field).
func (k *knobs) emailViolations(vs *violations, email, field string) {
	// An address with no "@" or several has no domain: it matches no
	// domain pattern, so an allow-list refuses it and a ban list ignores it.
	domain, hasDomain := "", false
	if parts := strings.Split(email, "@"); len(parts) == 2 {
		domain, hasDomain = parts[1], true
	}

	if k.allowedDomains != nil && !(hasDomain && anyGlobMatch(k.allowedDomains, domain)) {
		vs.add(Violation{Msg: msgEmailDomainNotAllowed, Code: CodeEmailDomainNotAllowed, Field: field})
	}
	if hasDomain && anyGlobMatch(k.bannedDomains, domain) {
		vs.add(Violation{Msg: msgEmailDomainBanned, Code: CodeEmailDomainBanned, Field: field})
	}
	if k.allowedEmails != nil && !k.allowedEmails.matches(email) {
		vs.add(Violation{Msg: msgEmailNotAllowed, Code: CodeEmailNotAllowed, Field: field})
	}
	if k.bannedEmails.matches(email) {
		// Upstream words a ban like a refusal; only the code differs.
		vs.add(Violation{Msg: msgEmailNotAllowed, Code: CodeEmailBanned, Field: field})
	}
}
