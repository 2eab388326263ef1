package strength

import "strings"

// userDictionary ranks the caller's words by position, lowercased; a
// later duplicate's rank wins, as for the frequency lists.
type userDictionary struct {
	rank   map[string]int
	maxLen int
}

func newUserDictionary(inputs []string) *userDictionary {
	d := &userDictionary{rank: make(map[string]int, len(inputs))}
	for i, w := range inputs {
		w = strings.ToLower(w)
		d.rank[w] = i + 1
		d.maxLen = max(d.maxLen, len(w))
	}
	return d
}

// dictionaryMatches appends every substring of password that is a word of
// a frequency list or of the user's words. Substrings start at a rune and
// end at an ASCII byte: like the port whose scores we keep, a substring
// ending in a multi-byte rune is never looked up (so such a word is only
// found reversed).
func (e *estimator) dictionaryMatches(ms []*match, password string) []*match {
	lists := loadLists()
	maxLen := max(lists.maxLen, e.user.maxLen)
	ascii := isASCII(password)
	lower := password
	if ascii {
		lower = strings.ToLower(password)
	}
	var alive [8]bool
	for i := 0; i < len(password); i++ {
		if !runeStart(password[i]) {
			continue
		}
		for d := range lists.lists {
			alive[d] = true
		}
		for j := i; j < len(password); j++ {
			if password[j] >= 0x80 {
				continue
			}
			// Lowercasing can shrink a non-ASCII rune to a third.
			if j-i+1 > 3*maxLen || (ascii && j-i+1 > maxLen) {
				break
			}
			var word string
			if ascii {
				word = lower[i : j+1]
			} else {
				word = strings.ToLower(password[i : j+1])
			}
			more := false
			for d := range lists.lists {
				if !alive[d] {
					continue
				}
				r, longer := lists.lists[d].lookup(word)
				if r > 0 {
					ms = append(ms, &match{pattern: dictionary, i: i, j: j, token: password[i : j+1], rank: r})
				}
				alive[d] = longer
				more = more || longer
			}
			if r := e.user.rank[word]; r > 0 {
				ms = append(ms, &match{pattern: dictionary, i: i, j: j, token: password[i : j+1], rank: r})
			}
			if !more && j-i+1 >= 3*e.user.maxLen {
				break
			}
		}
	}
	return ms
}

// reverseDictionaryMatches finds words spelled backwards (by rune).
func (e *estimator) reverseDictionaryMatches(ms []*match, password string) []*match {
	n := len(password)
	first := len(ms)
	ms = e.dictionaryMatches(ms, reverseRunes(password))
	for _, m := range ms[first:] {
		m.i, m.j = n-1-m.j, n-1-m.i
		m.token = password[m.i : m.j+1]
		m.reversed = true
	}
	sortMatches(ms[first:])
	return ms
}

func reverseRunes(s string) string {
	r := []rune(s)
	for a, b := 0, len(r)-1; a < b; a, b = a+1, b-1 {
		r[a], r[b] = r[b], r[a]
	}
	return string(r)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func runeStart(b byte) bool { return b&0xC0 != 0x80 }
