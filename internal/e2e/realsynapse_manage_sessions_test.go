package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"mas/internal/testenv"
)

var compatTokenLine = regexp.MustCompile(`Compatibility token issued: (\S+)`)

// issueCompatToken runs `manage issue-compatibility-token` and returns the
// token it printed.
func issueCompatToken(t *testing.T, env *testenv.Env, args ...string) string {
	t.Helper()
	out := runCLI(t, env, append([]string{"manage", "issue-compatibility-token"}, args...)...)
	m := compatTokenLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no token in the output: %s", out)
	}
	return m[1]
}

// TestRealSynapseIssueCompatTokenAndKillSessions: a token from
// `manage issue-compatibility-token` works on Synapse's /sync for the
// device it names, is a Synapse admin token only when asked, survives a
// dry run of `manage kill-sessions`, and is rejected after the real one
// well within Synapse's two-minute introspection cache (the device sync
// deletes the device, which evicts the cached token).
func TestRealSynapseIssueCompatTokenAndKillSessions(t *testing.T) {
	withSynapse(t, func(t *testing.T, env *testenv.Env) {
		name := fresh("compat-cli")
		env.CreateUser(name, "a passphrase for compat-cli")
		token := issueCompatToken(t, env, name, "CLIDEVICE")
		admin := issueCompatToken(t, env, name, "--yes-i-want-to-grant-synapse-admin-privileges")

		resp := matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", token, nil)
		mustStatus(t, "whoami", resp, http.StatusOK)
		if resp.Body["user_id"] != env.Synapse.MXID(name) || resp.Body["device_id"] != "CLIDEVICE" {
			t.Fatalf("whoami = %s", resp)
		}
		resp = matrix(t, env, http.MethodGet, "/_matrix/client/v3/sync?timeout=0", token, nil)
		mustStatus(t, "sync", resp, http.StatusOK)
		if resp.Body["next_batch"] == nil {
			t.Fatalf("sync = %s", resp)
		}
		adminPath := "/_synapse/admin/v2/users/" + env.Synapse.MXID(name)
		mustStatus(t, "admin API with the plain token", matrix(t, env, http.MethodGet, adminPath, token, nil), http.StatusForbidden)
		mustStatus(t, "admin API with the admin token", matrix(t, env, http.MethodGet, adminPath, admin, nil), http.StatusOK)

		out := runCLI(t, env, "manage", "kill-sessions", name, "--dry-run")
		if !strings.Contains(out, "Ended 2 active compatibility sessions") || !strings.Contains(out, "Dry run, not saving") {
			t.Fatalf("kill-sessions --dry-run: %s", out)
		}
		mustStatus(t, "sync after the dry run", matrix(t, env, http.MethodGet, "/_matrix/client/v3/sync?timeout=0", token, nil), http.StatusOK)

		out = runCLI(t, env, "manage", "kill-sessions", name)
		if !strings.Contains(out, "Ended 2 active compatibility sessions") {
			t.Fatalf("kill-sessions: %s", out)
		}
		t.Logf("Synapse rejected the killed token after %v", waitRejected(t, env, token))
		waitRejected(t, env, admin)
	})
}
