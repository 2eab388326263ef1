// Package strength estimates how many guesses an attacker needs for a
// password and turns that into zxcvbn's 0–4 score. It follows the
// published zxcvbn algorithm (Wheeler, USENIX Security 2016): matchers
// find every dictionary word (plain, reversed, l33t), keyboard walk,
// repeat, sequence, recent year and date in the password; a dynamic
// programme picks the sequence of non-overlapping matches (bruteforce
// filling the gaps) that needs the fewest guesses.
//
// Scores are meant to equal those of github.com/trustelem/zxcvbn, the Go
// port this replaces (compat_test.go checks thousands of passwords), so
// its byte-offset conventions are kept, including for non-ASCII input.
// The word lists are built on the first score, never at package init.
package strength

import (
	"time"
	"unicode/utf8"
)

// Score is zxcvbn's score of password: 0 (guessable in under 10^3
// guesses) to 4 (10^10 or more). userInputs are words an attacker would
// try first (username, email parts). Invalid UTF-8 scores 0.
func Score(password string, userInputs []string) int {
	if !utf8.ValidString(password) {
		return 0
	}
	return scoreOf(Guesses(password, userInputs))
}

// Guesses estimates the number of guesses needed for password; 0 for
// invalid UTF-8.
func Guesses(password string, userInputs []string) float64 {
	if !utf8.ValidString(password) {
		return 0
	}
	e := estimator{referenceYear: time.Now().Year(), user: newUserDictionary(userInputs)}
	return e.guesses(password)
}

// scoreOf maps guesses to the score; the small delta keeps a password at
// exactly a threshold from scoring higher through rounding.
func scoreOf(guesses float64) int {
	const delta = 5
	switch {
	case guesses < 1e3+delta:
		return 0
	case guesses < 1e6+delta:
		return 1
	case guesses < 1e8+delta:
		return 2
	case guesses < 1e10+delta:
		return 3
	}
	return 4
}

// estimator holds what one estimate needs besides the password: repeats
// are scored recursively, without the user's words.
type estimator struct {
	referenceYear int
	user          *userDictionary
}

var noUserInputs = &userDictionary{}

func (e *estimator) withoutUserInputs() *estimator {
	return &estimator{referenceYear: e.referenceYear, user: noUserInputs}
}

func (e *estimator) guesses(password string) float64 {
	return e.minimumGuesses(password, e.omnimatch(password))
}

// omnimatch runs every matcher and orders the matches by (i, j), ties in
// matcher order: the search breaks ties between equal-cost sequences by
// that order, so it is part of the result.
func (e *estimator) omnimatch(password string) []*match {
	var ms []*match
	ms = e.dictionaryMatches(ms, password)
	ms = e.reverseDictionaryMatches(ms, password)
	ms = e.l33tMatches(ms, password)
	ms = spatialMatches(ms, password)
	ms = e.repeatMatches(ms, password)
	ms = sequenceMatches(ms, password)
	ms = yearMatches(ms, password)
	ms = e.dateMatches(ms, password)
	sortMatches(ms)
	return ms
}
