package cli

import (
	"slices"
	"strings"
	"testing"
)

// `manage verify-email` does not stop at upstream's deprecation warning:
// the address becomes a confirmed email of the user (added if missing) and
// reaches the homeserver through provisioning.
func TestManageVerifyEmail(t *testing.T) {
	onBothBackends(t, func(t *testing.T, dbURI string) {
		hs, cfg := manageConfig(t, dbURI)
		mustSucceed(t, manage(t, cfg, "register-user", "carol", "-e", "carol@example.org", "-y"), "register-user carol")
		waitForHomeserverEmails(t, hs, cfg, "carol", "carol@example.org")

		r := manage(t, cfg, "verify-email", "carol", "carol@work.example.org")
		mustSucceed(t, r, "verify-email")
		wantOut(t, r, "Email carol@work.example.org added and confirmed for @carol:example.org (")
		if !strings.Contains(r.stderr, "unlike upstream's no-op verify-email") {
			t.Errorf("verify-email does not say it differs from upstream:\n%s", r)
		}
		r = manage(t, cfg, "verify-email", "carol", "carol@example.org")
		mustSucceed(t, r, "verify-email of a known address")
		wantOut(t, r, "Email carol@example.org is already confirmed for @carol:example.org (")

		mustSucceed(t, manage(t, cfg, "register-user", "dan", "-y"), "register-user dan")
		mustFail(t, manage(t, cfg, "verify-email", "dan", "carol@example.org"), "already in use by another user")
		mustFail(t, manage(t, cfg, "verify-email", "nobody", "x@example.org"), "User not found: nobody")
		mustFail(t, manage(t, cfg, "verify-email", "dan", "nope"), "invalid email address")

		a := openManagedApp(t, cfg)
		if got := userEmails(t, a, "dan"); len(got) != 0 {
			t.Errorf("dan has %v after failures", got)
		}
		want := []string{"carol@example.org", "carol@work.example.org"}
		if got := userEmails(t, a, "carol"); !slices.Equal(got, want) {
			t.Errorf("carol has %v, want %v", got, want)
		}
		waitForHomeserverEmails(t, hs, cfg, "carol", want...)
	})
}
