package strength

import (
	"math"
	"slices"
	"unicode/utf8"
)

// candidate is the best length-l match sequence found for a prefix.
type candidate struct {
	l  int
	m  *match  // its last match
	pi float64 // product of its matches' guesses
	g  float64 // l! * pi + D^(l-1): what the search minimises
}

// prefixBest holds the candidates for one prefix, at most one per l,
// ordered by l.
type prefixBest []candidate

func (p prefixBest) get(l int) (candidate, bool) {
	for _, c := range p {
		if c.l == l {
			return c, true
		}
	}
	return candidate{}, false
}

// minimumGuesses finds the sequence of non-overlapping matches, gaps
// filled with bruteforce, that minimises l! * Prod(guesses) + D^(l-1):
// the l! term counts the orders of l patterns, D^(l-1) that an attacker
// tries shorter sequences first. Dynamic programming over the end offset
// k of a prefix and the sequence length l.
//
// Offsets are bytes; a bruteforce segment starts at a rune but, like the
// port we keep scores with, extends the sequence that ends just before the
// previous rune start.
func (e *estimator) minimumGuesses(password string, matches []*match) float64 {
	n := len(password)
	if n == 0 {
		return 1
	}
	byEnd := make([][]*match, n)
	for _, m := range matches {
		byEnd[m.j] = append(byEnd[m.j], m) // already ordered by i
	}
	best := make([]prefixBest, n)

	update := func(m *match, l int) {
		k := m.j
		pi := e.estimate(m, password)
		if l > 1 {
			prev, _ := best[m.i-1].get(l - 1) // pi 0 if absent
			pi *= prev.pi
		}
		g := factorial(l)*pi + math.Pow(minGuessesBeforeGrowing, float64(l-1))
		// A sequence no longer and no worse already covers this prefix.
		for _, c := range best[k] {
			if c.l <= l && c.g <= g {
				return
			}
		}
		x, found := slices.BinarySearchFunc(best[k], l, func(c candidate, l int) int { return c.l - l })
		if found {
			best[k][x] = candidate{l, m, pi, g}
		} else {
			best[k] = slices.Insert(best[k], x, candidate{l, m, pi, g})
		}
	}
	// extend offers m after each sequence of best[at], shortest first.
	extend := func(at int, m *match, skipBruteforce bool) {
		for _, c := range best[at] {
			if skipBruteforce && c.m.pattern == bruteforce {
				continue
			}
			update(m, c.l+1)
		}
	}

	for k := 0; k < n; k++ {
		for _, m := range byEnd[k] {
			if m.i > 0 {
				extend(m.i-1, m, false)
			} else {
				update(m, 1)
			}
		}
		// Bruteforce ending at k: alone, or after a sequence that does not
		// end in bruteforce (two adjacent bruteforce segments are never
		// better than one).
		update(bruteforceMatch(password, 0, k), 1)
		prev := 0
		for i := 1; i <= k; i++ {
			if !utf8.RuneStart(password[i]) {
				continue
			}
			at := prev
			prev = i
			extend(at, bruteforceMatch(password, i, k), true)
		}
	}

	// The best sequence over the whole password, the longest on a tie;
	// its guesses are those recorded for the length it unwinds to.
	last := best[n-1]
	l, g := -1, 0.0
	for x, c := range last {
		if x == 0 || c.g < g || c.g == g && c.l > l {
			l, g = c.l, c.g
		}
	}
	length := 0
	for k := n - 1; k >= 0 && l > 0; {
		c, ok := best[k].get(l)
		l--
		if !ok {
			continue
		}
		length++
		k = c.m.i - 1
	}
	c, _ := last.get(length)
	return c.g
}

func bruteforceMatch(password string, i, j int) *match {
	return &match{pattern: bruteforce, i: i, j: j, token: password[i : j+1]}
}
