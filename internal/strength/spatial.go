package strength

import (
	"math"
	"strings"
)

// keyboard is an adjacency graph: adj[c] lists the keys next to c, one
// per direction.
type keyboard struct {
	name    string
	keys    int // keys in the graph, shifted ones included
	degrees int // neighbour entries over all keys
	dirs    int
	adj     [128][8]string
}

// graphNames are the graphs in the order walks are looked for.
var graphNames = []string{"qwerty", "dvorak", "keypad", "mac_keypad"}

var graphs = []*keyboard{&graphQwerty, &graphDvorak, &graphKeypad, &graphMacKeypad}

// shiftedKeys need shift on qwerty and dvorak; a walk starting on one
// counts it as shifted.
const shiftedKeys = `~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:"ZXCVBNM<>?`

// spatialMatches finds keyboard walks of three or more keys, counting
// direction changes (turns) and shifted keys.
func spatialMatches(ms []*match, password string) []*match {
	for _, g := range graphs {
		shiftable := g.name == "qwerty" || g.name == "dvorak"
		for i := 0; i < len(password)-1; {
			j := i + 1
			lastDir, turns, shifted := -1, 0, 0
			if shiftable && strings.IndexByte(shiftedKeys, password[i]) >= 0 {
				shifted = 1
			}
			for j < len(password) {
				dir, shift := g.step(password[j-1], password[j])
				if dir < 0 {
					break
				}
				if shift {
					shifted++
				}
				if dir != lastDir {
					turns++
					lastDir = dir
				}
				j++
			}
			if j-i > 2 {
				ms = append(ms, &match{pattern: spatial, i: i, j: j - 1, token: password[i:j], graph: g, turns: turns, shifted: shifted})
			}
			i = j
		}
	}
	return ms
}

// step reports the direction from key a to key b (-1 if not adjacent)
// and whether b is the shifted character of that neighbour.
func (g *keyboard) step(a, b byte) (dir int, shifted bool) {
	if a >= 0x80 || b >= 0x80 {
		return -1, false
	}
	for d, n := range g.adj[a][:g.dirs] {
		if k := strings.IndexByte(n, b); k >= 0 {
			return d, k == 1
		}
	}
	return -1, false
}

// spatialGuesses counts walks of the token's length with at most its
// number of turns, starting anywhere on the keyboard, times the ways to
// place its shifted keys.
func spatialGuesses(m *match) float64 {
	g := &graphQwerty
	if m.graph.name == "keypad" || m.graph.name == "mac_keypad" {
		g = &graphKeypad
	}
	s := float64(g.keys)
	d := float64(g.degrees) / float64(g.keys)
	length := len(m.token) // walks are ASCII
	guesses := 0.0
	for i := 2; i <= length; i++ {
		for j := 1; j <= min(m.turns, i-1); j++ {
			guesses += nCk(i-1, j-1) * s * math.Pow(d, float64(j))
		}
	}
	if m.shifted > 0 {
		shifted, unshifted := m.shifted, length-m.shifted
		if unshifted == 0 {
			guesses *= 2
		} else {
			v := 0.0
			for i := 1; i <= min(shifted, unshifted); i++ {
				v += nCk(shifted+unshifted, i)
			}
			guesses *= v
		}
	}
	return guesses
}
