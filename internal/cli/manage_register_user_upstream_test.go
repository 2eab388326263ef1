package cli

import (
	"fmt"
	"testing"

	"mas/internal/homeserver/homeservertest"
)

// `manage register-user -m PROVIDER:SUBJECT` links the new user to a
// synced provider in the transaction that creates it; an unknown or
// disabled provider, or a subject already linked, is a clear error (exit
// 1) and no user is created.
func TestManageRegisterUserUpstreamMapping(t *testing.T) {
	onBothBackends(t, func(t *testing.T, dbURI string) {
		hs := homeservertest.New(t, homeservertest.Options{ServerName: "example.org", Secret: "register-user-secret"})
		dir := t.TempDir()
		base := writeFile(t, dir, "config.yaml", baseConfig(t, dbURI))
		over := writeFile(t, dir, "override.yaml", fmt.Sprintf("matrix:\n  homeserver: example.org\n  endpoint: %q\n  secret: register-user-secret\n", hs.URL()))
		providers := writeFile(t, dir, "providers.yaml", syncProviders(syncProvA, syncProvB))
		cfg := []string{"-c", base, "-c", over, "-c", providers}
		mustSucceed(t, run(t, append([]string{"database", "migrate"}, cfg...)...), "database migrate")

		register := func(args ...string) result {
			t.Helper()
			return run(t, append(append([]string{"manage", "register-user", "-y"}, args...), cfg...)...)
		}
		wantExit1 := func(r result, want ...string) {
			t.Helper()
			mustFail(t, r, want...)
			if r.code != 1 {
				t.Errorf("exit code %d, want 1", r.code)
			}
		}

		// Before any sync the database knows no provider: a clear error,
		// not a foreign-key violation.
		r := register("alice", "-m", syncProvA+":alice-sub")
		wantExit1(r, "Upstream provider not found: "+syncProvA, "mas-cli config sync")
		mustSucceed(t, run(t, append([]string{"config", "sync"}, cfg...)...), "config sync")

		mustSucceed(t, register("alice", "-m", syncProvA+":alice-sub", "-m", syncProvB+":alice-beta"), "register-user with links")
		// The links exist: the same subjects cannot be linked again.
		wantExit1(register("bob", "-m", syncProvA+":alice-sub"), "Upstream account is already linked: "+syncProvA+":alice-sub")
		wantExit1(register("bob", "-m", "01HFVBY12TMNTYTBV8W921M5FZ:x"), "Upstream provider not found: 01HFVBY12TMNTYTBV8W921M5FZ")
		// Twice the same subject in one call: the second link fails inside
		// the transaction, and the user is not created.
		wantExit1(register("bob", "-m", syncProvA+":bob-sub", "-m", syncProvA+":bob-sub"), "Upstream account is already linked")

		// B leaves the configuration: it is disabled, and refused.
		writeFile(t, dir, "providers.yaml", syncProviders(syncProvA))
		mustSucceed(t, run(t, append([]string{"config", "sync"}, cfg...)...), "config sync")
		wantExit1(register("bob", "-m", syncProvB+":bob-beta"), "Upstream provider is disabled: "+syncProvB+" (Beta)")

		// None of the failures created bob.
		mustSucceed(t, register("bob", "-m", syncProvA+":bob-sub"), "register-user bob")
	})
}
