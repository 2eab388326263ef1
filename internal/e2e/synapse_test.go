package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"maunium.net/go/mautrix"

	"mas/internal/doctor"
	"mas/internal/testenv"
)

// whoami asks the fake Synapse who a token belongs to, which makes it
// introspect the token with us exactly as Synapse does.
func whoami(t *testing.T, env *testenv.Env, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.Homeserver.URL()+"/_matrix/client/v3/account/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &body)
	return resp.StatusCode, body
}

// TestSynapseOAuthSession: an OAuth login with a device scope creates the
// user and the device on the homeserver, whoami through the homeserver
// answers with them, and revoking the session removes the device so that
// the homeserver drops the token at once (not after its 2-minute cache).
func TestSynapseOAuthSession(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		env := testenv.New(t, testenv.Options{Postgres: postgres})
		env.CreateUser("carol", "a passphrase for carol")
		tok, conf := codeFlow(t, env, "carol", "a passphrase for carol",
			"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:CAROLPHONE")

		if _, ok := env.Homeserver.User("carol"); !ok {
			t.Fatal("carol is not on the homeserver")
		}
		if !slices.Contains(env.Homeserver.Devices("carol"), "CAROLPHONE") {
			t.Fatalf("device missing on the homeserver: %v", env.Homeserver.Devices("carol"))
		}
		status, body := whoami(t, env, tok.AccessToken)
		if status != http.StatusOK || body["user_id"] != "@carol:"+testenv.ServerName || body["device_id"] != "CAROLPHONE" {
			t.Fatalf("whoami = %d %v", status, body)
		}

		revoke(t, env, tok.AccessToken, conf.ClientID)
		env.Eventually("the device to disappear", func() bool {
			return !slices.Contains(env.Homeserver.Devices("carol"), "CAROLPHONE")
		})
		status, body = whoami(t, env, tok.AccessToken)
		if status != http.StatusUnauthorized || body["errcode"] != "M_UNKNOWN_TOKEN" {
			t.Fatalf("whoami after revocation = %d %v", status, body)
		}
	})
}

// TestSynapseCompatSession drives the compatibility layer with a real
// Matrix client library and checks the token against the homeserver.
func TestSynapseCompatSession(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		env := testenv.New(t, testenv.Options{Postgres: postgres})
		env.CreateUser("dave", "a passphrase for dave")
		ctx := context.Background()
		client, err := mautrix.NewClient(env.BaseURL, "", "")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Login(ctx, &mautrix.ReqLogin{
			Type:       mautrix.AuthTypePassword,
			Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: "dave"},
			Password:   "a passphrase for dave",
			DeviceID:   "DAVELAPTOP",
		})
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		status, body := whoami(t, env, resp.AccessToken)
		if status != http.StatusOK || body["user_id"] != "@dave:"+testenv.ServerName || body["device_id"] != "DAVELAPTOP" {
			t.Fatalf("whoami = %d %v", status, body)
		}
		client.AccessToken = resp.AccessToken
		if _, err := client.Logout(ctx); err != nil {
			t.Fatalf("logout: %v", err)
		}
		env.Eventually("the device to disappear", func() bool {
			return !slices.Contains(env.Homeserver.Devices("dave"), "DAVELAPTOP")
		})
		if status, _ := whoami(t, env, resp.AccessToken); status != http.StatusUnauthorized {
			t.Fatalf("whoami after logout = %d", status)
		}
	})
}

// TestDoctorAgainstTheService runs `doctor` against the fake Synapse
// talking to the real service.
func TestDoctorAgainstTheService(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	if err := env.Homeserver.RouteCompatTo(strings.TrimSuffix(env.BaseURL, "/")); err != nil {
		t.Fatal(err)
	}
	run := func(secret string) (doctor.Summary, string) {
		var out bytes.Buffer
		summary, err := doctor.Run(context.Background(), &out, doctor.Options{
			Issuer:       env.BaseURL,
			ServerName:   testenv.ServerName,
			Endpoint:     env.Homeserver.URL() + "/",
			Secret:       secret,
			WellKnownURL: env.Homeserver.URL(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return summary, out.String()
	}
	summary, out := run(testenv.Secret)
	if summary.Failures != 0 || strings.Contains(out, "❌") {
		t.Fatalf("doctor failed against a healthy deployment:\n%s", out)
	}
	for _, want := range []string{"✅ Homeserver is reachable", "correctly rejected an invalid access token", "handled by"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	summary, out = run("not-the-secret")
	if summary.Failures == 0 || !strings.Contains(out, "❌") || !strings.Contains(out, "matrix_authentication_service") {
		t.Fatalf("doctor did not flag a wrong secret:\n%s", out)
	}
	if strings.Contains(out, testenv.Secret) || strings.Contains(out, "not-the-secret") {
		t.Fatalf("doctor printed a secret:\n%s", out)
	}
}

// compatLogin logs in with m.login.password and returns the status and body.
func compatLogin(t *testing.T, env *testenv.Env, user, password, device string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"type":       "m.login.password",
		"identifier": map[string]string{"type": "m.id.user", "user": user},
		"password":   password,
		"device_id":  device,
	})
	resp, err := http.Post(env.URL("/_matrix/client/v3/login"), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// TestHomeserverOutage: while the homeserver is down, logins fail cleanly
// and leave nothing behind, and the side effects queued meanwhile
// (provisioning new users, removing logged-out devices) all happen once it
// is back.
func TestHomeserverOutage(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		env := testenv.New(t, testenv.Options{Postgres: postgres})
		const n = 8
		var tokens []string
		for i := range n {
			name := fmt.Sprintf("old%d", i)
			env.CreateUser(name, "passphrase "+name)
			status, body := compatLogin(t, env, name, "passphrase "+name, fmt.Sprintf("OLDDEVICE%d", i))
			if status != http.StatusOK {
				t.Fatalf("login %s: %d %v", name, status, body)
			}
			tokens = append(tokens, body["access_token"].(string))
		}

		env.Homeserver.SetDown(true)
		for i := range n {
			env.RegisterUserLocally(fmt.Sprintf("new%d", i), fmt.Sprintf("passphrase new%d", i))
		}
		for i, tok := range tokens {
			req, _ := http.NewRequest(http.MethodPost, env.URL("/_matrix/client/v3/logout"), strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("logout old%d during the outage: %d", i, resp.StatusCode)
			}
		}
		for i := range n {
			name := fmt.Sprintf("old%d", i)
			status, body := compatLogin(t, env, name, "passphrase "+name, "ANOTHERDEV")
			if status != http.StatusInternalServerError || body["errcode"] != "M_UNKNOWN" {
				t.Fatalf("login during the outage = %d %v, want 500 M_UNKNOWN", status, body)
			}
		}
		// The failed logins left no session behind.
		for i := range n {
			u, err := env.App.Store.Users().FindByUsername(context.Background(), fmt.Sprintf("old%d", i))
			if err != nil {
				t.Fatal(err)
			}
			if c, err := env.App.Store.CompatSessions().CountActiveForUser(context.Background(), u.ID); err != nil || c != 0 {
				t.Fatalf("old%d has %d active compat sessions after failed logins (%v)", i, c, err)
			}
		}

		env.Homeserver.SetDown(false)
		env.Eventually("every new user on the homeserver and every old device gone", func() bool {
			for i := range n {
				if _, ok := env.Homeserver.User(fmt.Sprintf("new%d", i)); !ok {
					return false
				}
				if len(env.Homeserver.Devices(fmt.Sprintf("old%d", i))) != 0 {
					return false
				}
			}
			return true
		})
		for i := range n {
			name := fmt.Sprintf("new%d", i)
			if status, body := compatLogin(t, env, name, "passphrase "+name, "NEWDEVICE1"); status != http.StatusOK {
				t.Fatalf("login %s after the outage: %d %v", name, status, body)
			}
			if !slices.Contains(env.Homeserver.Devices(name), "NEWDEVICE1") {
				t.Fatalf("%s's device is not on the homeserver", name)
			}
		}
	})
}
