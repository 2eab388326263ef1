package strength

import (
	"testing"

	"github.com/trustelem/zxcvbn"
)

// FuzzCompatible compares guesses with trustelem on arbitrary input. The
// one allowed difference is knownDifference's: more l33t readings, so
// fewer guesses.
func FuzzCompatible(f *testing.F) {
	for _, s := range []string{"", "a", "password", "P@ssw0rd!", "qwerty123", "11/11/1991", "1234\n", "aaaa", "abcabc", "日本語aé", "zxcvbnm,./"} {
		f.Add(s, "alice")
	}
	f.Add("aaa", "A") // a repeat's base is scored without the user's words
	f.Fuzz(func(t *testing.T, password, input string) {
		if len(password) > 100 {
			return // trustelem is too slow beyond
		}
		inputs := []string{input}
		want := zxcvbn.PasswordStrength(password, inputs).Guesses
		got := Guesses(password, inputs)
		if got == want || (got < want && len(l33tSubstitutions(password)) > 0) {
			return
		}
		if again := zxcvbn.PasswordStrength(password, inputs).Guesses; again != want {
			return // trustelem's own tie-break varied
		}
		t.Fatalf("Guesses(%q, %q) = %v, trustelem %v", password, inputs, got, want)
	})
}
