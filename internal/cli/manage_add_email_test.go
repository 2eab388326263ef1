package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"mas/internal/app"
	"mas/internal/config"
	"mas/internal/homeserver/homeservertest"
)

// manageConfig writes a migrated configuration on dbURI whose homeserver
// is a fake, with two cheap password schemes (version 2 is the newest).
func manageConfig(t *testing.T, dbURI string) (*homeservertest.Server, []string) {
	t.Helper()
	hs := homeservertest.New(t, homeservertest.Options{ServerName: "example.org", Secret: "manage-secret"})
	dir := t.TempDir()
	base := writeFile(t, dir, "config.yaml", baseConfig(t, dbURI))
	over := writeFile(t, dir, "override.yaml", fmt.Sprintf(`matrix:
  homeserver: example.org
  endpoint: %q
  secret: manage-secret
passwords:
  schemes:
    - version: 1
      algorithm: bcrypt
      cost: 4
    - version: 2
      algorithm: bcrypt
      cost: 5
`, hs.URL()))
	cfg := []string{"-c", base, "-c", over}
	mustSucceed(t, run(t, append([]string{"database", "migrate"}, cfg...)...), "database migrate")
	return hs, cfg
}

// manage runs `mas-cli manage ARGS… -c …`.
func manage(t *testing.T, cfg []string, args ...string) result {
	t.Helper()
	return run(t, append(append([]string{"manage"}, args...), cfg...)...)
}

// openManagedApp opens the service the commands ran on, to look at what
// they stored.
func openManagedApp(t *testing.T, cfg []string) *app.App {
	t.Helper()
	var paths []string
	for i := 1; i < len(cfg); i += 2 {
		paths = append(paths, cfg[i])
	}
	l, err := config.LoadWith(config.LoadOptions{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(t.Context(), l.Config, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// userEmails lists the stored addresses of a user.
func userEmails(t *testing.T, a *app.App, username string) []string {
	t.Helper()
	u, err := a.Store.Users().FindByUsername(t.Context(), username)
	if err != nil {
		t.Fatal(err)
	}
	list, err := a.Store.UserEmails().ListForUser(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Email)
	}
	slices.Sort(out)
	return out
}

// waitForHomeserverEmails runs the job worker until the fake homeserver
// has exactly want as the user's emails. The bound only turns a hang into
// a failure.
func waitForHomeserverEmails(t *testing.T, hs *homeservertest.Server, cfg []string, localpart string, want ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan result, 1)
	go func() { done <- runContext(t, ctx, append([]string{"worker"}, cfg...)...) }()
	defer func() { cancel(); waitExit(t, done) }()
	slices.Sort(want)
	deadline := time.Now().Add(time.Minute)
	for {
		u, ok := hs.User(localpart)
		if ok && slices.Equal(u.Emails, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("homeserver has %s with emails %v (known: %v), want %v", localpart, u.Emails, ok, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// `manage add-email` gives a user a confirmed address and provisions it
// on the homeserver; an address of another user, an unknown user or a
// malformed address fail with exit 1 and change nothing.
func TestManageAddEmail(t *testing.T) {
	onBothBackends(t, func(t *testing.T, dbURI string) {
		hs, cfg := manageConfig(t, dbURI)
		mustSucceed(t, manage(t, cfg, "register-user", "alice", "-y"), "register-user alice")
		mustSucceed(t, manage(t, cfg, "register-user", "bob", "-e", "bob@example.org", "-y"), "register-user bob")
		// Registration's own provisioning is done before add-email runs, so
		// that the address can only reach the homeserver through add-email.
		waitForHomeserverEmails(t, hs, cfg, "alice")

		r := manage(t, cfg, "add-email", "alice", "alice@example.org")
		mustSucceed(t, r, "add-email")
		wantOut(t, r, "Email alice@example.org added to @alice:example.org (")
		// Again (in another case): kept, and reported as such.
		r = manage(t, cfg, "add-email", "alice", "Alice@Example.org")
		mustSucceed(t, r, "add-email again")
		wantOut(t, r, "Email alice@example.org already belongs to @alice:example.org (")

		wantExit1 := func(r result, want ...string) {
			t.Helper()
			mustFail(t, r, want...)
			if r.code != 1 {
				t.Errorf("exit code %d, want 1", r.code)
			}
		}
		wantExit1(manage(t, cfg, "add-email", "alice", "BOB@example.org"), "Email address is already in use by another user: BOB@example.org")
		wantExit1(manage(t, cfg, "add-email", "nobody", "nobody@example.org"), "User not found: nobody")
		for _, bad := range []string{"not-an-address", "Alice <a@example.org>", "", strings.Repeat("a", 250) + "@example.org"} {
			wantExit1(manage(t, cfg, "add-email", "alice", bad), "invalid email address")
		}
		mustFail(t, manage(t, cfg, "add-email", "alice"), "accepts 2 arg")

		a := openManagedApp(t, cfg)
		if got := userEmails(t, a, "alice"); !slices.Equal(got, []string{"alice@example.org"}) {
			t.Errorf("alice has %v", got)
		}
		if got := userEmails(t, a, "bob"); !slices.Equal(got, []string{"bob@example.org"}) {
			t.Errorf("bob has %v", got)
		}
		waitForHomeserverEmails(t, hs, cfg, "alice", "alice@example.org")
	})
}
