package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var createdRegistrationToken = regexp.MustCompile(`(?m)^Created user registration token: (\S+)$`)

func TestManageIssueUserRegistrationToken(t *testing.T) {
	onBothBackends(t, func(t *testing.T, dbURI string) {
		_, cfg := manageConfig(t, dbURI)
		issue := func(args ...string) string {
			t.Helper()
			r := manage(t, cfg, append([]string{"issue-user-registration-token"}, args...)...)
			mustSucceed(t, r, "issue-user-registration-token")
			m := createdRegistrationToken.FindStringSubmatch(r.stdout)
			if m == nil {
				t.Fatalf("no token printed:\n%s", r)
			}
			return m[1]
		}
		random := issue()
		if !regexp.MustCompile(`^[A-Za-z0-9]{12}$`).MatchString(random) {
			t.Errorf("random token %q is not 12 alphanumerics", random)
		}
		if issue("--token", "chosen", "--usage-limit", "5", "--expires-in", "3600") != "chosen" {
			t.Error("--token was not used")
		}
		issue("--token", "forever", "--unlimited")

		a := openManagedApp(t, cfg)
		for _, tc := range []struct {
			token   string
			limit   int // 0: unlimited
			expires bool
		}{{random, 1, false}, {"chosen", 5, true}, {"forever", 0, false}} {
			got, err := a.Store.RegistrationTokens().FindByToken(t.Context(), tc.token)
			if err != nil {
				t.Fatalf("%s: %v", tc.token, err)
			}
			switch {
			case tc.limit == 0 && got.UsageLimit != nil,
				tc.limit != 0 && (got.UsageLimit == nil || *got.UsageLimit != tc.limit):
				t.Errorf("%s: usage limit %v, want %d (0: none)", tc.token, got.UsageLimit, tc.limit)
			}
			if (got.ExpiresAt != nil) != tc.expires {
				t.Errorf("%s: expires at %v", tc.token, got.ExpiresAt)
			}
			// The store stamps CreatedAt a moment after the command read the clock.
			if tc.expires && got.ExpiresAt != nil {
				if d := got.ExpiresAt.Sub(got.CreatedAt); d < 59*time.Minute || d > time.Hour {
					t.Errorf("%s: expires %v after creation, want 1h", tc.token, d)
				}
			}
		}

		mustFail(t, manage(t, cfg, "issue-user-registration-token", "--token", "chosen"), "already exists")
		mustFail(t, manage(t, cfg, "issue-user-registration-token", "--usage-limit", "2", "--unlimited"), "none of the others")
		mustFail(t, manage(t, cfg, "issue-user-registration-token", "--token", ""), "--token must not be empty")
		mustFail(t, manage(t, cfg, "issue-user-registration-token", "--usage-limit", "-1"), "invalid argument")
	})
}

func TestManageProvisionAllUsers(t *testing.T) {
	onBothBackends(t, func(t *testing.T, dbURI string) {
		_, cfg := manageConfig(t, dbURI)
		r := manage(t, cfg, "provision-all-users")
		mustSucceed(t, r, "provision-all-users")
		if !strings.Contains(r.stdout, "Scheduled provisioning of 0 users") {
			t.Fatalf("without users:\n%s", r)
		}
		for _, name := range []string{"alice", "bob", "carol"} {
			mustSucceed(t, manage(t, cfg, "register-user", name, "-y"), "register-user")
		}
		mustSucceed(t, manage(t, cfg, "lock-user", "carol", "--deactivate"), "lock-user")
		r = manage(t, cfg, "provision-all-users")
		mustSucceed(t, r, "provision-all-users")
		if !strings.Contains(r.stdout, "Scheduled provisioning of 3 users") {
			t.Fatalf("with three users:\n%s", r)
		}
	})
}
