package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration. Path uses the YAML key
// names with list indices in brackets (`http.listeners[0].binds[1].port`), so
// an operator can find the offending line without knowing our Go types.
type Problem struct {
	Path    string
	Message string
	// File and Line locate the problem in the input when it was found while
	// loading; both are empty for problems found by Validate.
	File string
	Line int
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is the error returned by Load and Validate. It lists every
// problem found rather than the first one, because a config check that makes
// the operator fix one line per run is needlessly slow.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// err returns ps as an error, or nil when there is nothing to report (a nil
// Problems stored in an error interface would not compare equal to nil).
func (ps Problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

func (ps *Problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// joinPath appends a key to a dotted path.
func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

// indexPath appends a list index to a path.
func indexPath(base string, i int) string {
	return fmt.Sprintf("%s[%d]", base, i)
}
