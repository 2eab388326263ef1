package e2e

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"mas/internal/browsertest"
	"mas/internal/config"
	"mas/internal/homeserver/synapsetest"
	"mas/internal/testenv"
	"mas/internal/upstream/oidctest"
)

// The upstream provider tests: the whole login with an upstream provider,
// through the service's pages and the provider's own login form, with a
// cookie-jar browser.

// upstreamProviderID is the provider's ID in these tests.
const upstreamProviderID = "01HFVBY12TMNTYTBV8W921M5FA"

// upstreamSetup says which provider a test runs against and how the
// service is configured for it.
type upstreamSetup struct {
	postgres bool
	// start starts the provider with the client the service will use
	// (its redirect URI filled in).
	start func(t *testing.T, client oidctest.Client) *oidctest.Provider
	// client is the client registration at the provider, without its
	// redirect URI.
	client oidctest.Client
	// provider adjusts the service's provider entry (issuer, client and
	// discovery are filled in).
	provider func(p *config.UpstreamProvider)
	// configure adjusts the rest of the configuration.
	configure func(cfg *config.Config)
	// synapse, when set, is the homeserver instead of the fake one.
	synapse *synapsetest.Synapse
}

// upstreamEnv starts the provider and the service configured to use it.
func upstreamEnv(t *testing.T, s upstreamSetup) (*testenv.Env, *oidctest.Provider) {
	t.Helper()
	var op *oidctest.Provider
	env := testenv.New(t, testenv.Options{Postgres: s.postgres, Synapse: s.synapse, Configure: func(cfg *config.Config) {
		client := s.client
		if client.ID == "" {
			client.ID = "mas-client"
		}
		if client.Secret == "" && client.AuthMethod != "none" {
			client.Secret = "mas-client-secret-0123456789"
		}
		client.RedirectURIs = []string{strings.TrimSuffix(cfg.HTTP.PublicBase, "/") + "/upstream/callback/" + upstreamProviderID}
		op = s.start(t, client)
		method := config.TokenAuthMethod(client.AuthMethod)
		if method == "" {
			method = config.TokenAuthClientSecretBasic
		}
		p := config.UpstreamProvider{
			Enabled: true, ID: upstreamProviderID, Issuer: op.Issuer(), HumanName: "Test IdP",
			ClientID: client.ID, TokenEndpointAuthMethod: method,
			Scope: "openid profile email", DiscoveryMode: config.DiscoveryInsecure,
		}
		if strings.HasPrefix(string(method), "client_secret") {
			p.ClientSecret = client.Secret
		}
		if s.provider != nil {
			s.provider(&p)
		}
		cfg.UpstreamOAuth2.Providers = []config.UpstreamProvider{p}
		if s.configure != nil {
			s.configure(cfg)
		}
	}})
	return env, op
}

var providerButton = regexp.MustCompile(`href="([^"]*/upstream/authorize/[^"]*)"`)

// upstreamLogin starts at the login page, presses the provider's button,
// logs in at the provider with its own form and delivers its answer to
// the service. It returns the service's answer to the callback.
func upstreamLogin(t *testing.T, b *browsertest.Browser, op *oidctest.Provider, username, password string) *browsertest.Response {
	t.Helper()
	return upstreamLoginFrom(t, b, op, b.Get("/login"), username, password)
}

// upstreamLoginFrom is upstreamLogin from a login page the browser already
// has (one carrying where to go after, say).
func upstreamLoginFrom(t *testing.T, b *browsertest.Browser, op *oidctest.Provider, login *browsertest.Response, username, password string) *browsertest.Response {
	t.Helper()
	m := providerButton.FindStringSubmatch(login.Body)
	if login.Status != http.StatusOK || m == nil {
		t.Fatalf("login page without the provider's button: %d\n%s", login.Status, login.Body)
	}
	start := b.URL(login.URL, html.UnescapeString(m[1]))
	return deliver(t, b, op.Login(t, b.Client, start.String(), username, password))
}

// deliver sends the provider's answer to the service from browser b.
func deliver(t *testing.T, b *browsertest.Browser, cb *oidctest.Callback) *browsertest.Response {
	t.Helper()
	req, err := cb.Request(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b.Do(req)
}

func zitadelSetup(postgres bool) upstreamSetup {
	return upstreamSetup{
		postgres: postgres,
		start: func(t *testing.T, c oidctest.Client) *oidctest.Provider {
			return oidctest.Zitadel(t, oidctest.Config{Clients: []oidctest.Client{c}, Users: oidctest.DefaultUsers()})
		},
		provider: func(p *config.UpstreamProvider) {
			p.ClaimsImports.Localpart = config.LocalpartImport{Action: "require"}
			p.ClaimsImports.Displayname = config.AttributeImport{Action: "force"}
			p.ClaimsImports.Email = config.EmailImport{Action: "force"}
		},
	}
}

// TestUpstreamFirstAndSecondLogin: the first login creates the account with
// the mapped localpart, display name and email; the second goes straight
// in.
func TestUpstreamFirstAndSecondLogin(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		env, op := upstreamEnv(t, zitadelSetup(postgres))
		b := browsertest.New(t, env.BaseURL)
		res := upstreamLogin(t, b, op, "alice", "alice-password")
		if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/upstream/link/") {
			t.Fatalf("callback: %d %q\n%s", res.Status, res.Location, res.Body)
		}
		page := b.Get(res.Location)
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "alice") {
			t.Fatalf("register page: %d\n%s", page.Status, page.Body)
		}
		res = b.Submit(page, nil, "register")
		final := b.Settle(res)
		if final.Status != http.StatusOK {
			t.Fatalf("after registering: %d %s\n%s", final.Status, final.URL, final.Body)
		}
		ctx := context.Background()
		u, err := env.App.Store.Users().FindByUsername(ctx, "alice")
		if err != nil {
			t.Fatalf("alice was not created: %v", err)
		}
		emails, _ := env.App.Store.UserEmails().ListForUser(ctx, u.ID)
		if len(emails) != 1 || emails[0].Email != "alice@example.com" {
			t.Errorf("emails %v", emails)
		}
		env.WaitProvisioned("alice")
		if hu, _ := env.Homeserver.User("alice"); hu.DisplayName != "Alice Liddell" || len(hu.Emails) != 1 {
			t.Errorf("on the homeserver: %+v", hu)
		}

		// A second browser, a second login: straight in.
		b2 := browsertest.New(t, env.BaseURL)
		res = upstreamLogin(t, b2, op, "alice", "alice-password")
		res = b2.Get(res.Location)
		if res.Status != http.StatusSeeOther {
			t.Fatalf("second login: %d\n%s", res.Status, res.Body)
		}
		links, _ := env.App.Store.UpstreamLinks().ListForUser(ctx, u.ID)
		if len(links) != 1 || links[0].Subject != "sub-alice-0001" {
			t.Errorf("links %+v", links)
		}
	})
}
