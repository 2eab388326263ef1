package strength

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	dateMinYear = 1000
	dateMaxYear = 2050
)

// dateSplits are the ways to cut a separator-less date of each length
// into three numbers: the second and third start at these offsets.
var dateSplits = [9][][2]int{
	4: {{1, 2}, {2, 3}},                 // 1 1 91, 91 1 1
	5: {{1, 3}, {2, 3}},                 // 1 11 91, 11 1 91
	6: {{1, 2}, {2, 4}, {4, 5}},         // 1 1 1991, 11 11 91, 1991 1 1
	7: {{1, 3}, {2, 3}, {4, 5}, {4, 6}}, // 1 11 1991, 11 1 1991, 1991 1 11, 1991 11 1
	8: {{2, 4}, {4, 6}},                 // 11 11 1991, 1991 11 11
}

type dmy struct{ day, month, year int }

// dateMatches finds dates: three numbers, a day, a month and a two- or
// four-digit year first or last, written as 4–8 digits or with the same
// separator twice (1.1.91 to 11/11/1991). A date inside a longer date is
// dropped.
//
// Digits and separators are Unicode classes and the token may end in one
// newline, as in the regexes of the port we keep scores with; numbers are
// then parsed as ASCII, so other digits count as 0.
func (e *estimator) dateMatches(ms []*match, password string) []*match {
	var found []*match
	for i := 0; i+4 <= len(password); i++ {
		for j := i + 3; j <= i+7 && j < len(password); j++ {
			token := password[i : j+1]
			if !digitsOnly(token) {
				continue
			}
			var best *dmy
			bestDistance := 0
			for _, s := range dateSplits[len(token)] {
				d := mapToDMY(token[:s[0]], token[s[0]:s[1]], token[s[1]:])
				if d == nil {
					continue
				}
				// Prefer the reading with the year nearest the reference
				// year: 111504 is 11-15-04, not 1-1-1504.
				if dist := abs(d.year - e.referenceYear); best == nil || dist < bestDistance {
					best, bestDistance = d, dist
				}
			}
			if best != nil {
				found = append(found, &match{pattern: date, i: i, j: j, token: token, year: best.year})
			}
		}
	}
	for i := 0; i+6 <= len(password); i++ {
		for j := i + 5; j <= i+9 && j < len(password); j++ {
			token := password[i : j+1]
			a, b, c, ok := splitSeparated(token)
			if !ok {
				continue
			}
			if d := mapToDMY(a, b, c); d != nil {
				found = append(found, &match{pattern: date, i: i, j: j, token: token, year: d.year, separator: true})
			}
		}
	}
	for _, m := range found {
		inside := false
		for _, o := range found {
			if o != m && o.i <= m.i && o.j >= m.j {
				inside = true
				break
			}
		}
		if !inside {
			ms = append(ms, m)
		}
	}
	return ms
}

// digitsOnly reports whether token is 4 to 8 digits, optionally followed
// by a newline.
func digitsOnly(token string) bool {
	token = strings.TrimSuffix(token, "\n")
	n := 0
	for _, r := range token {
		if !unicode.IsDigit(r) {
			return false
		}
		n++
	}
	return n >= 4 && n <= 8
}

// splitSeparated splits "d{1,4} sep d{1,2} sep d{1,4}" (optionally ending
// in a newline) into its three numbers.
func splitSeparated(token string) (a, b, c string, ok bool) {
	digits := func(s string, most int) (string, string, bool) {
		end, n := 0, 0
		for end < len(s) {
			r, size := utf8.DecodeRuneInString(s[end:])
			if !unicode.IsDigit(r) {
				break
			}
			end += size
			n++
		}
		return s[:end], s[end:], n >= 1 && n <= most
	}
	rest := token
	var good bool
	if a, rest, good = digits(rest, 4); !good || rest == "" {
		return "", "", "", false
	}
	sep, size := utf8.DecodeRuneInString(rest)
	if !unicode.IsSpace(sep) && !strings.ContainsRune(`/\_.-`, sep) || sep == utf8.RuneError && size == 1 {
		return "", "", "", false
	}
	sepText := rest[:size]
	if b, rest, good = digits(rest[size:], 2); !good || !strings.HasPrefix(rest, sepText) {
		return "", "", "", false
	}
	if c, rest, good = digits(rest[len(sepText):], 4); !good || (rest != "" && rest != "\n") {
		return "", "", "", false
	}
	return a, b, c, true
}

// mapToDMY reads three numbers as a date, or returns nil: the middle one
// must be a day or month, a year is 1000–2050 or two digits, at most one
// number is over 31, not all are over 12, at most one is zero.
func mapToDMY(s1, s2, s3 string) *dmy {
	n1, n2, n3 := atoi(s1), atoi(s2), atoi(s3)
	if n2 > 31 || n2 <= 0 {
		return nil
	}
	over12, over31, under1 := 0, 0, 0
	for _, n := range [3]int{n1, n2, n3} {
		if (n > 99 && n < dateMinYear) || n > dateMaxYear {
			return nil
		}
		if n > 31 {
			over31++
		}
		if n > 12 {
			over12++
		}
		if n <= 0 {
			under1++
		}
	}
	if over31 >= 2 || over12 == 3 || under1 >= 2 {
		return nil
	}
	splits := [2][3]int{{n3, n1, n2}, {n1, n2, n3}} // year last, year first
	for _, s := range splits {
		if dateMinYear <= s[0] && s[0] <= dateMaxYear {
			return mapToDM(s[1], s[2], s[0])
		}
	}
	for _, s := range splits {
		if d := mapToDM(s[1], s[2], s[0]); d != nil {
			d.year = fourDigitYear(d.year)
			return d
		}
	}
	return nil
}

func mapToDM(a, b, year int) *dmy {
	switch {
	case a <= 31 && b <= 12:
		return &dmy{day: a, month: b, year: year}
	case b <= 31 && a <= 12:
		return &dmy{day: b, month: a, year: year}
	}
	return nil
}

func fourDigitYear(y int) int {
	switch {
	case y > 99:
		return y
	case y > 50:
		return y + 1900
	}
	return y + 2000
}

// atoi parses a decimal number; anything unparsable is 0.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
