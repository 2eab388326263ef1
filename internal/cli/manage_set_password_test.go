package cli

import (
	"errors"
	"testing"

	"mas/internal/passwords"
)

// `manage set-password` stores a new password hashed with the newest
// scheme; a weak one is refused with upstream's message and exit 1 unless
// --ignore-complexity; an unknown user is an error.
func TestManageSetPassword(t *testing.T) {
	onBothBackends(t, func(t *testing.T, dbURI string) {
		_, cfg := manageConfig(t, dbURI)
		mustSucceed(t, manage(t, cfg, "register-user", "erin", "-p", "first horse battery staple 7", "-y"), "register-user")

		const strong = "correct horse battery staple 42"
		r := manage(t, cfg, "set-password", "erin", strong)
		mustSucceed(t, r, "set-password")
		wantOut(t, r, "User @erin:example.org password changed (")
		a := openManagedApp(t, cfg)
		checkPassword := func(password string, want error) {
			t.Helper()
			u, err := a.Store.Users().FindByUsername(t.Context(), "erin")
			if err != nil {
				t.Fatal(err)
			}
			pw, err := a.Store.Passwords().Active(t.Context(), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if pw.Version != 2 {
				t.Errorf("password hashed with scheme %d, want the newest (2)", pw.Version)
			}
			if _, err := a.Passwords.Verify(t.Context(), pw.Version, pw.HashedPassword, password); !errors.Is(err, want) {
				t.Errorf("verifying %q: %v, want %v", password, err, want)
			}
		}
		checkPassword(strong, nil)

		r = manage(t, cfg, "set-password", "erin", "password")
		mustFail(t, r, "That password is too weak.")
		if r.code != 1 {
			t.Errorf("exit code %d, want 1", r.code)
		}
		checkPassword(strong, nil)
		mustSucceed(t, manage(t, cfg, "set-password", "erin", "password", "--ignore-complexity"), "set-password --ignore-complexity")
		checkPassword("password", nil)
		checkPassword(strong, passwords.ErrMismatch)

		mustFail(t, manage(t, cfg, "set-password", "nobody", strong), "User not found: nobody")
		mustFail(t, manage(t, cfg, "set-password", "erin"), "accepts 2 arg")
	})
}

// With passwords disabled, set-password says so instead of failing later.
func TestManageSetPasswordDisabled(t *testing.T) {
	_, cfg := manageConfig(t, sqliteURI(t.TempDir()))
	mustSucceed(t, manage(t, cfg, "register-user", "erin", "-y"), "register-user")
	off := writeFile(t, t.TempDir(), "off.yaml", "passwords:\n  enabled: false\n")
	mustFail(t, manage(t, append(cfg, "-c", off), "set-password", "erin", "correct horse battery staple 42"),
		"password authentication is disabled")
}
