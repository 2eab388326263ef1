package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// compileGlob translates a domain glob into an anchored regular expression.
// The syntax is the one upstream's glob.match accepts, with "." as the only
// separator:
//
//   - any run of characters without a "."
//     **       any run of characters
//     ?        one character other than "."
//     [abc]    one of the listed characters; ranges like [a-z]; [!...] negates
//     {a,b}    one of the comma-separated alternatives (which may nest)
//     \x       the character x itself
func compileGlob(pattern string) (*regexp.Regexp, error) {
	g := globParser{src: []rune(pattern)}
	var b strings.Builder
	b.WriteString(`(?s)^`)
	if err := g.sequence(&b, 0); err != nil {
		return nil, err
	}
	b.WriteString(`$`)
	return regexp.Compile(b.String())
}

type globParser struct {
	src []rune
	pos int
}

const notSeparator = `[^.]`

// sequence writes pattern text until the end, or, inside braces (depth >
// 0), until the "," or "}" that ends the current alternative.
func (g *globParser) sequence(b *strings.Builder, depth int) error {
	for g.pos < len(g.src) {
		r := g.src[g.pos]
		switch {
		case depth > 0 && (r == ',' || r == '}'):
			return nil
		case r == '\\':
			if g.pos+1 >= len(g.src) {
				return errors.New("pattern ends with an unfinished escape")
			}
			b.WriteString(regexp.QuoteMeta(string(g.src[g.pos+1])))
			g.pos += 2
		case r == '*':
			if g.pos+1 < len(g.src) && g.src[g.pos+1] == '*' {
				b.WriteString(`.*`)
				g.pos += 2
			} else {
				b.WriteString(notSeparator + `*`)
				g.pos++
			}
		case r == '?':
			b.WriteString(notSeparator)
			g.pos++
		case r == '[':
			if err := g.class(b); err != nil {
				return err
			}
		case r == '{':
			if err := g.alternatives(b, depth+1); err != nil {
				return err
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
			g.pos++
		}
	}
	if depth > 0 {
		return errors.New("unclosed {")
	}
	return nil
}

func (g *globParser) alternatives(b *strings.Builder, depth int) error {
	g.pos++ // {
	b.WriteString(`(?:`)
	for {
		if err := g.sequence(b, depth); err != nil {
			return err
		}
		// sequence stopped on "," or "}" (else it reported the unclosed brace).
		r := g.src[g.pos]
		g.pos++
		if r == '}' {
			b.WriteString(`)`)
			return nil
		}
		b.WriteString(`|`)
	}
}

func (g *globParser) class(b *strings.Builder) error {
	start := g.pos
	g.pos++ // [
	negate := false
	if g.pos < len(g.src) && g.src[g.pos] == '!' {
		negate = true
		g.pos++
	}
	var items []string
	for {
		if g.pos >= len(g.src) {
			return fmt.Errorf("unclosed [ at offset %d", start)
		}
		r := g.src[g.pos]
		if r == ']' {
			g.pos++
			break
		}
		if r == '\\' && g.pos+1 < len(g.src) {
			g.pos++
			r = g.src[g.pos]
		}
		g.pos++
		if g.pos+1 < len(g.src) && g.src[g.pos] == '-' && g.src[g.pos+1] != ']' {
			hi := g.src[g.pos+1]
			g.pos += 2
			if hi < r {
				return fmt.Errorf("invalid range %c-%c", r, hi)
			}
			items = append(items, classChar(r)+"-"+classChar(hi))
			continue
		}
		items = append(items, classChar(r))
	}
	if len(items) == 0 {
		return fmt.Errorf("empty [] at offset %d", start)
	}
	b.WriteString("[")
	if negate {
		b.WriteString("^")
	}
	b.WriteString(strings.Join(items, ""))
	b.WriteString("]")
	return nil
}

// classChar writes a character so that it means itself inside a regexp
// character class, whatever it is.
func classChar(r rune) string {
	return fmt.Sprintf(`\x{%x}`, r)
}

func anyGlobMatch(globs []*regexp.Regexp, s string) bool {
	for _, g := range globs {
		if g.MatchString(s) {
			return true
		}
	}
	return false
}
