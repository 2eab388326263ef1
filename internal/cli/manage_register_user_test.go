package cli

import (
	"fmt"
	"strings"
	"testing"

	"mas/internal/homeserver/homeservertest"
)

// registerUserConfig writes a configuration whose homeserver is a fake and
// whose password scheme is cheap.
func registerUserConfig(t *testing.T) (*homeservertest.Server, []string) {
	t.Helper()
	hs := homeservertest.New(t, homeservertest.Options{ServerName: "example.org", Secret: "register-user-secret"})
	dir := t.TempDir()
	base := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir)))
	over := writeFile(t, dir, "override.yaml", fmt.Sprintf(`matrix:
  homeserver: example.org
  endpoint: %q
  secret: register-user-secret
passwords:
  schemes:
    - version: 1
      algorithm: bcrypt
      cost: 4
`, hs.URL()))
	mustSucceed(t, run(t, "database", "migrate", "-c", base, "-c", over), "database migrate")
	return hs, []string{"-c", base, "-c", over}
}

func TestManageRegisterUser(t *testing.T) {
	hs, cfg := registerUserConfig(t)
	args := append([]string{"manage", "register-user", "alice", "-p", "correct horse battery staple 42",
		"-e", "alice@example.org", "-d", "Alice", "-a", "-y"}, cfg...)
	r := run(t, args...)
	mustSucceed(t, r, "register-user")
	if !strings.Contains(r.stdout, "@alice:example.org") {
		t.Fatalf("output does not name the user: %s", r)
	}
	// The same username again is refused with upstream's message.
	mustFail(t, run(t, args...), "User already exists")

	// A localpart the homeserver already has is refused.
	hs.AddUser("bob")
	mustFail(t, run(t, append([]string{"manage", "register-user", "bob", "-y"}, cfg...)...), "Username not available on homeserver")

	// Weak passwords are refused unless asked otherwise.
	mustFail(t, run(t, append([]string{"manage", "register-user", "carol", "-p", "password", "-y"}, cfg...)...), "too weak")
	mustSucceed(t, run(t, append([]string{"manage", "register-user", "carol", "-p", "password", "--ignore-password-complexity", "-y"}, cfg...)...), "weak password, ignored")

	// Bad input.
	mustFail(t, run(t, append([]string{"manage", "register-user", "Bad Name", "-y"}, cfg...)...), "invalid username")
	mustFail(t, run(t, append([]string{"manage", "register-user", "dave", "-m", "not-a-mapping", "-y"}, cfg...)...), "PROVIDER_ULID:SUBJECT")
	mustFail(t, run(t, append([]string{"manage", "register-user", "dave", "-a", "-A", "-y"}, cfg...)...), "none of the others")
}

func TestManageLockAndUnlockUser(t *testing.T) {
	_, cfg := registerUserConfig(t)
	mustSucceed(t, run(t, append([]string{"manage", "register-user", "erin", "-y"}, cfg...)...), "register-user")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"lock-user", "erin"}, "User @erin:example.org locked ("},
		{[]string{"unlock-user", "erin"}, "User @erin:example.org unlocked ("},
		{[]string{"lock-user", "erin", "--deactivate"}, "User @erin:example.org locked; deactivation scheduled ("},
		{[]string{"unlock-user", "erin", "--reactivate"}, "User @erin:example.org scheduled for reactivation ("},
	} {
		r := run(t, append(append([]string{"manage"}, tc.args...), cfg...)...)
		mustSucceed(t, r, strings.Join(tc.args, " "))
		if !strings.Contains(r.stdout, tc.want) {
			t.Errorf("%v printed %q, want %q", tc.args, r.stdout, tc.want)
		}
	}
	mustFail(t, run(t, append([]string{"manage", "lock-user", "nobody"}, cfg...)...), "User not found: nobody")
	mustFail(t, run(t, append([]string{"manage", "unlock-user"}, cfg...)...), "accepts 1 arg")
}
