package login_test

import (
	"errors"
	"strings"
	"testing"

	"mas/internal/login"
)

func TestCheckNewPassword(t *testing.T) {
	for _, tc := range []struct {
		name     string
		password string
		minimum  int
		inputs   []string
		want     error
	}{
		{"empty", "", 3, nil, login.ErrPasswordEmpty},
		{"too long", strings.Repeat("x", login.MaxPasswordBytes+1), 0, nil, login.ErrPasswordTooLong},
		{"NUL", "correct horse\x00battery", 0, nil, login.ErrPasswordNotText},
		{"invalid UTF-8", "correct\xffhorse", 0, nil, login.ErrPasswordNotText},
		// Scores as the reference zxcvbn gives them: password 0,
		// alice2024 1, correcthorsebatterystaple 4.
		{"common", "password", 3, nil, login.ErrPasswordTooWeak},
		{"weak", "alice2024", 3, nil, login.ErrPasswordTooWeak},
		{"passphrase", "correcthorsebatterystaple", 3, nil, nil},
		{"weak but no minimum", "password", 0, nil, nil},
		{"weak within a low minimum", "alice2024", 1, nil, nil},
		// The user's own details are easy guesses: strong alone (score
		// 4), worthless as the username.
		{"strong", "k7Rw2pQz9Lm", 3, nil, nil},
		{"own username", "k7Rw2pQz9Lm", 3, []string{"k7Rw2pQz9Lm"}, login.ErrPasswordTooWeak},
		{"long", strings.Repeat("correct horse battery staple ", 100), 4, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := login.CheckNewPassword(tc.password, tc.minimum, tc.inputs...)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	var weak *login.WeakPasswordError
	if err := login.CheckNewPassword("password", 3); !errors.As(err, &weak) || weak.Score != 0 || weak.Minimum != 3 {
		t.Fatalf("err = %#v", err)
	}
}
