package doctor

import (
	"io"
	"strings"
	"unicode"
)

// hintIndent starts every line that explains the result above it.
const hintIndent = "   "

// minRedactedSecret is the shortest secret the output is scrubbed of: a
// secret of one or two characters would turn every message into noise, and
// the checks never print the secret themselves; scrubbing only guards
// against a homeserver echoing it back.
const minRedactedSecret = 6

// reporter writes result lines and counts them. It keeps the first write
// error and stops writing after it.
type reporter struct {
	w       io.Writer
	secret  string
	summary Summary
	err     error
}

func (r *reporter) info(msg string) { r.emit("", msg, nil) }

func (r *reporter) pass(msg string) {
	r.summary.Passed++
	r.emit("✅ ", msg, nil)
}

func (r *reporter) warn(msg string, hints ...string) {
	r.summary.Warnings++
	r.emit("⚠️ ", msg, hints)
}

func (r *reporter) fail(msg string, hints ...string) {
	r.summary.Failures++
	r.emit("❌ ", msg, hints)
}

// emit writes the message after its marker and each hint line indented
// below it. Hints may contain newlines; empty lines stay empty.
func (r *reporter) emit(marker, msg string, hints []string) {
	var b strings.Builder
	for i, line := range strings.Split(r.clean(msg), "\n") {
		if i == 0 {
			b.WriteString(marker)
		} else {
			b.WriteString(hintIndent)
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	for _, h := range hints {
		for _, line := range strings.Split(r.clean(h), "\n") {
			if strings.TrimSpace(line) != "" {
				b.WriteString(hintIndent)
				b.WriteString(strings.TrimRight(line, " \t"))
			}
			b.WriteByte('\n')
		}
	}
	if r.err != nil {
		return
	}
	_, r.err = io.WriteString(r.w, b.String())
}

// clean makes remote-controlled text (error messages, bodies, Location
// headers) safe to print: the shared secret is masked, and control and
// formatting characters, which could drive the terminal, are replaced.
func (r *reporter) clean(s string) string {
	if len(r.secret) >= minRedactedSecret {
		s = strings.ReplaceAll(s, r.secret, "<redacted>")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(c rune) rune {
		switch {
		case c == '\n' || c == '\t':
			return c
		case unicode.IsControl(c) || unicode.Is(unicode.Cf, c):
			// Cf covers the bidirectional overrides that can make a
			// line read differently from what it says.
			return '�'
		}
		return c
	}, s)
}
