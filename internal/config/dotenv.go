package config

import (
	"fmt"
	"regexp"
	"strings"
)

// EnvVar is one assignment of a .env file.
type EnvVar struct {
	Name, Value string
}

var dotenvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// ParseDotEnv reads a .env file, as upstream's mas-cli does at start (the
// dotenvy format): `NAME=value` lines, optionally prefixed by `export`;
// blank lines and lines starting with '#' are skipped; a value may be bare
// (trimmed, and cut at " #" for a comment), in single quotes (taken as
// is), or in double quotes (with \n, \t, \", \\ and \$ escapes, possibly
// over several lines). Every malformed line is reported with its line
// number; nothing is returned then.
func ParseDotEnv(name string, data []byte) ([]EnvVar, error) {
	var vars []EnvVar
	var probs Problems
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, rest, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok {
			probs = append(probs, Problem{File: name, Line: lineNo, Message: "expected NAME=value"})
			continue
		}
		if !dotenvName.MatchString(key) {
			probs = append(probs, Problem{File: name, Line: lineNo, Message: fmt.Sprintf("%q is not a variable name", key)})
			continue
		}
		rest = strings.TrimLeft(rest, " \t")
		var value string
		switch {
		case strings.HasPrefix(rest, "'"):
			end := strings.Index(rest[1:], "'")
			if end < 0 {
				probs = append(probs, Problem{File: name, Line: lineNo, Message: "unterminated single-quoted value"})
				continue
			}
			value = rest[1 : 1+end]
			if trailing := strings.TrimSpace(rest[2+end:]); trailing != "" && !strings.HasPrefix(trailing, "#") {
				probs = append(probs, Problem{File: name, Line: lineNo, Message: "unexpected text after the closing quote"})
				continue
			}
		case strings.HasPrefix(rest, `"`):
			text := rest[1:]
			var v string
			var done bool
			var trailing string
			for {
				v2, after, closed, err := unquoteDouble(text)
				v += v2
				if err != nil {
					probs = append(probs, Problem{File: name, Line: lineNo, Message: err.Error()})
					break
				}
				if closed {
					done, trailing = true, after
					break
				}
				// The value goes on on the next line.
				if i+1 >= len(lines) {
					probs = append(probs, Problem{File: name, Line: lineNo, Message: "unterminated double-quoted value"})
					break
				}
				i++
				v += "\n"
				text = lines[i]
			}
			if !done {
				continue
			}
			if t := strings.TrimSpace(trailing); t != "" && !strings.HasPrefix(t, "#") {
				probs = append(probs, Problem{File: name, Line: lineNo, Message: "unexpected text after the closing quote"})
				continue
			}
			value = v
		default:
			value = rest
			if j := strings.Index(value, " #"); j >= 0 {
				value = value[:j]
			}
			value = strings.TrimSpace(value)
		}
		vars = append(vars, EnvVar{Name: key, Value: value})
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return vars, nil
}

// unquoteDouble reads a double-quoted value up to its closing quote,
// returning the text after it; closed is false when the line ends first.
func unquoteDouble(s string) (value, after string, closed bool, err error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], true, nil
		case '\\':
			if i+1 >= len(s) {
				return "", "", false, fmt.Errorf("a backslash ends the line")
			}
			i++
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '"', '\\', '$', '\'':
				b.WriteByte(e)
			default:
				return "", "", false, fmt.Errorf("unknown escape \\%c", e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), "", false, nil
}
