package strength

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/frequency"
)

// TestCompatibleWithTrustelem scores thousands of generated passwords
// with this package and with github.com/trustelem/zxcvbn (a test-only
// dependency: the port mas used before) and requires the same score for
// each, except the listed l33t cases where trustelem misses a reading.
func TestCompatibleWithTrustelem(t *testing.T) {
	cases := compatCases()
	if testing.Short() {
		cases = cases[:len(cases)/10]
	}
	mismatches := 0
	for _, c := range cases {
		want := zxcvbn.PasswordStrength(c.password, c.inputs)
		got := Score(c.password, c.inputs)
		if _, known := l33tDifferences[c.password]; known {
			if got >= want.Score {
				t.Errorf("Score(%q) = %d, trustelem %d: no longer a known difference, drop it from l33tDifferences", c.password, got, want.Score)
			}
			continue
		}
		if got == want.Score {
			continue
		}
		// trustelem iterates a map of dictionaries, so a tie between
		// equal-cost readings could go either way; only a stable answer
		// counts.
		if again := zxcvbn.PasswordStrength(c.password, c.inputs); again.Score != want.Score {
			continue
		}
		mismatches++
		if mismatches <= 30 {
			t.Errorf("Score(%q, %q) = %d (%.4g guesses), trustelem %d (%.4g guesses)",
				c.password, c.inputs, got, Guesses(c.password, c.inputs), want.Score, want.Guesses)
		}
	}
	t.Logf("%d passwords compared, %d unexpected differences, %d known", len(cases), mismatches, len(l33tDifferences))
}

// l33tDifferences are the generated passwords we score lower than
// trustelem, all for one reason: trustelem's enumeration of l33t readings
// (matching/leet.go, enumerateLeetSubs) appends to slices that share a
// backing array, so once four or more l33t characters are in play some
// readings overwrite others and are never tried. We enumerate every
// reading, as the paper and zxcvbn.js do, and find the word; e.g.
// "v473r13" is "valerie" (7 as l), which trustelem loses to 7 as t.
// Ours is the stricter score in every case.
var l33tDifferences = map[string]struct{}{
	"8@nd|70": {}, "<0ron4710n": {}, "fa{+|0n@7!$m": {}, "v473r13": {},
	"|0rr41n3": {}, "m17<h3||": {}, "a{c0mp71shm3n+": {}, "m3t|(u70us": {},
	"m@r(3|1n0": {}, "{orn371u$": {}, "83nj4m|ns!n91ehud5on": {},
	"d4nnyreyn01d$p30p73": {}, "p|4y3dpublicm3r1!n": {}, "b3rry$ystem7h3r35@": {},
	"m@r71neztonyl3w!5": {}, "jus+|nsh4ky70v3": {}, "7@y10rd0<$+@ndley": {},
	"qw3r+yu1op4n63|h347h3r": {}, "d4v!ds@m3e|iz48eth": {}, "+!mothyp1a(34r(h|3": {},
	"m1[h3@|7u(k3rpors[he": {},
}

type compatCase struct {
	password string
	inputs   []string
}

// compatCases builds a deterministic mix: common passwords and words,
// their l33t, capitalised, reversed and suffixed variants, keyboard
// walks, dates, years, sequences, repeats, random strings (ASCII and
// not), and passwords built from user inputs; up to 72 runes.
func compatCases() []compatCase {
	r := rand.New(rand.NewPCG(15, 2026))
	lists := frequency.FrequencyLists
	var words []string
	for _, name := range dictionaryNames {
		l := lists[name]
		words = append(words, l[:200]...)
		for k := 0; k < 150; k++ {
			words = append(words, l[r.IntN(len(l))])
		}
	}
	pick := func() string { return words[r.IntN(len(words))] }
	users := []string{"alice", "bob", "jsmith", "mallory", "trent", "dörte", "admin", "matrix"}
	domains := []string{"example.com", "gmail.com", "matrix.org"}

	var out []compatCase
	add := func(p string, inputs ...string) {
		if utf8.RuneCountInString(p) > 72 {
			p = string([]rune(p)[:72])
		}
		out = append(out, compatCase{p, inputs})
	}
	for _, w := range words {
		add(w)
		add(capitalise(w, r))
		add(l33tify(w, r))
		add(reverse(w) + strconv.Itoa(r.IntN(100)))
		add(w + strconv.Itoa(1950+r.IntN(80)))
		add(w + pick())
		add(w + string(shiftedKeys[r.IntN(len(shiftedKeys))]) + strconv.Itoa(r.IntN(10000)))
	}
	for k := 0; k < 400; k++ {
		add(l33tify(pick(), r) + l33tify(pick(), r) + l33tify(pick(), r))
		add(pick() + " " + pick() + " " + pick() + " " + pick())
		add(strings.Repeat(pick(), 2+r.IntN(3)))
		add(strings.Repeat(randomString(r, 1+r.IntN(4), asciiAlphabet), 2+r.IntN(5)) + randomString(r, r.IntN(4), asciiAlphabet))
	}
	for _, g := range graphs {
		for k := 0; k < 150; k++ {
			add(walk(g, r, 3+r.IntN(12)))
			add(walk(g, r, 3+r.IntN(6)) + pick() + walk(g, r, 3+r.IntN(6)))
		}
	}
	seps := []string{"", "", "/", "-", ".", "_", " ", "\\"}
	for k := 0; k < 600; k++ {
		d, m, y := 1+r.IntN(31), 1+r.IntN(12), 1900+r.IntN(150)
		sep := seps[r.IntN(len(seps))]
		ys := strconv.Itoa(y)
		if r.IntN(2) == 0 {
			ys = ys[2:]
		}
		ds, ms := strconv.Itoa(d), strconv.Itoa(m)
		if r.IntN(2) == 0 {
			ds, ms = pad2(d), pad2(m)
		}
		switch r.IntN(4) {
		case 0:
			add(ds + sep + ms + sep + ys)
		case 1:
			add(ys + sep + ms + sep + ds)
		case 2:
			add(pick() + ms + sep + ds + sep + ys)
		default:
			add(ds + sep + ms + sep + ys + pick() + strconv.Itoa(r.IntN(1000)))
		}
		add(randomString(r, 4+r.IntN(12), "0123456789"))
		add(randomString(r, 6+r.IntN(8), "0123456789/-. "))
	}
	for k := 0; k < 300; k++ {
		start := r.IntN(94) + 33
		step := 1 + r.IntN(6)
		if r.IntN(2) == 0 {
			step = -step
		}
		var b strings.Builder
		for c := start; c >= 33 && c < 127 && b.Len() < 3+r.IntN(15); c += step {
			b.WriteByte(byte(c))
		}
		add(b.String())
		add(pick() + b.String() + strconv.Itoa(r.IntN(100)))
	}
	alphabets := []string{asciiAlphabet, "abcdefghijklmnopqrstuvwxyz", "abcdef0123456789", "äöüßéèêçñ€日本語пароль🔒 aé1!", asciiAlphabet + "éü日"}
	for k := 0; k < 1500; k++ {
		a := alphabets[r.IntN(len(alphabets))]
		add(randomString(r, 1+r.IntN(30), a))
	}
	for k := 0; k < 80; k++ {
		add(randomString(r, 40+r.IntN(33), asciiAlphabet))
		add(pick() + randomString(r, 50+r.IntN(30), asciiAlphabet+"日é"))
	}
	for k := 0; k < 800; k++ {
		u := users[r.IntN(len(users))]
		email := u + "@" + domains[r.IntN(len(domains))]
		inputs := []string{u, email, strings.Split(email, "@")[0]}
		switch r.IntN(6) {
		case 0:
			add(u+strconv.Itoa(r.IntN(10000)), inputs...)
		case 1:
			add(capitalise(u, r)+pick(), inputs...)
		case 2:
			add(l33tify(u, r)+randomString(r, r.IntN(6), asciiAlphabet), inputs...)
		case 3:
			add(reverse(u)+strconv.Itoa(1950+r.IntN(80)), inputs...)
		case 4:
			add(email, inputs...)
		default:
			add(pick()+pick(), inputs...)
		}
	}
	add("")
	add("a")
	add("\n")
	add("1234\n")
	add("12\n12\n91")
	add("1\u00a01\u00a091")
	add("١٢٣٤٥٦")
	add("zxcvbn", "zxcvbn")
	add("Tr0ub4dor&3")
	add("correcthorsebatterystaple")
	add("\u212Aelly")
	return out
}

const asciiAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_=+[]{};:'\",.<>/?\\|`~ "

func randomString(r *rand.Rand, n int, alphabet string) string {
	a := []rune(alphabet)
	b := make([]rune, n)
	for k := range b {
		b[k] = a[r.IntN(len(a))]
	}
	return string(b)
}

func capitalise(w string, r *rand.Rand) string {
	if w == "" {
		return w
	}
	switch r.IntN(4) {
	case 0:
		return strings.ToUpper(w[:1]) + w[1:]
	case 1:
		return strings.ToUpper(w)
	case 2:
		return w[:len(w)-1] + strings.ToUpper(w[len(w)-1:])
	}
	b := []byte(w)
	for k := range b {
		if r.IntN(3) == 0 {
			b[k] = strings.ToUpper(string(b[k]))[0]
		}
	}
	return string(b)
}

func l33tify(w string, r *rand.Rand) string {
	b := []byte(w)
	for k, c := range b {
		for _, row := range l33tTable {
			if row.letter == c && r.IntN(3) > 0 {
				b[k] = row.subs[r.IntN(len(row.subs))]
			}
		}
	}
	return string(b)
}

func reverse(s string) string { return reverseRunes(s) }

func walk(g *keyboard, r *rand.Rand, n int) string {
	var keys []byte
	for c := range g.adj {
		if g.adj[c][0] != "" || g.adj[c][1] != "" {
			keys = append(keys, byte(c))
		}
	}
	c := keys[r.IntN(len(keys))]
	b := []byte{c}
	dir := r.IntN(g.dirs)
	for len(b) < n {
		if r.IntN(3) == 0 {
			dir = r.IntN(g.dirs)
		}
		next := g.adj[c][dir]
		if next == "" {
			dir = r.IntN(g.dirs)
			continue
		}
		c = next[0]
		if len(next) > 1 && r.IntN(4) == 0 {
			c = next[1]
		}
		b = append(b, c)
	}
	return string(b)
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
