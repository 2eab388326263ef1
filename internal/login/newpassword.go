package login

import (
	"errors"
	"fmt"

	"mas/internal/domain"
	"mas/internal/strength"
)

// Reasons a new password is refused.
var (
	ErrPasswordEmpty   = errors.New("the password is empty")
	ErrPasswordTooLong = fmt.Errorf("the password is longer than %d bytes", MaxPasswordBytes)
	ErrPasswordNotText = errors.New("the password holds characters that are not text")
	ErrPasswordTooWeak = errors.New("the password is too easy to guess")
)

// WeakPasswordError says how weak a refused password was.
type WeakPasswordError struct {
	Score, Minimum int
}

func (e *WeakPasswordError) Error() string {
	return fmt.Sprintf("%v (strength %d of 4, at least %d required)", ErrPasswordTooWeak, e.Score, e.Minimum)
}

// Is makes errors.Is(err, ErrPasswordTooWeak) hold.
func (e *WeakPasswordError) Is(target error) bool { return target == ErrPasswordTooWeak }

// CheckNewPassword decides whether a password may be set, as every path that
// sets one (registration, change, recovery, the CLI without
// --ignore-complexity) must: not empty, text, at most MaxPasswordBytes,
// and a zxcvbn score of at least minimum, computed with the user's own
// details (username, email) counted as easy guesses. A minimum of 0 or
// less only checks the shape.
func CheckNewPassword(password string, minimum int, userInputs ...string) error {
	switch {
	case password == "":
		return ErrPasswordEmpty
	case len(password) > MaxPasswordBytes:
		return ErrPasswordTooLong
	case !domain.IsText(password):
		return ErrPasswordNotText
	}
	if minimum <= 0 {
		return nil
	}
	// zxcvbn's cost grows with length; beyond 256 characters the score is
	// 4 anyway and the tail adds nothing but time.
	scored := password
	if r := []rune(scored); len(r) > 256 {
		scored = string(r[:256])
	}
	score := strength.Score(scored, userInputs)
	if score < minimum {
		return &WeakPasswordError{Score: score, Minimum: minimum}
	}
	return nil
}
