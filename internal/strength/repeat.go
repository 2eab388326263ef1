package strength

import "slices"

// repeatMatches finds runs of a repeated base string ("abcabc"), scanning
// left to right. At the first position where some prefix repeats
// immediately, the longest and the shortest repeating prefix are both
// tried (like the regexes (.+)\1+ and (.+?)\1+, over runes, '.' not
// matching a newline) and the longer run wins; its base is the shortest
// string it is a repetition of. The base is scored recursively, without
// user inputs.
//
// Offsets follow the port we keep scores with: i and j are the byte
// offsets of the run's first and last runes, the repeat count is the run's
// length in runes over the base's length in bytes, and scanning stops
// after a run that ends in a multi-byte rune.
func (e *estimator) repeatMatches(ms []*match, password string) []*match {
	runes := []rune(password)
	byteAt := make([]int, len(runes)+1) // rune index -> byte offset
	k := 0
	for b := range password {
		byteAt[k] = b
		k++
	}
	byteAt[len(runes)] = len(password)

	from := 0 // byte offset
	for from < len(password) {
		start, ok := slices.BinarySearch(byteAt, from)
		if !ok {
			break
		}
		p, greedyLen, greedyCount, lazyLen, lazyCount := firstRepeat(runes, start)
		if p < 0 {
			break
		}
		length := lazyLen * (lazyCount + 1)
		base := runes[p : p+lazyLen]
		if g := greedyLen * (greedyCount + 1); g > length {
			length = g
			base = runes[p : p+smallestPeriod(runes[p:p+g])]
		}
		baseToken := string(base)
		i, j := byteAt[p], byteAt[p+length-1]
		ms = append(ms, &match{
			pattern:     repeat,
			i:           i,
			j:           j,
			token:       string(runes[p : p+length]),
			baseGuesses: e.withoutUserInputs().guesses(baseToken),
			repeatCount: length / len(baseToken),
		})
		from = j + 1
	}
	return ms
}

// firstRepeat finds the first position p >= start where a prefix of the
// newline-free text at p is immediately repeated, and at p the longest
// and shortest such prefix lengths with how many further copies follow.
func firstRepeat(r []rune, start int) (p, greedyLen, greedyCount, lazyLen, lazyCount int) {
	for p = start; p < len(r); p++ {
		line := len(r) - p // runes up to a newline or the end
		for k := p; k < len(r); k++ {
			if r[k] == '\n' {
				line = k - p
				break
			}
		}
		for l := 1; 2*l <= line; l++ {
			if slices.Equal(r[p:p+l], r[p+l:p+2*l]) {
				if lazyLen == 0 {
					lazyLen = l
				}
				greedyLen = l
			}
		}
		if lazyLen > 0 {
			return p, greedyLen, copies(r, p, greedyLen, line), lazyLen, copies(r, p, lazyLen, line)
		}
	}
	return -1, 0, 0, 0, 0
}

// copies counts the repetitions of r[p:p+l] that follow it.
func copies(r []rune, p, l, line int) int {
	n := 0
	for q := p + l; q+l <= p+line && slices.Equal(r[p:p+l], r[q:q+l]); q += l {
		n++
	}
	return n
}

// smallestPeriod is the length of the shortest s[:l] that s is two or
// more copies of (len(s) if none).
func smallestPeriod(s []rune) int {
	for l := 1; 2*l <= len(s); l++ {
		if len(s)%l != 0 {
			continue
		}
		ok := true
		for q := l; q < len(s) && ok; q += l {
			ok = slices.Equal(s[:l], s[q:q+l])
		}
		if ok {
			return l
		}
	}
	return len(s)
}
