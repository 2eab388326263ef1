package domain

import "net/mail"

// maxEmailLength is the longest address SMTP can carry (RFC 5321 §4.5.3.1).
const maxEmailLength = 254

// IsMailableAddress reports whether email is a bare address (no display
// name, nothing around it) short enough for SMTP: what every place that
// stores an address accepts.
func IsMailableAddress(email string) bool {
	a, err := mail.ParseAddress(email)
	return err == nil && a.Name == "" && a.Address == email && len(email) <= maxEmailLength
}
