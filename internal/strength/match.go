package strength

import "slices"

type pattern uint8

const (
	bruteforce pattern = iota
	dictionary
	spatial
	repeat
	sequence
	recentYear
	date
)

// match is one way to read password[i:j+1] (byte offsets, inclusive).
// Only the fields of its pattern are set.
type match struct {
	pattern pattern
	i, j    int
	token   string

	rank     int       // dictionary
	reversed bool      // dictionary
	l33t     []l33tSub // dictionary: the substitutions present in token

	graph   *keyboard // spatial
	turns   int       // spatial
	shifted int       // spatial

	baseGuesses float64 // repeat
	repeatCount int     // repeat

	ascending bool // sequence

	year      int  // date, recent year (parsed from token)
	separator bool // date

	guesses float64 // cached estimate, 0 until computed
}

// sortMatches orders by (i, j), keeping the generation order for ties.
func sortMatches(ms []*match) {
	slices.SortStableFunc(ms, func(a, b *match) int {
		if a.i != b.i {
			return a.i - b.i
		}
		return a.j - b.j
	})
}
