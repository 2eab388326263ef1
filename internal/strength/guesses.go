package strength

import (
	"math"
	"strings"
	"unicode/utf8"
)

const (
	bruteforceCardinality    = 10
	minGuessesBeforeGrowing  = 10000 // D: an attacker tries shorter sequences first
	minSubmatchGuessesSingle = 10
	minSubmatchGuessesMulti  = 50
	minYearSpace             = 20
)

// estimate returns (and caches) m's guesses. A match shorter than the
// password gets a floor: an attacker guessing a sub-pattern pays at least
// that much for it.
func (e *estimator) estimate(m *match, password string) float64 {
	if m.guesses > 0 {
		return m.guesses
	}
	floor := 1.0
	if len(m.token) < len(password) {
		floor = minSubmatchGuessesMulti
		if len(m.token) == 1 {
			floor = minSubmatchGuessesSingle
		}
	}
	var g float64
	switch m.pattern {
	case bruteforce:
		g = bruteforceGuesses(m.token)
	case dictionary:
		g = float64(m.rank) * uppercaseVariations(m.token) * l33tVariations(m)
		if m.reversed {
			g *= 2
		}
	case spatial:
		g = spatialGuesses(m)
	case repeat:
		g = m.baseGuesses * float64(m.repeatCount)
	case sequence:
		g = sequenceGuesses(m)
	case recentYear:
		g = float64(max(abs(m.year-e.referenceYear), minYearSpace))
	case date:
		g = float64(max(abs(m.year-e.referenceYear), minYearSpace) * 365)
		if m.separator {
			g *= 4
		}
	}
	m.guesses = max(g, floor)
	return m.guesses
}

func bruteforceGuesses(token string) float64 {
	n := utf8.RuneCountInString(token)
	g := math.Pow(bruteforceCardinality, float64(n))
	if n == 1 {
		return max(g, minSubmatchGuessesSingle+1)
	}
	return max(g, minSubmatchGuessesMulti+1)
}

// uppercaseVariations counts the capitalisations an attacker tries: all
// lower 1; first, last or all upper 2; otherwise the ways to place the
// upper-case letters among the letters.
func uppercaseVariations(w string) float64 {
	upper, lower := 0, 0
	for k := 0; k < len(w); k++ {
		switch c := w[k]; {
		case 'A' <= c && c <= 'Z':
			upper++
		case 'a' <= c && c <= 'z':
			lower++
		}
	}
	if upper == 0 || strings.ToLower(w) == w {
		return 1
	}
	n := utf8.RuneCountInString(w)
	firstUpper := isUpperASCII(w[0])
	lastUpper := isUpperASCII(w[len(w)-1])
	if (firstUpper && upper == 1 && n > 1) || (lastUpper && upper == 1 && n > 1) || lower == 0 {
		return 2
	}
	v := 0.0
	for i := 1; i <= min(upper, lower); i++ {
		v += nCk(upper+lower, i)
	}
	return v
}

// l33tVariations counts, per substitution, the ways to mix substituted and
// plain spellings of its letter.
func l33tVariations(m *match) float64 {
	if m.l33t == nil {
		return 1
	}
	lower := strings.ToLower(m.token)
	v := 1.0
	for _, s := range m.l33t {
		subbed, plain := 0, 0
		for _, r := range lower {
			switch r {
			case rune(s.char):
				subbed++
			case rune(s.letter):
				plain++
			}
		}
		if subbed == 0 || plain == 0 {
			v *= 2
			continue
		}
		p := 0.0
		for i := 1; i <= min(subbed, plain); i++ {
			p += nCk(subbed+plain, i)
		}
		v *= p
	}
	return v
}

func sequenceGuesses(m *match) float64 {
	var base int
	switch c := m.token[0]; {
	case c == 'a' || c == 'A' || c == 'z' || c == 'Z' || c == '0' || c == '1' || c == '9':
		base = 4 // obvious starts
	case '0' <= c && c <= '9':
		base = 10
	default:
		base = 26
	}
	if !m.ascending {
		base *= 2
	}
	return float64(base * len(m.token))
}

// nCk is the binomial coefficient, computed as zxcvbn does so that
// rounding matches.
func nCk(n, k int) float64 {
	if k > n {
		return 0
	}
	if k == 0 {
		return 1
	}
	r := 1.0
	for d := 1; d <= k; d++ {
		r *= float64(n)
		r /= float64(d)
		n--
	}
	return r
}

func factorial(n int) float64 {
	f := 1.0
	for i := 2; i <= n; i++ {
		f *= float64(i)
	}
	return f
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

func isUpperASCII(c byte) bool { return 'A' <= c && c <= 'Z' }
