package cli

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"mas/internal/homeserver/homeservertest"
	"mas/internal/tokens"
)

// aliceConfig is manageConfig (manage_add_email_test.go) with alice
// registered.
func aliceConfig(t *testing.T, dbURI string) (*homeservertest.Server, []string) {
	t.Helper()
	hs, cfg := manageConfig(t, dbURI)
	mustSucceed(t, manage(t, cfg, "register-user", "alice", "-y"), "register-user")
	return hs, cfg
}

var issuedToken = regexp.MustCompile(`(?m)^Compatibility token issued: (\S+)$`)

// issueToken runs issue-compatibility-token and returns the token.
func issueToken(t *testing.T, cfg []string, args ...string) string {
	t.Helper()
	r := manage(t, cfg, append([]string{"issue-compatibility-token"}, args...)...)
	mustSucceed(t, r, "issue-compatibility-token")
	m := issuedToken.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no token printed:\n%s", r)
	}
	if typ, err := tokens.Check(m[1]); err != nil || typ != tokens.CompatAccessToken {
		t.Fatalf("token %q is not a compat access token (%v, %v)", m[1], typ, err)
	}
	return m[1]
}

func TestManageIssueCompatibilityToken(t *testing.T) {
	onBothBackends(t, func(t *testing.T, dbURI string) {
		hs, cfg := aliceConfig(t, dbURI)
		issueToken(t, cfg, "alice", "MYDEVICE")
		issueToken(t, cfg, "alice", "--yes-i-want-to-grant-synapse-admin-privileges")
		u, ok := hs.User("alice")
		if !ok || !slices.Contains(u.Devices, "MYDEVICE") || len(u.Devices) != 2 {
			t.Fatalf("devices on the homeserver: %+v", u)
		}
		// Two sessions were stored.
		r := manage(t, cfg, "kill-sessions", "alice", "--dry-run")
		mustSucceed(t, r, "kill-sessions --dry-run")
		if !strings.Contains(r.stdout, "Ended 2 active compatibility sessions") {
			t.Fatalf("kill-sessions does not count the issued sessions:\n%s", r)
		}

		// The homeserver cannot create the device: exit 1, nothing stored.
		hs.SetDown(true)
		mustFail(t, manage(t, cfg, "issue-compatibility-token", "alice", "DOWN"), "Could not create the device on the homeserver")
		hs.SetDown(false)
		r = manage(t, cfg, "kill-sessions", "alice", "--dry-run")
		if !strings.Contains(r.stdout, "Ended 2 active compatibility sessions") {
			t.Fatalf("a session was stored although its device was not created:\n%s", r)
		}

		mustFail(t, manage(t, cfg, "issue-compatibility-token", "nobody"), "User not found: nobody")
		mustFail(t, manage(t, cfg, "issue-compatibility-token"), "accepts between 1 and 2 arg")
	})
}

func TestManageKillSessions(t *testing.T) {
	onBothBackends(t, func(t *testing.T, dbURI string) {
		_, cfg := aliceConfig(t, dbURI)
		r := manage(t, cfg, "kill-sessions", "alice")
		mustSucceed(t, r, "kill-sessions without sessions")
		for _, want := range []string{"No active compatibility sessions to end", "No active OAuth 2.0 sessions to end",
			"No active browser sessions to end", "Scheduling job to sync devices for the user"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, r)
			}
		}

		issueToken(t, cfg, "alice")
		// A dry run counts and changes nothing: the real run ends it.
		for _, args := range [][]string{{"--dry-run"}, {}} {
			r := manage(t, cfg, append([]string{"kill-sessions", "alice"}, args...)...)
			mustSucceed(t, r, "kill-sessions")
			if !strings.Contains(r.stdout, "Ended 1 active compatibility session\n") {
				t.Fatalf("kill-sessions %v:\n%s", args, r)
			}
			if dry := strings.Contains(r.stdout, "Dry run, not saving"); dry != (len(args) > 0) {
				t.Fatalf("kill-sessions %v: dry-run notice %v:\n%s", args, dry, r)
			}
		}
		r = manage(t, cfg, "kill-sessions", "alice")
		if !strings.Contains(r.stdout, "No active compatibility sessions to end") {
			t.Fatalf("the session survived kill-sessions:\n%s", r)
		}
		mustFail(t, manage(t, cfg, "kill-sessions", "nobody"), "User not found: nobody")
	})
}
