package cli

import (
	"testing"
)

// promote-admin and demote-admin set whether a user may request admin
// privileges; list-admin-users prints those users, one username per line.
func TestManagePromoteDemoteAndListAdmins(t *testing.T) {
	onBothBackends(t, func(t *testing.T, dbURI string) {
		_, cfg := manageConfig(t, dbURI)
		for _, name := range []string{"frank", "grace", "heidi"} {
			mustSucceed(t, manage(t, cfg, "register-user", name, "-y"), "register-user "+name)
		}
		mustSucceed(t, manage(t, cfg, "register-user", "ivan", "-a", "-y"), "register-user ivan")

		list := func() string {
			t.Helper()
			r := manage(t, cfg, "list-admin-users")
			mustSucceed(t, r, "list-admin-users")
			return r.stdout
		}
		if got := list(); got != "ivan\n" {
			t.Errorf("admins before: %q", got)
		}

		r := manage(t, cfg, "promote-admin", "heidi")
		mustSucceed(t, r, "promote-admin heidi")
		wantOut(t, r, "User @heidi:example.org promoted to admin (")
		mustSucceed(t, manage(t, cfg, "promote-admin", "frank"), "promote-admin frank")
		// Promoting twice is harmless.
		mustSucceed(t, manage(t, cfg, "promote-admin", "frank"), "promote-admin frank again")
		// Oldest first, as the store lists them.
		if got := list(); got != "frank\nheidi\nivan\n" {
			t.Errorf("admins after promotions: %q", got)
		}

		r = manage(t, cfg, "demote-admin", "ivan")
		mustSucceed(t, r, "demote-admin ivan")
		wantOut(t, r, "User @ivan:example.org is no longer admin (")
		if got := list(); got != "frank\nheidi\n" {
			t.Errorf("admins after demotion: %q", got)
		}

		mustFail(t, manage(t, cfg, "promote-admin", "nobody"), "User not found: nobody")
		mustFail(t, manage(t, cfg, "demote-admin", "nobody"), "User not found: nobody")
		mustFail(t, manage(t, cfg, "list-admin-users", "extra"), "unknown command")
		if got := list(); got != "frank\nheidi\n" {
			t.Errorf("admins after failures: %q", got)
		}
	})
}
