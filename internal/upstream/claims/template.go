package claims

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
)

// template is one parsed, guarded template; safe for concurrent use.
type template struct {
	source string
	parsed *exec.Template
}

const templateID = "/claims"

// parseTemplate parses a template once. Its error, if any, is the
// parser's message, fit to show an operator.
func parseTemplate(source string) (t *template, err error) {
	if len(source) > MaxTemplateBytes {
		return nil, fmt.Errorf("template is longer than %d bytes", MaxTemplateBytes)
	}
	if strings.Contains(source, reservedPrefix) {
		return nil, fmt.Errorf("names starting with %q are reserved", reservedPrefix)
	}
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("cannot parse template: %v", r)
		}
	}()
	loader, err := loaders.NewMemoryLoader(map[string]string{templateID: source})
	if err != nil {
		return nil, err
	}
	parsed, err := exec.NewTemplate(templateID, config.New(), loader, environment.env)
	if err != nil {
		// gonja prefixes the whole source; the cause is what matters.
		if cause := errors.Unwrap(err); cause != nil {
			err = cause
		}
		return nil, err
	}
	if err := guardTree(parsed.Root(), environment); err != nil {
		return nil, err
	}
	return &template{source: source, parsed: parsed}, nil
}

// errNoValue reports a template that looked through a missing claim
// (`user.missing.foo`): the result is no value, not a template failure.
var errNoValue = errors.New("no value")

// render renders the template with the given variables, within the
// bounds of limits.go. The output is valid UTF-8 (invalid bytes, as a
// b64decode can produce, are replaced as upstream does).
func (t *template) render(vars map[string]any) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("%v", r)
		}
	}()
	data := make(map[string]any, len(vars)+1)
	for k, v := range vars {
		data[k] = v
	}
	data[budgetVar] = newBudget()
	w := &limitWriter{}
	if err := t.parsed.Execute(w, exec.NewContext(data)); err != nil {
		if lookedThroughNone(err) {
			return "", errNoValue
		}
		return "", renderError(err)
	}
	return strings.ToValidUTF8(string(w.buf), "\uFFFD"), nil
}

// lookedThroughNone recognises gonja's errors for reading through None:
// an attribute or item of None, or a method called on None. gonja turns
// filter errors into plain text, so the text is all there is to go by;
// the tests pin these messages to the gonja version in go.mod.
func lookedThroughNone(err error) bool {
	msg := err.Error()
	if strings.Contains(msg, "Can't use getattr on None") || strings.Contains(msg, "Can't use Getitem on None") {
		return true
	}
	return strings.Contains(msg, " of : '") && strings.HasSuffix(msg, "' is not callable on ")
}

// maxErrorText keeps template errors short in logs: gonja quotes values in
// some messages, and claims have no business filling an operator's log.
const maxErrorText = 200

var (
	lineRE          = regexp.MustCompile(`at line (\d+)`)
	methodCallRE    = regexp.MustCompile(`invalid call to method '([^']*)' of `)
	unknownMethodRE = regexp.MustCompile(`unknown method '([^']*)' for `)
)

// renderError reduces gonja's nested error text to what an operator needs:
// the line and the innermost reason, or which limit was hit. gonja quotes
// the value a method was called on; those messages are replaced by ones
// that name the method only.
func renderError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, errLimit.Error()); i >= 0 {
		detail := strings.TrimPrefix(msg[i+len(errLimit.Error()):], ": ")
		return fmt.Errorf("%w: %s", errLimit, shorten(detail))
	}
	var reason string
	if m := unknownMethodRE.FindAllStringSubmatch(msg, -1); m != nil {
		reason = fmt.Sprintf("no method %q for this value", m[len(m)-1][1])
	} else if m := methodCallRE.FindAllStringSubmatch(msg, -1); m != nil {
		reason = fmt.Sprintf("method %q failed (wrong value or arguments)", m[len(m)-1][1])
	} else {
		reason = msg
		if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
			reason = msg[i+2:]
		}
	}
	reason = shorten(strings.TrimSpace(reason))
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("line %s: %s", m[1], reason)
	}
	return errors.New(reason)
}

func shorten(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	return strings.ToValidUTF8(s[:maxErrorText], "") + "…"
}
