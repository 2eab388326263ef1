package e2e

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"mas/internal/browsertest"
	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/syn2mas"
	"mas/internal/syn2mas/synapsedb"
	"mas/internal/syn2mas/synapsedb/synapsegen"
	"mas/internal/testenv"
	"mas/internal/upstream/oidctest"
)

// TestSyn2masFixtureHomeserver migrates a generated homeserver into a
// running service and uses what arrived as its users would: a Synapse
// access token introspects as active for its user and device, a migrated
// user logs in with their Synapse password on the legacy API and in the
// browser (and the hash is upgraded), and a user Synapse knew through an
// identity provider logs in through that provider straight into their
// account.
func TestSyn2masFixtureHomeserver(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		const pepper, idp = "fixture-pepper", "oidc-corp"
		opts := synapsegen.Default(60)
		opts.ServerName, opts.Pepper, opts.AuthProviders = testenv.ServerName, pepper, []string{idp}
		opts.ExternalIDs = 0.5
		g, err := synapsegen.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		// The users to follow: one with a password and a device token, one
		// linked to the identity provider.
		var withToken, linked *synapsegen.Rows
		for i := 0; i < opts.Users && (withToken == nil || linked == nil); i++ {
			rows := g.Plan(i)
			u := rows.User
			if u.AppserviceID != nil || u.Deactivated || u.IsGuest || u.Locked {
				continue
			}
			if withToken == nil && u.PasswordHash != nil && deviceToken(rows) != "" {
				withToken = &rows
			} else if linked == nil && len(rows.ExternalIDs) > 0 {
				linked = &rows
			}
		}
		if withToken == nil || linked == nil {
			t.Fatal("the generated homeserver has no user to follow")
		}
		localpart := func(mxid string) string {
			return strings.TrimSuffix(strings.TrimPrefix(mxid, "@"), ":"+testenv.ServerName)
		}

		// The identity provider knows the linked user by the subject Synapse
		// stored.
		setup := zitadelSetup(postgres)
		setup.start = func(t *testing.T, c oidctest.Client) *oidctest.Provider {
			return oidctest.Zitadel(t, oidctest.Config{Clients: []oidctest.Client{c}, Users: []oidctest.User{{
				Subject: linked.ExternalIDs[0].ExternalID, Username: "corp-user", Password: "corp-password",
				Name: "Corp User", Email: "corp@example.com", EmailVerified: true,
			}}})
		}
		setup.provider = func(p *config.UpstreamProvider) { p.SynapseIdpID = idp }
		setup.configure = func(cfg *config.Config) {
			cost := uint32(4)
			cfg.Passwords.Schemes = []config.HashingScheme{
				{Version: 1, Algorithm: config.AlgorithmBcrypt, Cost: &cost, Secret: pepper, UnicodeNormalization: true},
				{Version: 2, Algorithm: config.AlgorithmBcrypt, Cost: &cost},
			}
		}
		env, op := upstreamEnv(t, setup)

		// The operator's migration, into the running service's database.
		dsn := filepath.Join(t.TempDir(), "homeserver.db")
		ctx := context.Background()
		if _, err := synapsegen.Generate(ctx, synapsegen.Target{Driver: "sqlite", DSN: dsn}, opts); err != nil {
			t.Fatal(err)
		}
		src, err := synapsedb.Open(ctx, synapsedb.Options{Driver: "sqlite", DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		providerID, err := domain.ParseID(upstreamProviderID)
		if err != nil {
			t.Fatal(err)
		}
		settings := syn2mas.Settings{
			ServerName: testenv.ServerName,
			Schemes:    []syn2mas.PasswordScheme{{Version: 1, Algorithm: "bcrypt", Secret: []byte(pepper)}},
			Providers:  []syn2mas.Provider{{ID: providerID, SynapseIdpID: idp}},
		}
		if _, err := syn2mas.Migrate(ctx, src, env.App.Store.(store.Bulk), settings, syn2mas.Options{}); err != nil {
			t.Fatal(err)
		}

		// The Synapse token introspects as active, for its user and device.
		token, device := deviceToken(*withToken), deviceOf(*withToken)
		got := introspect(t, env, token)
		if got["active"] != true || got["username"] != localpart(withToken.User.Name) || got["device_id"] != device {
			t.Errorf("introspection of a migrated Synapse token: %v", got)
		}

		// The Synapse password works on the legacy API and in the browser,
		// and is stored again with the newest scheme.
		user := localpart(withToken.User.Name)
		if res := compatLoginResult(env, user, synapsegen.Password, "NEWDEVICE"); res.err != nil {
			t.Fatalf("legacy login with the Synapse password: %v", res.err)
		}
		b := browsertest.New(t, env.BaseURL)
		login(t, b, env.URL("/login"), user, synapsegen.Password)
		mu, err := env.App.Store.Users().FindByUsername(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		pw, err := env.App.Store.Passwords().Active(ctx, mu.ID)
		if err != nil {
			t.Fatal(err)
		}
		if pw.Version != 2 || pw.UpgradedFromID == nil {
			t.Errorf("password after logging in: version %d, upgraded from %v; want version 2 upgraded from the Synapse hash", pw.Version, pw.UpgradedFromID)
		}

		// The linked user signs in through the provider, straight into the
		// migrated account.
		lb := browsertest.New(t, env.BaseURL)
		res := upstreamLogin(t, lb, op, "corp-user", "corp-password")
		res = lb.Get(res.Location)
		if res.Status != http.StatusSeeOther {
			t.Fatalf("upstream login of a migrated link: %d\n%s", res.Status, res.Body)
		}
		account := lb.Settle(lb.Get("/account/"))
		if !strings.Contains(account.Body, localpart(linked.User.Name)) {
			t.Errorf("signed in, but the account page is not %s's:\n%s", linked.User.Name, account.Body)
		}
	})
}

// deviceToken is a plain access token of one of the user's devices, "" if
// none.
func deviceToken(rows synapsegen.Rows) string {
	for _, at := range rows.AccessTokens {
		if at.DeviceID != nil && at.PuppetsUserID == nil && at.RefreshTokenID == nil && hasDeviceRow(rows, *at.DeviceID) {
			return at.Token
		}
	}
	return ""
}

func deviceOf(rows synapsegen.Rows) string {
	tok := deviceToken(rows)
	for _, at := range rows.AccessTokens {
		if at.Token == tok {
			return *at.DeviceID
		}
	}
	return ""
}

func hasDeviceRow(rows synapsegen.Rows, device string) bool {
	for _, d := range rows.Devices {
		if d.DeviceID == device {
			return true
		}
	}
	return false
}
