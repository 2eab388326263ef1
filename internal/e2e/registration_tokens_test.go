package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"mas/internal/browsertest"
	"mas/internal/config"
	"mas/internal/routes"
	"mas/internal/testenv"
)

// tokenRegistrationEnv runs the service with the Admin API and password
// registration requiring a token (and no email, to keep the walk short).
func tokenRegistrationEnv(t *testing.T, postgres bool) *testenv.Env {
	return testenv.New(t, testenv.Options{Postgres: postgres, Configure: func(cfg *config.Config) {
		configureAdmin(cfg)
		cfg.Account.PasswordRegistrationEnabled = true
		cfg.Account.PasswordRegistrationEmailRequired = false
		cfg.Account.PasswordRegistrationTokenRequired = true
		// Every registration here comes from one address.
		cfg.RateLimiting.Registration = config.RateLimit{Burst: 100, PerSecond: 1}
	}})
}

// startTokenRegistration fills the password form for username and returns
// the token step's page it leads to.
func startTokenRegistration(t *testing.T, b *browsertest.Browser, username string) *browsertest.Response {
	t.Helper()
	pw := "a passphrase for " + username
	res := b.Submit(b.Get(routes.RegisterPassword), map[string]string{"username": username, "password": pw, "password_confirm": pw}, "")
	if res.Status != http.StatusSeeOther || !strings.HasSuffix(res.Location, "/token") {
		t.Fatalf("password form for %s: %d %q\n%s", username, res.Status, res.Location, res.Body)
	}
	page := b.Get(res.Location)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `name="token"`) {
		t.Fatalf("token step: %d\n%s", page.Status, page.Body)
	}
	return page
}

// finishTokenRegistration goes from an accepted token step through the
// display name to the finish step, and returns the finish step's answer.
func finishTokenRegistration(t *testing.T, b *browsertest.Browser, accepted *browsertest.Response) *browsertest.Response {
	t.Helper()
	return submitDisplayName(t, b, displayNamePage(t, b, accepted))
}

// displayNamePage follows an accepted token step to the display name step.
func displayNamePage(t *testing.T, b *browsertest.Browser, accepted *browsertest.Response) *browsertest.Response {
	t.Helper()
	page := b.Settle(accepted)
	if !strings.Contains(page.Body, `name="display_name"`) {
		t.Fatalf("after the token: %d\n%s", page.Status, page.Body)
	}
	return page
}

// submitDisplayName fills the display name step and returns the answer
// the registration ends on.
func submitDisplayName(t *testing.T, b *browsertest.Browser, page *browsertest.Response) *browsertest.Response {
	t.Helper()
	res := b.Submit(page, map[string]string{"display_name": "Someone"}, "set")
	if res.Status != http.StatusSeeOther {
		return res
	}
	return b.Get(res.Location)
}

// registerWithToken registers username with token through the pages and
// fails unless the account is made.
func registerWithToken(t *testing.T, e *testenv.Env, username, token string) {
	t.Helper()
	b := browsertest.New(t, e.BaseURL)
	res := b.Submit(startTokenRegistration(t, b, username), map[string]string{"token": token}, "")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("token %q for %s refused: %d\n%s", token, username, res.Status, res.Body)
	}
	finishTokenRegistration(t, b, res)
	if _, err := e.App.Store.Users().FindByUsername(context.Background(), username); err != nil {
		t.Fatalf("%s was not created: %v", username, err)
	}
}

// refusedToken submits token for username and expects the token step to
// refuse it on the page with msg; no account is made.
func refusedToken(t *testing.T, e *testenv.Env, username, token, msg string) {
	t.Helper()
	b := browsertest.New(t, e.BaseURL)
	res := b.Submit(startTokenRegistration(t, b, username), map[string]string{"token": token}, "")
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, msg) || !strings.Contains(res.Body, `name="token"`) {
		t.Fatalf("token %q for %s: %d, want 400 with %q\n%s", token, username, res.Status, msg, res.Body)
	}
	if _, err := e.App.Store.Users().FindByUsername(context.Background(), username); err == nil {
		t.Fatalf("%s was created with a refused token", username)
	}
}

const tokenInvalidMsg = "This registration token is not valid."

// TestRegistrationTokensEndToEnd: with tokens required, registration
// through the pages takes a token made by the Admin API or by the CLI's
// code; a single-use token is spent after one account, an expired or
// revoked one is refused until the admin changes it, and the use shows in
// the API (times_used, last_used_at, valid).
func TestRegistrationTokensEndToEnd(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := tokenRegistrationEnv(t, postgres)
		admin := clientCredentialsToken(t, e, "urn:mas:admin")
		call := func(method, path string, body any) apiAnswer { return adminCall(t, e, admin, method, path, body) }
		create := func(body map[string]any) *apiResource {
			return call("POST", routes.AdminRegistrationTokens, body).expect(t, http.StatusCreated).Data
		}

		// No token, a wrong one: refused on the page.
		b := browsertest.New(t, e.BaseURL)
		res := b.Submit(startTokenRegistration(t, b, "nobody"), map[string]string{"token": ""}, "")
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "Enter your registration token.") {
			t.Errorf("empty token: %d\n%s", res.Status, res.Body)
		}
		refusedToken(t, e, "nobody", "no-such-token", tokenInvalidMsg)

		// A single-use token from the API: one account, then spent.
		once := create(map[string]any{"token": "just-once", "usage_limit": 1})
		registerWithToken(t, e, "alice", "just-once")
		used := call("GET", registrationTokenPath(once.ID), nil).expect(t, http.StatusOK).Data.Attributes
		if used["times_used"] != float64(1) || used["last_used_at"] == nil || used["valid"] != false {
			t.Errorf("after one use: %v", used)
		}
		refusedToken(t, e, "bob", "just-once", tokenInvalidMsg)
		if n := call("GET", routes.AdminRegistrationTokens+"?count=only&filter[used]=true", nil).Meta; n == nil || n.Count != 1 {
			t.Errorf("used tokens: %+v", n)
		}
		// Raising the limit makes it usable again.
		call("PUT", registrationTokenPath(once.ID), map[string]any{"usage_limit": 2}).expect(t, http.StatusOK)
		registerWithToken(t, e, "bob", "just-once")

		// Expired: refused; without expiry: accepted.
		late := create(map[string]any{"token": "too-late", "expires_at": time.Now().Add(-time.Minute)})
		refusedToken(t, e, "carol", "too-late", tokenInvalidMsg)
		call("PUT", registrationTokenPath(late.ID), `{"expires_at": null}`).expect(t, http.StatusOK)
		registerWithToken(t, e, "carol", "too-late")

		// Revoked: refused; unrevoked: accepted.
		open := create(map[string]any{"token": "open-door"})
		call("POST", registrationTokenPath(open.ID, "/revoke"), nil).expect(t, http.StatusOK)
		refusedToken(t, e, "dave", "open-door", tokenInvalidMsg)
		call("POST", registrationTokenPath(open.ID, "/unrevoke"), nil).expect(t, http.StatusOK)
		registerWithToken(t, e, "dave", "open-door")

		// A token issued the way `mas-cli manage issue-user-registration-token`
		// does (random, single use by default there) works the same.
		cli, err := e.App.IssueRegistrationToken(context.Background(), "", new(1), nil)
		if err != nil {
			t.Fatal(err)
		}
		registerWithToken(t, e, "erin", cli.Token)
		refusedToken(t, e, "frank", cli.Token, tokenInvalidMsg)
		if got := call("GET", registrationTokenPath(cli.ID.String()), nil).expect(t, http.StatusOK).Data.Attributes; got["times_used"] != float64(1) {
			t.Errorf("CLI token after one use: %v", got)
		}
	})
}

// TestRegistrationTokenSpentBeforeFinish: two registrations pass the step
// with the last use of a token; the one finishing second is asked for
// another token and no account is made for it.
func TestRegistrationTokenSpentBeforeFinish(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := tokenRegistrationEnv(t, postgres)
		admin := clientCredentialsToken(t, e, "urn:mas:admin")
		adminCall(t, e, admin, "POST", routes.AdminRegistrationTokens, map[string]any{"token": "last-one", "usage_limit": 1}).
			expect(t, http.StatusCreated)
		first, second := browsertest.New(t, e.BaseURL), browsertest.New(t, e.BaseURL)
		acceptedFirst := first.Submit(startTokenRegistration(t, first, "gina"), map[string]string{"token": "last-one"}, "")
		acceptedSecond := second.Submit(startTokenRegistration(t, second, "hank"), map[string]string{"token": "last-one"}, "")
		if acceptedFirst.Status != http.StatusSeeOther || acceptedSecond.Status != http.StatusSeeOther {
			t.Fatalf("token step: %d, %d", acceptedFirst.Status, acceptedSecond.Status)
		}
		firstName, secondName := displayNamePage(t, first, acceptedFirst), displayNamePage(t, second, acceptedSecond)
		submitDisplayName(t, first, firstName)
		res := submitDisplayName(t, second, secondName)
		if res.Status != http.StatusConflict || !strings.Contains(res.Body, "This registration token can no longer be used.") {
			t.Errorf("second finish: %d\n%s", res.Status, res.Body)
		}
		if _, err := e.App.Store.Users().FindByUsername(context.Background(), "gina"); err != nil {
			t.Errorf("gina, who finished first, was not created: %v", err)
		}
		if _, err := e.App.Store.Users().FindByUsername(context.Background(), "hank"); err == nil {
			t.Error("hank was created with a spent token")
		}
	})
}
