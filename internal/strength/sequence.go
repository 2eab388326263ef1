package strength

// maxSequenceDelta is the largest step between neighbouring bytes that
// still reads as a sequence ("aceg", "9630").
const maxSequenceDelta = 5

// sequenceMatches finds runs of bytes with a constant step of 1 to 5 up
// or down: three or more bytes, or two with a step of 1.
func sequenceMatches(ms []*match, password string) []*match {
	if len(password) < 2 {
		return ms
	}
	add := func(i, j, delta int) {
		if j-i > 1 || abs(delta) == 1 {
			if d := abs(delta); d > 0 && d <= maxSequenceDelta {
				ms = append(ms, &match{pattern: sequence, i: i, j: j, token: password[i : j+1], ascending: delta > 0})
			}
		}
	}
	i := 0
	last := int(password[1]) - int(password[0])
	for k := 2; k < len(password); k++ {
		delta := int(password[k]) - int(password[k-1])
		if delta == last {
			continue
		}
		add(i, k-1, last)
		i = k - 1
		last = delta
	}
	add(i, len(password)-1, last)
	return ms
}

// yearMatches finds recent years (1900–2019), left to right without
// overlap.
func yearMatches(ms []*match, password string) []*match {
	for k := 0; k+4 <= len(password); {
		t := password[k : k+4]
		if isDigit(t[2]) && isDigit(t[3]) && (t[:2] == "19" || (t[:2] == "20" && (t[2] == '0' || t[2] == '1'))) {
			ms = append(ms, &match{pattern: recentYear, i: k, j: k + 3, token: t, year: atoi(t)})
			k += 4
			continue
		}
		k++
	}
	return ms
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
