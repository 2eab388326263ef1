package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"

	"mas/internal/cli"
	"mas/internal/config"
	"mas/internal/homeserver/synapsetest"
	"mas/internal/testenv"
)

// These tests run the service beside a real Synapse in delegated mode (see
// synapsetest): Synapse asks the service about every token, and the
// service provisions users and devices through Synapse's /_synapse/mas
// API. Each runs twice: Synapse and the service on SQLite, then both on
// PostgreSQL. One Synapse per database is shared by the whole test binary,
// so every test uses users of its own.

// withSynapse runs fn against each shared Synapse; configure, if given,
// edits the service's configuration.
func withSynapse(t *testing.T, fn func(t *testing.T, env *testenv.Env), configure ...func(*config.Config)) {
	for _, postgres := range []bool{false, true} {
		name := "sqlite"
		if postgres {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) {
			syn := synapsetest.Shared(t, synapsetest.Options{Postgres: postgres})
			fn(t, testenv.New(t, testenv.Options{Postgres: postgres, Synapse: syn, Configure: func(cfg *config.Config) {
				for _, c := range configure {
					c(cfg)
				}
			}}))
		})
	}
}

// fresh is a localpart no other test uses on the shared Synapse.
func fresh(prefix string) string { return prefix + "-" + strings.ToLower(rand.Text()[:10]) }

// matrix sends a client-server API request the way a Matrix client does,
// through the homeserver's public URL.
func matrix(t *testing.T, env *testenv.Env, method, path, token string, body any) *synapsetest.Response {
	t.Helper()
	resp, err := env.Synapse.ClientDo(context.Background(), method, path, token, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// mustStatus fails the test unless resp has the status.
func mustStatus(t *testing.T, what string, resp *synapsetest.Response, status int) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("%s = %s, want %d", what, resp, status)
	}
}

// waitRejected polls whoami until Synapse rejects the token with 401
// M_UNKNOWN_TOKEN. Synapse caches a token's introspection for two
// minutes, so a rejection well within that proves the device deletion
// evicted it.
func waitRejected(t *testing.T, env *testenv.Env, token string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		resp := matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", token, nil)
		if resp.Status == http.StatusUnauthorized && resp.Errcode() == "M_UNKNOWN_TOKEN" {
			return time.Since(start)
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("Synapse still answers %s for the token after %v", resp, time.Since(start))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runCLI runs mas-cli in-process on the service's configuration.
func runCLI(t *testing.T, env *testenv.Env, args ...string) string {
	t.Helper()
	b, err := env.Config.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := cli.Main(context.Background(), append(args, "-c", file), &stdout, &stderr); code != 0 {
		t.Fatalf("mas-cli %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	return stdout.String() + stderr.String()
}

// adminToken logs username in through the authorization-code flow with the
// Synapse admin scope.
func adminToken(t *testing.T, env *testenv.Env, username, password string) string {
	t.Helper()
	tok, _ := codeFlow(t, env, username, password,
		"openid", "urn:matrix:client:api:*", "urn:synapse:admin:*", "urn:matrix:client:device:"+strings.ToUpper(rand.Text()[:10]))
	return tok.AccessToken
}

// synapseAdminUser reads a user through Synapse's admin API.
func synapseAdminUser(t *testing.T, env *testenv.Env, token, localpart string) map[string]any {
	t.Helper()
	resp := matrix(t, env, http.MethodGet, "/_synapse/admin/v2/users/"+env.Synapse.MXID(localpart), token, nil)
	mustStatus(t, "admin API user", resp, http.StatusOK)
	return resp.Body
}

// TestRealSynapseRegisterUser: `manage register-user` provisions the user
// on Synapse with its display name and email; the admin flag lets the user
// obtain a token that Synapse's admin API accepts.
func TestRealSynapseRegisterUser(t *testing.T) {
	withSynapse(t, func(t *testing.T, env *testenv.Env) {
		name, email := fresh("reg"), fresh("mail")+"@example.org"
		out := runCLI(t, env, "manage", "register-user", name, "-p", "a passphrase for reg",
			"-e", email, "-d", "Registered By CLI", "-a", "-y")
		if !strings.Contains(out, env.Synapse.MXID(name)) {
			t.Fatalf("register-user output does not name the user: %s", out)
		}
		env.WaitProvisioned(name)

		u := synapseAdminUser(t, env, adminToken(t, env, name, "a passphrase for reg"), name)
		if u["displayname"] != "Registered By CLI" {
			t.Errorf("displayname on Synapse = %v", u["displayname"])
		}
		var emails []string
		threepids, _ := u["threepids"].([]any)
		for _, tp := range threepids {
			m, _ := tp.(map[string]any)
			if m["medium"] == "email" {
				emails = append(emails, m["address"].(string))
			}
		}
		if !slices.Equal(emails, []string{email}) {
			t.Errorf("emails on Synapse = %v, want [%s]", emails, email)
		}
		// Admin rights come from the token's scope, never from Synapse's
		// admin column, which provisioning does not set.
		if u["admin"] != false || u["deactivated"] != false || u["locked"] != false {
			t.Errorf("Synapse user = admin %v, deactivated %v, locked %v; want all false", u["admin"], u["deactivated"], u["locked"])
		}
	})
}

// TestRealSynapseOAuthLogin: an authorization-code login with a device
// scope gives a token Synapse accepts for that user and device, whose
// device carries the client's name; revoking it makes Synapse reject the
// token at once.
func TestRealSynapseOAuthLogin(t *testing.T) {
	withSynapse(t, func(t *testing.T, env *testenv.Env) {
		name := fresh("oauth")
		env.CreateUser(name, "a passphrase for oauth")
		tok, conf := codeFlow(t, env, name, "a passphrase for oauth",
			"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:OAUTHDEVICE")

		resp := matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", tok.AccessToken, nil)
		mustStatus(t, "whoami", resp, http.StatusOK)
		if resp.Body["user_id"] != env.Synapse.MXID(name) || resp.Body["device_id"] != "OAUTHDEVICE" {
			t.Fatalf("whoami = %s", resp)
		}
		resp = matrix(t, env, http.MethodGet, "/_matrix/client/v3/sync?timeout=0", tok.AccessToken, nil)
		mustStatus(t, "sync", resp, http.StatusOK)
		if resp.Body["next_batch"] == nil {
			t.Fatalf("sync = %s", resp)
		}
		resp = matrix(t, env, http.MethodGet, "/_matrix/client/v3/devices", tok.AccessToken, nil)
		mustStatus(t, "devices", resp, http.StatusOK)
		devices, _ := resp.Body["devices"].([]any)
		if len(devices) != 1 {
			t.Fatalf("devices = %s", resp)
		}
		d := devices[0].(map[string]any)
		if d["device_id"] != "OAUTHDEVICE" || d["display_name"] != "End-to-end test client" {
			t.Fatalf("device = %v, want OAUTHDEVICE named after the client", d)
		}

		revoke(t, env, tok.AccessToken, conf.ClientID)
		t.Logf("Synapse rejected the revoked token after %v", waitRejected(t, env, tok.AccessToken))
	})
}

// TestRealSynapseCompatLogin drives the legacy login API with a real
// Matrix client library through the homeserver's public URL, where the
// reverse proxy sends login, refresh and logout to the service: login,
// sync, refresh, logout; the logged-out token is rejected at once, not
// after Synapse's two-minute cache.
func TestRealSynapseCompatLogin(t *testing.T) {
	withSynapse(t, func(t *testing.T, env *testenv.Env) {
		name := fresh("compat")
		env.CreateUser(name, "a passphrase for compat")
		ctx := context.Background()
		client, err := mautrix.NewClient(env.Synapse.ClientURL(), "", "")
		if err != nil {
			t.Fatal(err)
		}
		login, err := client.Login(ctx, &mautrix.ReqLogin{
			Type:                     mautrix.AuthTypePassword,
			Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: name},
			Password:                 "a passphrase for compat",
			DeviceID:                 "COMPATDEV",
			InitialDeviceDisplayName: "mautrix on a laptop",
			RefreshToken:             true,
			StoreCredentials:         true,
		})
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		if login.RefreshToken == "" {
			t.Fatal("login asked for a refresh token and got none")
		}
		who, err := client.Whoami(ctx)
		if err != nil || who.UserID.String() != env.Synapse.MXID(name) || who.DeviceID != "COMPATDEV" {
			t.Fatalf("whoami = %+v, %v", who, err)
		}
		if _, err := client.SyncRequest(ctx, 0, "", "", false, ""); err != nil {
			t.Fatalf("sync: %v", err)
		}
		devices, err := client.GetDevicesInfo(ctx)
		if err != nil || len(devices.Devices) != 1 || devices.Devices[0].DisplayName != "mautrix on a laptop" {
			t.Fatalf("devices = %+v, %v", devices, err)
		}

		resp := matrix(t, env, http.MethodPost, "/_matrix/client/v3/refresh", "", map[string]string{"refresh_token": login.RefreshToken})
		mustStatus(t, "refresh", resp, http.StatusOK)
		refreshed, _ := resp.Body["access_token"].(string)
		if refreshed == "" || refreshed == login.AccessToken {
			t.Fatalf("refresh = %s", resp)
		}
		client.AccessToken = refreshed
		if _, err := client.SyncRequest(ctx, 0, "", "", false, ""); err != nil {
			t.Fatalf("sync with the refreshed token: %v", err)
		}
		if _, err := client.Logout(ctx); err != nil {
			t.Fatalf("logout: %v", err)
		}
		t.Logf("Synapse rejected the logged-out token after %v", waitRejected(t, env, refreshed))
	})
}

// TestRealSynapseAdminScope: a token with urn:synapse:admin:* may use
// Synapse's admin API, a token without it may not, and a user not allowed
// to request admin rights cannot get the scope.
func TestRealSynapseAdminScope(t *testing.T) {
	withSynapse(t, func(t *testing.T, env *testenv.Env) {
		admin, plain := fresh("admin"), fresh("plain")
		runCLI(t, env, "manage", "register-user", admin, "-p", "a passphrase for admin", "-a", "-y")
		env.CreateUser(plain, "a passphrase for plain")
		env.WaitProvisioned(admin)

		synapseAdminUser(t, env, adminToken(t, env, admin, "a passphrase for admin"), plain)

		tok, _ := codeFlow(t, env, plain, "a passphrase for plain", "openid", "urn:matrix:client:api:*")
		resp := matrix(t, env, http.MethodGet, "/_synapse/admin/v2/users/"+env.Synapse.MXID(plain), tok.AccessToken, nil)
		if resp.Status != http.StatusForbidden || resp.Errcode() != "M_FORBIDDEN" {
			t.Fatalf("admin API with a non-admin token = %s, want 403 M_FORBIDDEN", resp)
		}
	})
}

// TestRealSynapseLockDeactivateReactivate: locking, deactivating and
// reactivating a user with the CLI reach Synapse.
func TestRealSynapseLockDeactivateReactivate(t *testing.T) {
	withSynapse(t, func(t *testing.T, env *testenv.Env) {
		admin, user := fresh("admin"), fresh("victim")
		runCLI(t, env, "manage", "register-user", admin, "-p", "a passphrase for admin", "-a", "-y")
		env.CreateUser(user, "a passphrase for victim")
		env.WaitProvisioned(admin)
		adminTok := adminToken(t, env, admin, "a passphrase for admin")
		ctx := context.Background()

		eventually := func(what string, cond func(map[string]any) bool) {
			t.Helper()
			deadline := time.Now().Add(30 * time.Second)
			for {
				u := synapseAdminUser(t, env, adminTok, user)
				if cond(u) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("timed out waiting for %s; Synapse says %v", what, u)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}

		// A token Synapse has seen, and so cached.
		userTok, _ := codeFlow(t, env, user, "a passphrase for victim",
			"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:VICTIMDEVICE")
		whoami := func() *synapsetest.Response {
			return matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", userTok.AccessToken, nil)
		}
		mustStatus(t, "whoami before the lock", whoami(), http.StatusOK)

		runCLI(t, env, "manage", "lock-user", user)
		eventually("the lock to reach Synapse", func(u map[string]any) bool { return u["locked"] == true })
		if got := introspect(t, env, userTok.AccessToken); got["active"] != false {
			t.Fatalf("introspection of a locked user's token = %v", got)
		}
		// Synapse neither checks its lock flag nor drops the cached answer
		// (see README, Operating).
		mustStatus(t, "whoami of a locked user, cached", whoami(), http.StatusOK)
		runCLI(t, env, "manage", "unlock-user", user)
		eventually("the unlock to reach Synapse", func(u map[string]any) bool { return u["locked"] == false })

		runCLI(t, env, "manage", "lock-user", user, "--deactivate")
		eventually("the deactivation to reach Synapse", func(u map[string]any) bool { return u["deactivated"] == true })
		t.Logf("Synapse rejected the deactivated user's token after %v", waitRejected(t, env, userTok.AccessToken))
		if q, err := env.Synapse.QueryUser(ctx, user); err != nil || q == nil || !q.Deactivated {
			t.Fatalf("query_user after deactivation = %+v, %v", q, err)
		}

		runCLI(t, env, "manage", "unlock-user", user, "--reactivate")
		eventually("the reactivation to reach Synapse", func(u map[string]any) bool {
			return u["deactivated"] == false && u["locked"] == false
		})
		// The user can log in again, and Synapse accepts the new token.
		tok, _ := codeFlow(t, env, user, "a passphrase for victim", "openid", "urn:matrix:client:api:*")
		mustStatus(t, "whoami after reactivation",
			matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", tok.AccessToken, nil), http.StatusOK)
	})
}

// TestRealSynapseDoctor: `mas-cli doctor` against real Synapse passes
// every check (the issuer is plain http here, which it rightly warns
// about), and with a wrong matrix.secret shows the matching failure.
func TestRealSynapseDoctor(t *testing.T) {
	withSynapse(t, func(t *testing.T, env *testenv.Env) {
		out := runCLI(t, env, "doctor", "--well-known-url", env.Synapse.ClientURL())
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			switch {
			case strings.HasPrefix(line, "✅"), strings.HasPrefix(line, "💡"), strings.HasPrefix(line, " "):
			case strings.HasPrefix(line, "⚠️") && strings.Contains(line, "not an HTTPS URL"):
			default:
				t.Errorf("unexpected doctor line %q in:\n%s", line, out)
			}
		}
		for _, want := range []string{"Homeserver is reachable", "correctly rejected an invalid access token", "handled by"} {
			if !strings.Contains(out, want) {
				t.Errorf("doctor output lacks %q:\n%s", want, out)
			}
		}

		secret := env.Config.Matrix.Secret
		env.Config.Matrix.Secret = "not-the-shared-secret"
		defer func() { env.Config.Matrix.Secret = secret }()
		out = runCLI(t, env, "doctor", "--well-known-url", env.Synapse.ClientURL())
		if !strings.Contains(out, "❌") || !strings.Contains(out, "matrix_authentication_service") {
			t.Fatalf("doctor did not flag the wrong secret:\n%s", out)
		}
		if strings.Contains(out, secret) || strings.Contains(out, "not-the-shared-secret") {
			t.Fatalf("doctor printed a secret:\n%s", out)
		}
	})
}

// TestRealSynapseDiscovery: Synapse serves the service's discovery
// document as its auth metadata, and points clients at the service in its
// client well-known document.
func TestRealSynapseDiscovery(t *testing.T) {
	withSynapse(t, func(t *testing.T, env *testenv.Env) {
		direct := matrix(t, env, http.MethodGet, "/_matrix/client/v1/auth_metadata", "", nil)
		mustStatus(t, "auth_metadata", direct, http.StatusOK)
		theirs := getJSON(t, env.URL("/.well-known/openid-configuration"))
		for k, v := range theirs {
			if !reflect.DeepEqual(direct.Body[k], v) {
				t.Errorf("auth_metadata[%q] = %v, discovery has %v", k, direct.Body[k], v)
			}
		}
		if len(direct.Body) != len(theirs) {
			t.Errorf("auth_metadata has %d fields, discovery %d", len(direct.Body), len(theirs))
		}

		wk := matrix(t, env, http.MethodGet, "/.well-known/matrix/client", "", nil)
		mustStatus(t, "client well-known", wk, http.StatusOK)
		auth, _ := wk.Body["org.matrix.msc2965.authentication"].(map[string]any)
		if auth["issuer"] != env.BaseURL || auth["account"] != env.BaseURL+"account/" {
			t.Fatalf("well-known authentication = %v, want issuer %s and its account page", auth, env.BaseURL)
		}
	})
}

// revoke revokes a token at the revocation endpoint as a public client.
func revoke(t *testing.T, env *testenv.Env, token, clientID string) {
	t.Helper()
	resp, err := http.PostForm(env.URL("/oauth2/revoke"), url.Values{"token": {token}, "client_id": {clientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation answered %d", resp.StatusCode)
	}
}

// getJSON fetches a JSON object.
func getJSON(t *testing.T, target string) map[string]any {
	t.Helper()
	resp, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("GET %s = %d %s", target, resp.StatusCode, raw)
	}
	return out
}
