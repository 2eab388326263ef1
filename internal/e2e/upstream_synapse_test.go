package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"mas/internal/browsertest"
	"mas/internal/homeserver/synapsetest"
	"mas/internal/upstream/oidctest"
)

// TestUpstreamRealSynapseFirstLogin: a Matrix client's authorization
// continues through a first login with an upstream provider (the zitadel
// example, in-process) instead of a password: the account it creates
// exists on the real Synapse with the mapped display name and email, and
// the client's token works on Synapse's /sync.
func TestUpstreamRealSynapseFirstLogin(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		syn := synapsetest.Shared(t, synapsetest.Options{Postgres: postgres})
		// The Synapse is shared by the test binary: a user of our own.
		name := fresh("upstream")
		person := oidctest.User{
			Subject: "sub-" + name, Username: name, Password: "a passphrase at the provider",
			GivenName: "Upstream", FamilyName: "Person " + name,
			Email: name + "@example.org", EmailVerified: true,
		}
		setup := zitadelSetup(postgres)
		setup.synapse = syn
		setup.start = func(t *testing.T, c oidctest.Client) *oidctest.Provider {
			return oidctest.Zitadel(t, oidctest.Config{Clients: []oidctest.Client{c}, Users: []oidctest.User{person}})
		}
		env, op := upstreamEnv(t, setup)
		ctx := context.Background()

		// The Matrix client: discovery, dynamic registration, /authorize
		// with PKCE and a device scope.
		provider, err := oidc.NewProvider(ctx, env.BaseURL)
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		device := strings.ToUpper(fresh("UP")[3:])
		conf := &oauth2.Config{
			ClientID:    registerClient(t, env, "authorization_code", "refresh_token"),
			Endpoint:    provider.Endpoint(),
			RedirectURL: redirectURI,
			Scopes:      []string{"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:" + device},
		}
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		verifier := oauth2.GenerateVerifier()
		b := browsertest.New(t, env.BaseURL)
		loginPage := b.Follow(conf.AuthCodeURL("client-state", oauth2.S256ChallengeOption(verifier)))
		if !strings.Contains(loginPage.URL.Path, "/login") {
			t.Fatalf("authorize led to %s (%d), not the login page", loginPage.URL, loginPage.Status)
		}

		// The provider's button instead of a password; the first login
		// offers to register, with the imported attributes.
		res := upstreamLoginFrom(t, b, op, loginPage, person.Username, person.Password)
		if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/upstream/link/") {
			t.Fatalf("callback: %d %q\n%s", res.Status, res.Location, res.Body)
		}
		register := b.Get(res.Location)
		if register.Status != http.StatusOK || !strings.Contains(register.Body, name) {
			t.Fatalf("register page: %d\n%s", register.Status, register.Body)
		}
		consent := b.Settle(b.Submit(register, nil, "register"))
		if !strings.Contains(consent.URL.Path, "/consent/") || !strings.Contains(consent.Body, device) {
			t.Fatalf("after registering, expected the client's consent page, got %s (%d)\n%s", consent.URL, consent.Status, consent.Body)
		}
		res = b.Submit(consent, nil, "allow")
		loc, err := url.Parse(res.Location)
		if err != nil || !strings.HasPrefix(res.Location, redirectURI) || loc.Query().Get("state") != "client-state" || loc.Query().Get("code") == "" {
			t.Fatalf("consent answered %d to %q", res.Status, res.Location)
		}
		tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}

		// Synapse accepts the token for the new user and device.
		who := matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", tok.AccessToken, nil)
		mustStatus(t, "whoami", who, http.StatusOK)
		if who.Body["user_id"] != syn.MXID(name) || who.Body["device_id"] != device {
			t.Fatalf("whoami = %s, want %s on %s", who, syn.MXID(name), device)
		}
		sync := matrix(t, env, http.MethodGet, "/_matrix/client/v3/sync?timeout=0", tok.AccessToken, nil)
		mustStatus(t, "sync", sync, http.StatusOK)
		if sync.Body["next_batch"] == nil {
			t.Fatalf("sync = %s", sync)
		}

		// Synapse's admin API, read by an admin of our own, shows the
		// mapped display name and the email as a threepid.
		admin := fresh("admin")
		runCLI(t, env, "manage", "register-user", admin, "-p", "a passphrase for admin", "-a", "-y")
		env.WaitProvisioned(admin)
		adminTok := adminToken(t, env, admin, "a passphrase for admin")
		// Provisioning is a job: when the login's own provisioning of the
		// user (for its device) won the race to create it, the job that
		// carries the display name is retried after losing.
		wantName := op.Claims(name)["name"] // zitadel's: given and family names
		deadline := time.Now().Add(30 * time.Second)
		u := synapseAdminUser(t, env, adminTok, name)
		for u["displayname"] != wantName || !slices.Equal(threepidEmails(u), []string{person.Email}) {
			if time.Now().After(deadline) {
				t.Fatalf("Synapse shows displayname %v and emails %v, want %q and [%s]", u["displayname"], threepidEmails(u), wantName, person.Email)
			}
			time.Sleep(50 * time.Millisecond)
			u = synapseAdminUser(t, env, adminTok, name)
		}
		if u["deactivated"] != false || u["locked"] != false {
			t.Errorf("Synapse user = deactivated %v, locked %v", u["deactivated"], u["locked"])
		}
	})
}

// threepidEmails are the email addresses among a Synapse admin API user's
// threepids.
func threepidEmails(u map[string]any) []string {
	var emails []string
	threepids, _ := u["threepids"].([]any)
	for _, tp := range threepids {
		m, _ := tp.(map[string]any)
		if m["medium"] == "email" {
			if a, ok := m["address"].(string); ok {
				emails = append(emails, a)
			}
		}
	}
	return emails
}
