package policy

import "strings"

// Violation codes that callers branch on. Messages are for humans; codes are
// stable.
const (
	CodeUsernameTooShort      = "username-too-short"
	CodeUsernameTooLong       = "username-too-long"
	CodeUsernameAllNumeric    = "username-all-numeric"
	CodeUsernameInvalidChars  = "username-invalid-chars"
	CodeUsernameBanned        = "username-banned"
	CodeUsernameNotAllowed    = "username-not-allowed"
	CodeEmailDomainNotAllowed = "email-domain-not-allowed"
	CodeEmailDomainBanned     = "email-domain-banned"
	CodeEmailNotAllowed       = "email-not-allowed"
	CodeEmailBanned           = "email-banned"
	CodeTooManySessions       = "too-many-sessions"
)

// Violation is one reason an action is refused. The JSON shape is the one
// upstream's policies produce.
type Violation struct {
	Msg  string `json:"msg"`
	Code string `json:"code,omitempty"`
	// Field names the form field at fault ("username", "email").
	Field string `json:"field,omitempty"`
	// RedirectURI is set on client registration violations about one of
	// the client's redirect URIs.
	RedirectURI string `json:"redirect_uri,omitempty"`
	// NeedToRemove is how many sessions the user must end before a new one
	// fits under the session limit (code too-many-sessions).
	NeedToRemove int `json:"need_to_remove,omitempty"`
}

// Join renders violations the way upstream describes a failed evaluation:
// their messages separated by ", ".
func Join(vs []Violation) string {
	msgs := make([]string, len(vs))
	for i, v := range vs {
		msgs[i] = v.Msg
	}
	return strings.Join(msgs, ", ")
}

// HasRedirectURIViolation reports whether a client registration was refused
// because of a redirect URI, which OAuth 2.0 dynamic registration reports as
// invalid_redirect_uri rather than invalid_client_metadata.
func HasRedirectURIViolation(vs []Violation) bool {
	for _, v := range vs {
		// An empty redirect URI is still a redirect URI violation.
		if v.RedirectURI != "" || v.Msg == msgInvalidRedirectURI {
			return true
		}
	}
	return false
}

// violations collects results with set semantics: upstream's rules yield a
// set, so the same violation found by two rules is reported once.
type violations []Violation

func (vs *violations) add(v Violation) {
	for _, have := range *vs {
		if have == v {
			return
		}
	}
	*vs = append(*vs, v)
}

func (vs *violations) msg(m string) { vs.add(Violation{Msg: m}) }
