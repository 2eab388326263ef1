package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"mas/internal/browsertest"
	"mas/internal/config"
	"mas/internal/upstream/oidctest"
)

// seedExample is the upstream provider example of the seed documentation
// (the playbook's), every commented field switched on. `config check`
// accepts it in internal/cli's TestPlaybookConfiguration.
const seedExample = "../cli/testdata/playbook/provider-example.yaml"

// loadSeedExample reads the example's one provider.
func loadSeedExample(t *testing.T) config.UpstreamProvider {
	t.Helper()
	cfg, err := config.Load([]string{seedExample})
	if err != nil {
		t.Fatalf("loading %s: %v", seedExample, err)
	}
	if n := len(cfg.UpstreamOAuth2.Providers); n != 1 {
		t.Fatalf("%s has %d providers, want 1", seedExample, n)
	}
	return cfg.UpstreamOAuth2.Providers[0]
}

// TestUpstreamSeedExample: the seed documentation's provider example,
// pointed at panva's oidc-provider and otherwise as written, passes
// `config check` and logs a first user in, creating the account as its
// claims_imports say: the localpart forced from preferred_username, the
// suggested display name and email accepted as offered, the address
// verified because the provider says so (set_email_verification: import).
func TestUpstreamSeedExample(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		example := loadSeedExample(t)
		var op *oidctest.Provider
		env, _ := upstreamEnv(t, upstreamSetup{
			postgres: postgres,
			// The provider knows the example's own client, with its
			// token_endpoint_auth_method (client_secret_post), which panva
			// enforces: the login only works if the service uses it.
			client: oidctest.Client{
				ID: example.ClientID, Secret: example.ClientSecret,
				AuthMethod: string(example.TokenEndpointAuthMethod),
			},
			start: func(t *testing.T, c oidctest.Client) *oidctest.Provider {
				op = oidctest.Panva(t, oidctest.Config{Clients: []oidctest.Client{c}})
				return op
			},
			provider: func(p *config.UpstreamProvider) {
				meta := getJSON(t, op.Issuer()+"/.well-known/openid-configuration")
				pointed := example
				pointed.Issuer = op.Issuer()
				// The example's endpoint overrides, each at the provider's
				// own endpoint (they take precedence over discovery).
				pointed.AuthorizationEndpoint, _ = meta["authorization_endpoint"].(string)
				pointed.TokenEndpoint, _ = meta["token_endpoint"].(string)
				pointed.JWKSURI, _ = meta["jwks_uri"].(string)
				// The one field changed beyond the addresses: the test
				// provider serves plain http on 127.0.0.1, which `oidc`
				// discovery rightly refuses (its metadata must use https);
				// `insecure` skips only that metadata validation.
				pointed.DiscoveryMode = config.DiscoveryInsecure
				*p = pointed
			},
		})

		// The service's configuration, with the example as pointed, passes
		// `config check` (which names the key upstream dropped).
		out := runCLI(t, env, "config", "check")
		if !strings.Contains(out, "set_email_verification: removed from upstream; honoured here") {
			t.Errorf("config check output:\n%s", out)
		}

		b := browsertest.New(t, env.BaseURL)
		login := b.Get("/login")
		// human_name on the button, brand_name's icon beside it.
		if !strings.Contains(login.Body, example.HumanName+"</span>") || !strings.Contains(login.Body, "provider-icon-"+example.BrandName) {
			t.Errorf("the login page's button is not %q with the %s icon:\n%s", example.HumanName, example.BrandName, login.Body)
		}
		res := upstreamLoginFrom(t, b, op, login, oidctest.Alice.Username, oidctest.Alice.Password)
		if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/upstream/link/") {
			t.Fatalf("callback: %d %q\n%s", res.Status, res.Location, res.Body)
		}
		reqs := op.AuthorizeRequests()
		if len(reqs) != 1 {
			t.Fatalf("the provider saw %d authorization requests", len(reqs))
		}
		q := reqs[0]
		// scope as written; pkce_method auto uses S256, which panva
		// advertises; response_mode unset, so not sent (as upstream).
		if q.Get("scope") != example.Scope || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
			q.Has("response_mode") {
			t.Errorf("authorization request %v", q)
		}

		// localpart force: fixed; displayname and email suggest: offered,
		// ticked by default.
		page := b.Get(res.Location)
		for _, want := range []string{`name="username" value="alice"`, `name="import_display_name"`, `name="import_email"`, oidctest.Alice.Name, oidctest.Alice.Email} {
			if !strings.Contains(page.Body, want) {
				t.Fatalf("register page lacks %s: %d\n%s", want, page.Status, page.Body)
			}
		}
		final := b.Settle(b.Submit(page, nil, "register"))
		if final.Status != http.StatusOK {
			t.Fatalf("after registering: %d %s\n%s", final.Status, final.URL, final.Body)
		}

		ctx := context.Background()
		u, err := env.App.Store.Users().FindByUsername(ctx, "alice")
		if err != nil {
			t.Fatalf("alice was not created: %v", err)
		}
		// The emails listed are the confirmed ones: no code was asked for.
		emails, _ := env.App.Store.UserEmails().ListForUser(ctx, u.ID)
		if len(emails) != 1 || emails[0].Email != oidctest.Alice.Email {
			t.Errorf("confirmed emails %v", emails)
		}
		links, _ := env.App.Store.UpstreamLinks().ListForUser(ctx, u.ID)
		if len(links) != 1 || links[0].Subject != oidctest.Alice.Subject {
			t.Errorf("links %+v", links)
		}
		env.WaitProvisioned("alice")
		env.Eventually("the display name and email on the homeserver", func() bool {
			hu, _ := env.Homeserver.User("alice")
			return hu.DisplayName == oidctest.Alice.Name && slices.Equal(hu.Emails, []string{oidctest.Alice.Email})
		})
	})
}
