package strength

import (
	"slices"
	"strings"
)

// l33tTable lists, per letter, the characters that stand for it; letters
// in alphabetical order, which fixes the order substitutions are tried.
var l33tTable = []struct {
	letter byte
	subs   string
}{
	{'a', "4@"},
	{'b', "8"},
	{'c', "({[<"},
	{'e', "3"},
	{'g', "69"},
	{'i', "1!|"},
	{'l', "1|7"},
	{'o', "0"},
	{'s', "$5"},
	{'t', "+7"},
	{'x', "%"},
	{'z', "2"},
}

// l33tSub reads char as letter.
type l33tSub struct{ char, letter byte }

// l33tMatches finds dictionary words behind l33t substitutions: for each
// consistent way of reading the l33t characters present as letters, the
// translated password is matched against the dictionaries.
func (e *estimator) l33tMatches(ms []*match, password string) []*match {
	for _, sub := range l33tSubstitutions(password) {
		translated := translate(password, sub)
		first := len(ms)
		ms = e.dictionaryMatches(ms, translated)
		kept := ms[:first]
		for _, m := range ms[first:] {
			token := password[m.i : m.j+1]
			// One-character matches are noise ('1' is 'i', a common word),
			// and a match without a substitution is a plain dictionary match.
			if len(token) <= 1 || strings.ToLower(token) == strings.ToLower(m.token) {
				continue
			}
			m.token = token
			m.l33t = []l33tSub{}
			for _, s := range sub {
				if strings.IndexByte(token, s.char) >= 0 {
					m.l33t = append(m.l33t, s)
				}
			}
			kept = append(kept, m)
		}
		ms = kept
	}
	return ms
}

// l33tSubstitutions enumerates the readings of password's l33t characters:
// each letter with candidates present considers each of them in turn, and
// a character already read as an earlier letter yields both readings.
// Each substitution is kept sorted by char; duplicates are dropped, first
// occurrence kept.
func l33tSubstitutions(password string) [][]l33tSub {
	subs := [][]l33tSub{{}}
	for _, row := range l33tTable {
		var next [][]l33tSub
		present := false
		for k := 0; k < len(row.subs); k++ {
			c := row.subs[k]
			if strings.IndexByte(password, c) < 0 {
				continue
			}
			present = true
			for _, sub := range subs {
				at := slices.IndexFunc(sub, func(s l33tSub) bool { return s.char == c })
				if at < 0 {
					next = append(next, withSub(sub, l33tSub{c, row.letter}))
					continue
				}
				next = append(next, sub)
				alt := slices.Delete(slices.Clone(sub), at, at+1)
				next = append(next, withSub(alt, l33tSub{c, row.letter}))
			}
		}
		if present {
			subs = dedupSubstitutions(next)
		}
	}
	if len(subs) == 1 && len(subs[0]) == 0 {
		return nil
	}
	return subs
}

// withSub returns a new substitution: sub plus s, sorted by char.
func withSub(sub []l33tSub, s l33tSub) []l33tSub {
	out := make([]l33tSub, 0, len(sub)+1)
	out = append(out, sub...)
	out = append(out, s)
	slices.SortFunc(out, func(a, b l33tSub) int { return int(a.char) - int(b.char) })
	return out
}

func dedupSubstitutions(subs [][]l33tSub) [][]l33tSub {
	var out [][]l33tSub
	for _, s := range subs {
		if !slices.ContainsFunc(out, func(o []l33tSub) bool { return slices.Equal(o, s) }) {
			out = append(out, s)
		}
	}
	return out
}

func translate(password string, sub []l33tSub) string {
	b := []byte(password)
	for k, c := range b {
		for _, s := range sub {
			if s.char == c {
				b[k] = s.letter
				break
			}
		}
	}
	return string(b)
}
