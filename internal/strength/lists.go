package strength

import (
	_ "embed"
	"strings"
	"sync"
)

// dictionaryNames are zxcvbn's frequency lists, in the order their
// matches are tried for the same span.
var dictionaryNames = []string{"passwords", "english_wikipedia", "female_names", "surnames", "us_tv_and_film", "male_names"}

// data holds each list as its lowercased words sorted one per line
// (<name>.words) and their frequency ranks as little-endian uint32 in the
// same order (<name>.ranks): ~1.5 MB that stays in the binary's read-only
// data. The only heap is a line-offset index per list, built on first use.
// They are embedded as strings, which (unlike embed.FS.ReadFile) are not
// copied. The words and ranks are zxcvbn's published frequency lists
// (Dropbox, MIT licence), generated from the test-only trustelem module by
// `go test ./internal/strength -run TestData -update`.
//
//go:embed data/passwords.words
var passwordsWords string

//go:embed data/passwords.ranks
var passwordsRanks string

//go:embed data/english_wikipedia.words
var englishWikipediaWords string

//go:embed data/english_wikipedia.ranks
var englishWikipediaRanks string

//go:embed data/female_names.words
var femaleNamesWords string

//go:embed data/female_names.ranks
var femaleNamesRanks string

//go:embed data/surnames.words
var surnamesWords string

//go:embed data/surnames.ranks
var surnamesRanks string

//go:embed data/us_tv_and_film.words
var usTvAndFilmWords string

//go:embed data/us_tv_and_film.ranks
var usTvAndFilmRanks string

//go:embed data/male_names.words
var maleNamesWords string

//go:embed data/male_names.ranks
var maleNamesRanks string

type rankedList struct {
	words  string
	ranks  string
	starts []uint32 // offset of each line in words
}

// lookup returns word's rank (0 if absent) and whether some longer word
// starts with word, which tells the caller whether extending it can match.
func (l *rankedList) lookup(word string) (rank int, longer bool) {
	lo, hi := 0, len(l.starts)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if l.line(mid) < word {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(l.starts) {
		return 0, false
	}
	next := lo
	if w := l.line(lo); w == word {
		r := l.ranks[4*lo : 4*lo+4]
		rank = int(r[0]) | int(r[1])<<8 | int(r[2])<<16 | int(r[3])<<24
		next++
	}
	return rank, next < len(l.starts) && strings.HasPrefix(l.line(next), word)
}

func (l *rankedList) line(k int) string {
	end := len(l.words) - 1
	if k+1 < len(l.starts) {
		end = int(l.starts[k+1]) - 1
	}
	return l.words[l.starts[k]:end]
}

type rankedLists struct {
	lists  []rankedList
	maxLen int // longest word in bytes
}

var loadLists = sync.OnceValue(func() *rankedLists {
	listData := [][2]string{
		{passwordsWords, passwordsRanks},
		{englishWikipediaWords, englishWikipediaRanks},
		{femaleNamesWords, femaleNamesRanks},
		{surnamesWords, surnamesRanks},
		{usTvAndFilmWords, usTvAndFilmRanks},
		{maleNamesWords, maleNamesRanks},
	}
	r := &rankedLists{lists: make([]rankedList, len(dictionaryNames))}
	for n, name := range dictionaryNames {
		words, ranks := listData[n][0], listData[n][1]
		l := &r.lists[n]
		l.words, l.ranks = words, ranks
		l.starts = make([]uint32, 0, len(ranks)/4)
		start := 0
		for i := 0; i < len(words); i++ {
			if words[i] == '\n' {
				l.starts = append(l.starts, uint32(start))
				r.maxLen = max(r.maxLen, i-start)
				start = i + 1
			}
		}
		if len(l.starts) != len(ranks)/4 {
			panic("strength: " + name + ": words and ranks disagree")
		}
	}
	return r
})
