package e2e

import (
	"net/http"
	"slices"
	"testing"

	"mas/internal/testenv"
)

// TestLoginBeforeProvisioning: a login that needs a device for a user the
// homeserver does not know yet (its provisioning job has not run) provisions
// the user on the spot instead of failing.
func TestLoginBeforeProvisioning(t *testing.T) {
	env := testenv.New(t, testenv.Options{NoWorker: true})
	env.RegisterUser("erin", "a passphrase for erin")
	if _, ok := env.Homeserver.User("erin"); ok {
		t.Fatal("erin was provisioned although no worker runs")
	}
	status, body := compatLogin(t, env, "erin", "a passphrase for erin", "ERINDEVICE")
	if status != http.StatusOK {
		t.Fatalf("login = %d %v", status, body)
	}
	if _, ok := env.Homeserver.User("erin"); !ok {
		t.Fatal("erin is still unknown to the homeserver")
	}
	if !slices.Contains(env.Homeserver.Devices("erin"), "ERINDEVICE") {
		t.Fatalf("device missing: %v", env.Homeserver.Devices("erin"))
	}
}
