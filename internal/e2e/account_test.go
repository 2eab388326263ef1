package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"maunium.net/go/mautrix"

	"mas/internal/browsertest"
	"mas/internal/config"
	"mas/internal/testenv"
)

// accountBrowser signs username in on the service's own login page and
// returns the browser, on the account pages.
func accountBrowser(t *testing.T, env *testenv.Env, username, password string) *browsertest.Browser {
	t.Helper()
	b := browsertest.New(t, env.BaseURL)
	page := login(t, b, env.URL("/account/"), username, password)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, env.Synapse.MXID(username)) {
		t.Fatalf("account page after login: %d\n%s", page.Status, page.Body)
	}
	return b
}

// endDeviceOnAccountPage follows the MSC4191 link a client opens to end a
// device, and ends the session on its page.
func endDeviceOnAccountPage(t *testing.T, b *browsertest.Browser, deviceID string) {
	t.Helper()
	page := b.Follow("/account/?" + url.Values{"action": {"org.matrix.session_end"}, "device_id": {deviceID}}.Encode())
	if page.Status != http.StatusOK || !strings.Contains(page.Body, deviceID) {
		t.Fatalf("session page of %s: %d\n%s", deviceID, page.Status, page.Body)
	}
	res := b.Post(page.URL.Path+"/end", url.Values{"csrf": {browsertest.CSRFOf(t, page)}})
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "done=session-ended") {
		t.Fatalf("ending %s: %d %q\n%s", deviceID, res.Status, res.Location, res.Body)
	}
}

// TestRealSynapseAccountEndSession: ending a session on the account page
// makes Synapse reject its token at once (the device sync evicts it from
// Synapse's two-minute introspection cache), for an OAuth 2.0 session and
// for a legacy one.
func TestRealSynapseAccountEndSession(t *testing.T) {
	withSynapse(t, func(t *testing.T, env *testenv.Env) {
		name, password := fresh("ends"), "a passphrase for ending sessions"
		env.CreateUser(name, password)
		tok, _ := codeFlow(t, env, name, password, "openid", "urn:matrix:client:api:*", "urn:matrix:client:device:ACCOUNTOAUTH")
		mustStatus(t, "whoami", matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", tok.AccessToken, nil), http.StatusOK)

		client, err := mautrix.NewClient(env.Synapse.ClientURL(), "", "")
		if err != nil {
			t.Fatal(err)
		}
		legacy, err := client.Login(context.Background(), &mautrix.ReqLogin{
			Type:       mautrix.AuthTypePassword,
			Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: name},
			Password:   password, DeviceID: "ACCOUNTCOMPAT",
		})
		if err != nil {
			t.Fatalf("legacy login: %v", err)
		}
		mustStatus(t, "legacy whoami", matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", legacy.AccessToken, nil), http.StatusOK)

		b := accountBrowser(t, env, name, password)
		endDeviceOnAccountPage(t, b, "ACCOUNTOAUTH")
		t.Logf("Synapse rejected the OAuth 2.0 token after %v", waitRejected(t, env, tok.AccessToken))
		endDeviceOnAccountPage(t, b, "ACCOUNTCOMPAT")
		t.Logf("Synapse rejected the legacy token after %v", waitRejected(t, env, legacy.AccessToken))
	})
}

// TestRealSynapseAccountDeactivate: deactivating on the account page
// deactivates the user on Synapse, whose tokens stop working.
func TestRealSynapseAccountDeactivate(t *testing.T) {
	withSynapse(t, func(t *testing.T, env *testenv.Env) {
		name, password := fresh("gone"), "a passphrase for leaving"
		env.CreateUser(name, password)
		tok, _ := codeFlow(t, env, name, password, "openid", "urn:matrix:client:api:*", "urn:matrix:client:device:LEAVINGDEV")
		mustStatus(t, "whoami", matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", tok.AccessToken, nil), http.StatusOK)

		b := accountBrowser(t, env, name, password)
		page := b.Get("/account/deactivate")
		res := b.Post("/account/deactivate", url.Values{
			"csrf": {browsertest.CSRFOf(t, page)}, "current_password": {password}, "confirm": {"on"},
		})
		if !strings.Contains(res.Body, "Account deactivated") {
			t.Fatalf("deactivation answered %d\n%s", res.Status, res.Body)
		}
		env.Eventually(name+" to be deactivated on Synapse", func() bool {
			u, err := env.Synapse.QueryUser(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			return u != nil && u.Deactivated
		})
		t.Logf("Synapse rejected the deactivated user's token after %v", waitRejected(t, env, tok.AccessToken))
	})
}

// TestAccountPlanFrame: the plan page's Content-Security-Policy lets the
// configured plan page be framed, and no other page's does.
func TestAccountPlanFrame(t *testing.T) {
	env := testenv.New(t, testenv.Options{Configure: func(c *config.Config) {
		c.Experimental.PlanManagementIframeURI = "https://billing.example.com/plan?tenant=1"
	}})
	env.CreateUser("alice", "a passphrase for plans")
	b := browsertest.New(t, env.BaseURL)
	login(t, b, env.URL("/account/"), "alice", "a passphrase for plans")

	plan := b.Get("/account/plan")
	csp := plan.Header.Get("Content-Security-Policy")
	if plan.Status != http.StatusOK || !strings.Contains(csp, "frame-src https://billing.example.com;") ||
		!strings.Contains(plan.Body, `src="https://billing.example.com/plan?tenant=1"`) {
		t.Fatalf("plan page: %d, CSP %q\n%s", plan.Status, csp, plan.Body)
	}
	if csp := b.Get("/account/").Header.Get("Content-Security-Policy"); strings.Contains(csp, "frame-src") {
		t.Fatalf("the profile may frame: %q", csp)
	}
}
