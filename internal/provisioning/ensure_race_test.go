package provisioning_test

import (
	"net/http"
	"slices"
	"testing"

	"mas/internal/homeserver/homeservertest"
	"mas/internal/provisioning"
)

// A login right after a registration creates its device while the new
// user's provisioning job may be registering the user on Synapse. When
// the job wins between Synapse's check and the login's own provisioning,
// Synapse answers the login M_USER_IN_USE: the user exists then, and the
// device is created (this failed the code exchange with a server error,
// seen against real Synapse in TestUpstreamRealSynapseFirstLogin).
func TestEnsureDevicesProvisioningRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *pendingEnv) {
		bob, err := e.store.Users().Add(e.ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		e.hs.SetHook("/_synapse/mas/provision_user", func(*http.Request, []byte) *homeservertest.Response {
			e.hs.AddUser("bob") // the job, a moment earlier
			return homeservertest.MatrixErrorResponse(http.StatusBadRequest, "M_USER_IN_USE", "User ID already taken.")
		})
		if err := provisioning.EnsureDevices(e.ctx, e.conn, e.store, bob, []string{"BOBPHONE"}, "Phone"); err != nil {
			t.Fatalf("EnsureDevices after losing the race: %v", err)
		}
		if devs := e.hs.Devices("bob"); !slices.Equal(devs, []string{"BOBPHONE"}) {
			t.Fatalf("devices on the homeserver = %v", devs)
		}
	})
}
