package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"mas/internal/browsertest"
	"mas/internal/routes"
	"mas/internal/testenv"
)

// eventuallySynapseUser polls Synapse's admin API for localpart until
// cond holds.
func eventuallySynapseUser(t *testing.T, env *testenv.Env, adminTok, localpart, what string, cond func(map[string]any) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		u := synapseAdminUser(t, env, adminTok, localpart)
		if cond(u) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; Synapse says %v", what, u)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scopeConsentStatus runs the authorization-code flow asking for scopes up
// to the consent page and returns its status: 200 when the user may be
// granted them, 403 (the policy's refusal) when not.
func scopeConsentStatus(t *testing.T, env *testenv.Env, username, password string, scopes ...string) int {
	t.Helper()
	conf := codeClient(t, env, scopes...)
	b := browsertest.New(t, env.BaseURL)
	return login(t, b, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), username, password).Status
}

// adminConsentStatus is scopeConsentStatus for the Synapse admin scope.
func adminConsentStatus(t *testing.T, env *testenv.Env, username, password string) int {
	t.Helper()
	return scopeConsentStatus(t, env, username, password, "openid", "urn:matrix:client:api:*", "urn:synapse:admin:*")
}

// TestRealSynapsePromoteAdmin: `manage promote-admin` lets the user's next
// session obtain the Synapse admin scope, which Synapse's admin API
// accepts; `manage demote-admin` takes that away from later sessions.
func TestRealSynapsePromoteAdmin(t *testing.T) {
	withSynapse(t, func(t *testing.T, env *testenv.Env) {
		name, password := fresh("promoted"), "a passphrase for promoted"
		env.CreateUser(name, password)
		env.WaitProvisioned(name)
		if status := adminConsentStatus(t, env, name, password); status != http.StatusForbidden {
			t.Fatalf("admin scope before promote-admin: consent answered %d, want 403", status)
		}

		runCLI(t, env, "manage", "promote-admin", name)
		tok := adminToken(t, env, name, password)
		if u := synapseAdminUser(t, env, tok, name); u["name"] != env.Synapse.MXID(name) {
			t.Fatalf("Synapse admin API = %v", u)
		}

		runCLI(t, env, "manage", "demote-admin", name)
		if status := adminConsentStatus(t, env, name, password); status != http.StatusForbidden {
			t.Fatalf("admin scope after demote-admin: consent answered %d, want 403", status)
		}
	})
}

// TestRealSynapseAdminAPIUserState: locking, deactivating and reactivating
// a user through the Admin API reach Synapse, and the deactivated user's
// token is rejected by Synapse well within its introspection cache.
func TestRealSynapseAdminAPIUserState(t *testing.T) {
	withSynapse(t, func(t *testing.T, env *testenv.Env) {
		admin, name := fresh("api-admin"), fresh("api-victim")
		runCLI(t, env, "manage", "register-user", admin, "-p", "a passphrase for admin", "-a", "-y")
		env.CreateUser(name, "a passphrase for the victim")
		env.WaitProvisioned(admin)
		env.WaitProvisioned(name)
		synapseTok := adminToken(t, env, admin, "a passphrase for admin")
		api := clientCredentialsToken(t, env, "urn:mas:admin")

		// A token with a device, which Synapse has seen and so cached: the
		// deactivation deletes the device, which evicts it.
		userTok, _ := codeFlow(t, env, name, "a passphrase for the victim",
			"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:APIVICTIMDEVICE")
		mustStatus(t, "whoami before", matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", userTok.AccessToken, nil), http.StatusOK)

		user := adminCall(t, env, api, http.MethodGet, routes.AdminUserByUsername(name), nil).expect(t, http.StatusOK)
		id := user.Data.ID
		post := func(action string, body any) apiAnswer {
			return adminCall(t, env, api, http.MethodPost, routes.AdminUser(id)+"/"+action, body)
		}

		post("lock", nil).expect(t, http.StatusOK)
		eventuallySynapseUser(t, env, synapseTok, name, "the lock", func(u map[string]any) bool { return u["locked"] == true })
		post("unlock", nil).expect(t, http.StatusOK)
		eventuallySynapseUser(t, env, synapseTok, name, "the unlock", func(u map[string]any) bool { return u["locked"] == false })

		got := post("deactivate", map[string]any{"skip_erase": true}).expect(t, http.StatusOK)
		if got.Data.Attributes["deactivated_at"] == nil {
			t.Fatalf("deactivate answered %v", got.Raw)
		}
		eventuallySynapseUser(t, env, synapseTok, name, "the deactivation", func(u map[string]any) bool { return u["deactivated"] == true })
		t.Logf("Synapse rejected the deactivated user's token after %v", waitRejected(t, env, userTok.AccessToken))

		post("reactivate", nil).expect(t, http.StatusOK)
		eventuallySynapseUser(t, env, synapseTok, name, "the reactivation", func(u map[string]any) bool {
			return u["deactivated"] == false && u["locked"] == false
		})
		tok, _ := codeFlow(t, env, name, "a passphrase for the victim", "openid", "urn:matrix:client:api:*")
		resp := matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", tok.AccessToken, nil)
		mustStatus(t, "whoami after reactivation", resp, http.StatusOK)
		if !strings.HasPrefix(resp.Body["user_id"].(string), "@"+name+":") {
			t.Fatalf("whoami = %s", resp)
		}
	}, configureAdmin)
}
