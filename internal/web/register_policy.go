package web

import (
	"net/http"

	"mas/internal/domain"
	"mas/internal/policy"
	"mas/internal/requestctx"
	"mas/internal/templates"
)

// registrationPolicy is the engine the register and email policies are
// evaluated with; without one, the rules apply without data.
func (h *Handler) registrationPolicy() *policy.Engine {
	if h.Policy != nil {
		return h.Policy
	}
	return &policy.Engine{}
}

// requester describes who is registering, for the policies' bans.
func requester(r *http.Request) policy.Requester {
	return policy.Requester{IPAddress: requestctx.ClientIP(r.Context()), UserAgent: requestUserAgent(r)}
}

// registerInput is the register policy's input. An address that is not
// one is left out, so that it gets its own message rather than the
// domain rules'.
func registerInput(r *http.Request, username, email string, emailOK bool) policy.RegisterInput {
	in := policy.RegisterInput{RegistrationMethod: policy.RegistrationMethodPassword, Username: username, Requester: requester(r)}
	if emailOK {
		in.Email = email
	}
	return in
}

// policyMessages words the violations a registration form shows next to
// its fields; others are shown with the policy's own text.
var policyMessages = map[string]string{
	policy.CodeUsernameTooShort:      "register.error.username_required",
	policy.CodeUsernameTooLong:       "register.error.username_too_long",
	policy.CodeUsernameAllNumeric:    "register.error.username_all_numeric",
	policy.CodeUsernameInvalidChars:  "register.error.username_invalid_chars",
	policy.CodeUsernameBanned:        "register.error.username_banned",
	policy.CodeUsernameNotAllowed:    "register.error.username_not_allowed",
	policy.CodeEmailDomainNotAllowed: "register.error.email_domain_not_allowed",
	policy.CodeEmailDomainBanned:     "register.error.email_domain_banned",
	policy.CodeEmailNotAllowed:       "register.error.email_not_allowed",
	policy.CodeEmailBanned:           "register.error.email_not_allowed",
}

func policyMessage(v policy.Violation) templates.Message {
	if key, ok := policyMessages[v.Code]; ok {
		return templates.Msg(key)
	}
	return templates.Msg("register.error.policy", "reason", v.Msg)
}

// registrationEmailProblem checks a new address of a registration: its
// shape, then the email policy. The zero Message means it may be used.
func (h *Handler) registrationEmailProblem(r *http.Request, email string) templates.Message {
	switch {
	case email == "":
		return templates.Msg("register.error.email_required")
	case !domain.IsMailableAddress(email):
		return templates.Msg("register.error.email_invalid")
	}
	if vs := h.registrationPolicy().Email(policy.EmailInput{Email: email, Requester: requester(r)}); len(vs) > 0 {
		return policyMessage(vs[0])
	}
	return templates.Message{}
}
