package policy

import "unicode/utf8"

// Registration methods.
const (
	RegistrationMethodPassword       = "password"
	RegistrationMethodUpstreamOAuth2 = "upstream-oauth2"
)

// RegisterInput describes an account about to be created.
type RegisterInput struct {
	RegistrationMethod string
	// Username is the Matrix localpart.
	Username string
	// Email is optional; empty means none was given.
	Email     string
	Requester Requester
}

// maxMXIDLength is the Matrix spec's limit on a full user ID, counted in
// characters as upstream does.
const maxMXIDLength = 255

// Register checks the username, the registration method, the requester and
// the email address (whose violations carry field "email").
func (e *Engine) Register(in RegisterInput) []Violation {
	k := e.knobs()
	var vs violations
	u := in.Username
	username := func(code, msg string) {
		vs.add(Violation{Msg: msg, Code: code, Field: "username"})
	}

	if u == "" {
		username(CodeUsernameTooShort, "username too short")
	}
	// Without a server name upstream cannot build the ID, so it skips the
	// check.
	if k.hasServerName && utf8.RuneCountInString("@"+u+":"+k.serverName) > maxMXIDLength {
		username(CodeUsernameTooLong, "username too long")
	}
	if u != "" && allBytes(u, isDigit) {
		username(CodeUsernameAllNumeric, "username must contain at least one non-numeric character")
	}
	if u == "" || !allBytes(u, isLocalpartByte) {
		username(CodeUsernameInvalidChars, "username contains invalid characters")
	}
	if k.bannedUsernames.matches(u) {
		username(CodeUsernameBanned, "username is banned")
	}
	if k.allowedUsernames != nil && !k.allowedUsernames.matches(u) {
		username(CodeUsernameNotAllowed, "username is not allowed")
	}

	if in.RegistrationMethod == "" {
		vs.msg("unspecified registration method")
	}
	if in.RegistrationMethod != RegistrationMethodPassword && in.RegistrationMethod != RegistrationMethodUpstreamOAuth2 {
		vs.msg("unknown registration method")
	}

	k.requesterViolations(&vs, in.Requester)

	if in.Email != "" {
		k.emailViolations(&vs, in.Email, "email")
	}
	return vs
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isLocalpartByte is the character set MAS accepts in new usernames:
// lowercase letters, digits and . = _ / + -.
func isLocalpartByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', isDigit(c):
		return true
	}
	switch c {
	case '.', '=', '_', '/', '+', '-':
		return true
	}
	return false
}

// allBytes works on bytes: every accepted character is ASCII, so any byte
// of a multi-byte character fails the test as the character would.
func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}
