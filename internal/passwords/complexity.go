package passwords

import (
	"unicode/utf8"

	"mas/internal/strength"
)

// complexityMaxRunes bounds the zxcvbn input. The matcher is far worse than
// linear (measured with the port we used before: 100 characters ~20 ms, 500
// ~2 s, 2000 ~2 min), so an unbounded password field would let one request
// pin a core for minutes.
// 72 characters are far more than score 4 needs; the price is that a
// password whose first 72 characters are weak is judged weak even if its
// tail is strong.
const complexityMaxRunes = 72

// Complexity scores password with zxcvbn (our implementation,
// internal/strength), from 0 (guessable) to 4 (very strong), as upstream
// does for passwords.minimum_complexity. userInputs are
// words known to relate to the user (username, email) that an attacker
// would try first. Only the first 72 characters are scored. Invalid UTF-8
// scores 0.
func Complexity(password string, userInputs []string) int {
	if !utf8.ValidString(password) {
		return 0
	}
	n := 0
	for i := range password {
		if n == complexityMaxRunes {
			password = password[:i]
			break
		}
		n++
	}
	return strength.Score(password, userInputs)
}
