package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/testenv"
)

// TestInactiveSessionExpiry: with experimental.inactive_session_expiration
// set, a compat session idle for longer than the TTL is ended by the
// expiry job, the homeserver loses its device and its token stops
// working; a session of the same user used within the TTL stays.
func TestInactiveSessionExpiry(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		env := testenv.New(t, testenv.Options{Postgres: postgres, Configure: func(c *config.Config) {
			c.Experimental.InactiveSessionExpiration = &config.InactiveSessionExpiration{
				TTL: 600, ExpireCompatSessions: true, ExpireOAuthSessions: true, ExpireUserSessions: true,
			}
		}})
		ctx := context.Background()
		const password = "a passphrase for erin"
		user := env.CreateUser("erin", password)
		tokens := map[string]string{}
		for _, device := range []string{"IDLEDEVICE", "BUSYDEVICE"} {
			status, body := compatLogin(t, env, "erin", password, device)
			if status != http.StatusOK {
				t.Fatalf("login on %s = %d %v", device, status, body)
			}
			tokens[device], _ = body["access_token"].(string)
		}
		if got := env.Homeserver.Devices("erin"); !slices.Contains(got, "IDLEDEVICE") || !slices.Contains(got, "BUSYDEVICE") {
			t.Fatalf("devices on the homeserver = %v", got)
		}

		// IDLEDEVICE was last used an hour ago; BUSYDEVICE logged in just now.
		idle, err := env.App.Store.CompatSessions().ListActiveForDevice(ctx, user.ID, "IDLEDEVICE")
		if err != nil || len(idle) != 1 {
			t.Fatalf("idle session = %v, %v", idle, err)
		}
		if err := env.App.Store.CompatSessions().RecordActivity(ctx, idle[0].ID, time.Now().Add(-time.Hour), "198.51.100.7"); err != nil {
			t.Fatal(err)
		}

		// Run the expiry now rather than at the next quarter hour.
		worker := env.Server.Worker.Client()
		if _, err := worker.Insert(ctx, domain.ExpireInactiveSessionsJob{}, nil); err != nil {
			t.Fatal(err)
		}
		env.Eventually("the idle session to end", func() bool {
			s, err := env.App.Store.CompatSessions().Lookup(ctx, idle[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			return s.FinishedAt != nil
		})
		// The expiry staggers device syncs from a minute on; the test does
		// not wait that out but makes the scheduled syncs due now.
		res, err := worker.JobList(ctx, river.NewJobListParams().Kinds(domain.SyncDevicesJob{}.Kind()).
			States(rivertype.JobStateScheduled).First(100))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Jobs) != 1 {
			t.Fatalf("%d device syncs scheduled by the expiry, want 1", len(res.Jobs))
		}
		if _, err := worker.JobRetry(ctx, res.Jobs[0].ID); err != nil {
			t.Fatal(err)
		}
		env.Eventually("the homeserver to lose the idle device", func() bool {
			return !slices.Contains(env.Homeserver.Devices("erin"), "IDLEDEVICE")
		})
		if got := env.Homeserver.Devices("erin"); !slices.Contains(got, "BUSYDEVICE") {
			t.Fatalf("devices on the homeserver = %v, want BUSYDEVICE kept", got)
		}
		if status, _ := whoami(t, env, tokens["IDLEDEVICE"]); status != http.StatusUnauthorized {
			t.Fatalf("whoami with the expired session's token = %d, want 401", status)
		}
		if status, body := whoami(t, env, tokens["BUSYDEVICE"]); status != http.StatusOK {
			t.Fatalf("whoami with the active session's token = %d %v", status, body)
		}
	})
}
