package domain

import (
	"strings"
	"unicode/utf8"
)

// IsText reports whether s is text the service accepts from outside and
// can store: valid UTF-8 without NUL characters. PostgreSQL refuses both
// in text columns (SQLite would store them), so every protocol refuses
// them at its edge with its own error instead.
func IsText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
