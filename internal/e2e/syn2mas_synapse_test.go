package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mas/internal/cli"
	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/homeserver/synapsetest"
	"mas/internal/store"
	"mas/internal/store/postgres/pgtest"
	"mas/internal/testdb"
	"mas/internal/testenv"
)

const (
	// syn2masPepper is Synapse's password_config.pepper.
	syn2masPepper = "pepper: the Synapse secret in every hash"
	// syn2masGitHubID is the service's provider standing for Synapse's
	// "github" OIDC provider.
	syn2masGitHubID = "01JAAAAAAAAAAAAAAAAAAAGH00"
	// syn2masAppService is the bridge owning the users named bridge_*.
	syn2masAppService = "bridge"
)

// Upstream's check texts, as the operator reads them.
const (
	guestsEnabledError = "Guest support is enabled in the Synapse configuration. Guests aren't supported by MAS, " +
		"but if you don't have any then you could disable the option. See https://github.com/element-hq/matrix-authentication-service/issues/1445"
	oneGuestWarning = "Synapse database contains 1 guests which will be migrated are not supported by MAS. " +
		"See https://github.com/element-hq/matrix-authentication-service/issues/1445"
	onePhoneWarning = "Synapse database contains 1 non-email 3PIDs (probably phone numbers), which will be migrated but are not supported by MAS."
)

// legacyHomeserver is what the homeserver held before the migration.
type legacyHomeserver struct {
	// alice logs in with m.login.password afterwards; her token is
	// non-refreshable.
	alicePassword, aliceToken string
	// bob logs in through the browser afterwards; his login asked for a
	// refresh token. His password needs NFKC (the ligature ﬁ).
	bobPassword, bobRefresh string
	guest                   string // localpart
}

// The users, by localpart.
const (
	synAdmin, synAlice, synBob, synCarol, synDave = "root", "alice", "bob", "carol", "dave"
	synBridgeUser                                 = syn2masAppService + "_eve"
	aliceDevice, bobDevice                        = "ALICEPHONE", "BOBLAPTOP"
	carolGitHubID                                 = "583231"
)

// TestSyn2masRealSynapse is the seed documentation's migration, end to
// end with real Synapse, on SQLite and on PostgreSQL (Synapse and the
// service alike): a homeserver that has run on its own logins (users with
// passwords, devices, access and refresh tokens, emails, a phone number,
// an external ID, a guest, a deactivated user, an admin and a bridge's
// user) is stopped, checked and migrated with `mas-cli syn2mas` as an
// operator runs it, and restarted delegating to the service. Existing
// logins keep working, and the users log in with their Synapse passwords,
// which are rehashed. alice proves the legacy login and bob the browser,
// each against the hash Synapse wrote.
func TestSyn2masRealSynapse(t *testing.T) {
	backends(t, testSyn2masRealSynapse)
}

func testSyn2masRealSynapse(t *testing.T, postgres bool) {
	ctx := context.Background()
	syn := synapsetest.New(t, synapsetest.Options{
		Mode: synapsetest.Legacy, Postgres: postgres, Pepper: syn2masPepper,
		GuestAccess: true, AppService: syn2masAppService,
	})
	before := populateLegacy(t, syn)

	// The operator stops Synapse and points the service's configuration
	// at an empty database.
	if err := syn.Halt(); err != nil {
		t.Fatal(err)
	}
	destination := "sqlite:" + filepath.Join(t.TempDir(), "mas.db")
	if postgres {
		destination = pgtest.NewDatabase(t)
	}
	serviceConfig := syn2masConfigFile(t, destination)
	synapseArgs := []string{"syn2mas", "--synapse-config", syn.ConfigPath(), "--synapse-config", synapseSSOConfig(t)}

	// Guest access is on: an error. Turned off, the guest and the phone
	// number remain warnings.
	code, out := masCLI(t, serviceConfig, append(synapseArgs, "check")...)
	wantProblems(t, "check with guest access on", code, out, 10,
		[]string{guestsEnabledError}, []string{oneGuestWarning, onePhoneWarning})
	if err := syn.EditConfig(func(cfg map[string]any) { cfg["allow_guest_access"] = false }); err != nil {
		t.Fatal(err)
	}
	code, out = masCLI(t, serviceConfig, append(synapseArgs, "check")...)
	wantProblems(t, "check", code, out, 11, nil, []string{oneGuestWarning, onePhoneWarning})

	// A dry run (reading the database named on the command line) leaves
	// the destination empty.
	code, out = masCLI(t, serviceConfig, append(synapseArgs, "--synapse-database-uri", syn.DatabaseURI(), "migrate", "--dry-run")...)
	if code != 0 || !strings.Contains(out, "Dry run completed") {
		t.Fatalf("migrate --dry-run: exit %d\n%s", code, out)
	}
	if rows := destinationRows(t, destination); len(rows) != 0 {
		t.Fatalf("after the dry run the destination holds rows: %v", rows)
	}

	code, out = masCLI(t, serviceConfig, append(synapseArgs, "migrate")...)
	if code != 0 || !strings.Contains(out, "Migration completed") {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	t.Logf("migrate:\n%s", out)
	code, out = masCLI(t, serviceConfig, append(synapseArgs, "migrate")...)
	if code == 0 || !strings.Contains(out, "The MAS database is not empty: rows found in at least `users`. Please drop and recreate the database, then try again.") {
		t.Fatalf("second migrate: exit %d, want the non-empty destination reported\n%s", code, out)
	}

	// Synapse comes back delegating to the service, on the same database.
	if err := syn.Restart(synapsetest.Delegated); err != nil {
		t.Fatal(err)
	}
	env := testenv.New(t, testenv.Options{Postgres: postgres, Synapse: syn, Configure: func(cfg *config.Config) {
		cfg.Database.URI = destination
		syn2masSettings(cfg)
	}})

	// Existing logins continue to work: Synapse asks the service about
	// the pre-migration syt_ token and gets its user and device.
	resp := matrix(t, env, http.MethodGet, "/_matrix/client/v3/sync?timeout=0", before.aliceToken, nil)
	mustStatus(t, "sync with the pre-migration token", resp, http.StatusOK)
	resp = matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", before.aliceToken, nil)
	mustStatus(t, "whoami with the pre-migration token", resp, http.StatusOK)
	if resp.Body["user_id"] != syn.MXID(synAlice) || resp.Body["device_id"] != aliceDevice {
		t.Fatalf("whoami with the pre-migration token = %s", resp)
	}
	// The syr_ refresh token refreshes through the compat endpoint.
	resp = matrix(t, env, http.MethodPost, "/_matrix/client/v3/refresh", "", map[string]string{"refresh_token": before.bobRefresh})
	mustStatus(t, "refresh with the pre-migration refresh token", resp, http.StatusOK)
	refreshed, _ := resp.Body["access_token"].(string)
	resp = matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", refreshed, nil)
	mustStatus(t, "whoami with the refreshed token", resp, http.StatusOK)
	if resp.Body["user_id"] != syn.MXID(synBob) || resp.Body["device_id"] != bobDevice {
		t.Fatalf("whoami with the refreshed token = %s", resp)
	}

	// The Synapse passwords work, through the legacy login API and
	// through the browser, and are rehashed with the newest scheme.
	alice, bob := mustUser(t, env, synAlice), mustUser(t, env, synBob)
	aliceOld, bobOld := wantImportedPassword(t, env, alice), wantImportedPassword(t, env, bob)
	resp = matrix(t, env, http.MethodPost, "/_matrix/client/v3/login", "", map[string]any{
		"type": "m.login.password", "identifier": map[string]string{"type": "m.id.user", "user": synAlice},
		"password": before.alicePassword,
	})
	mustStatus(t, "m.login.password with the Synapse password", resp, http.StatusOK)
	token, _ := resp.Body["access_token"].(string)
	mustStatus(t, "whoami after the login",
		matrix(t, env, http.MethodGet, "/_matrix/client/v3/account/whoami", token, nil), http.StatusOK)
	wantUpgradedPassword(t, env, alice, aliceOld)
	accountBrowser(t, env, synBob, before.bobPassword)
	wantUpgradedPassword(t, env, bob, bobOld)

	// Flags, emails, links; the bridge's user stays the bridge's.
	if root := mustUser(t, env, synAdmin); !root.CanRequestAdmin {
		t.Errorf("the Synapse admin cannot request admin")
	}
	if alice.CanRequestAdmin || alice.IsGuest || alice.DeactivatedAt != nil {
		t.Errorf("alice = %+v, want a plain active user", alice)
	}
	if dave := mustUser(t, env, synDave); dave.DeactivatedAt == nil {
		t.Errorf("the deactivated user is active")
	}
	guest := mustUser(t, env, before.guest)
	if !guest.IsGuest {
		t.Errorf("the guest is not a guest")
	}
	if n, err := env.App.Store.CompatSessions().CountActiveForUser(ctx, guest.ID); err != nil || n != 0 {
		t.Errorf("the guest has %d sessions (%v), want none: guests' tokens are not migrated", n, err)
	}
	if _, err := env.App.Store.Users().FindByUsername(ctx, synBridgeUser); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the application service's user was migrated (%v)", err)
	}
	emails := &flowEnv{Env: env} // for its wantEmails
	emails.wantEmails(t, alice, "alice@example.org")
	carol := mustUser(t, env, synCarol)
	emails.wantEmails(t, carol, "carol@example.org")
	if got := unsupportedThreepids(t, env); !slices.Equal(got, []string{"msisdn 447700900123"}) {
		t.Errorf("unsupported third-party IDs = %v, want alice's phone number", got)
	}
	links, err := env.App.Store.UpstreamLinks().ListForUser(ctx, carol.ID)
	if err != nil || len(links) != 1 || links[0].ProviderID.String() != syn2masGitHubID || links[0].Subject != carolGitHubID {
		t.Fatalf("carol's upstream links = %+v (%v), want subject %s at provider %s", links, err, carolGitHubID, syn2masGitHubID)
	}
}

// populateLegacy fills a legacy-mode Synapse through its own APIs.
func populateLegacy(t *testing.T, syn *synapsetest.Synapse) legacyHomeserver {
	t.Helper()
	ctx := context.Background()
	h := legacyHomeserver{alicePassword: "alice's Synapse password", bobPassword: "bob's ﬁne Synapse password"}
	do := func(what, method, path, token string, body any) *synapsetest.Response {
		t.Helper()
		resp, err := syn.Do(ctx, method, path, token, body)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if resp.Status != http.StatusOK {
			t.Fatalf("%s: %s", what, resp)
		}
		return resp
	}
	login := func(user, password, device string, refresh bool) *synapsetest.Response {
		t.Helper()
		return do("login of "+user, http.MethodPost, "/_matrix/client/v3/login", "", map[string]any{
			"type": "m.login.password", "identifier": map[string]string{"type": "m.id.user", "user": user},
			"password": password, "device_id": device, "initial_device_display_name": user + "'s device",
			"refresh_token": refresh,
		})
	}

	admin, _, err := syn.RegisterUser(ctx, synAdmin, "root's Synapse password", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ name, password string }{
		{synAlice, h.alicePassword}, {synBob, h.bobPassword}, {synCarol, "carol's Synapse password"}, {synDave, "dave's Synapse password"},
	} {
		if _, _, err := syn.RegisterUser(ctx, u.name, u.password, false); err != nil {
			t.Fatal(err)
		}
	}
	h.aliceToken, _ = login(synAlice, h.alicePassword, aliceDevice, false).Body["access_token"].(string)
	bob := login(synBob, h.bobPassword, bobDevice, true)
	h.bobRefresh, _ = bob.Body["refresh_token"].(string)
	if !strings.HasPrefix(h.aliceToken, "syt_") || !strings.HasPrefix(h.bobRefresh, "syr_") {
		t.Fatalf("Synapse's tokens: access %q, refresh %q; want syt_ and syr_", h.aliceToken, h.bobRefresh)
	}

	do("alice's email and phone", http.MethodPut, "/_synapse/admin/v2/users/"+syn.MXID(synAlice), admin, map[string]any{
		"threepids": []map[string]string{{"medium": "email", "address": "alice@example.org"}, {"medium": "msisdn", "address": "447700900123"}},
	})
	do("carol's email and GitHub account", http.MethodPut, "/_synapse/admin/v2/users/"+syn.MXID(synCarol), admin, map[string]any{
		"threepids":    []map[string]string{{"medium": "email", "address": "carol@example.org"}},
		"external_ids": []map[string]string{{"auth_provider": "oidc-github", "external_id": carolGitHubID}},
	})
	do("dave's deactivation", http.MethodPost, "/_synapse/admin/v1/deactivate/"+syn.MXID(synDave), admin, map[string]any{"erase": false})
	guest := do("guest registration", http.MethodPost, "/_matrix/client/v3/register?kind=guest", "", map[string]any{})
	guestID, _ := guest.Body["user_id"].(string)
	h.guest = strings.TrimPrefix(strings.TrimSuffix(guestID, ":"+syn.ServerName), "@")
	if _, err := syn.RegisterAppServiceUser(ctx, synBridgeUser); err != nil {
		t.Fatal(err)
	}
	return h
}

// syn2masSettings is the configuration the migration needs, on the
// service the operator installed: passwords.schemes with Synapse's bcrypt
// and pepper first (so that imported hashes verify) and argon2id next (so
// that they are upgraded at login), and the provider standing for
// Synapse's GitHub login.
func syn2masSettings(cfg *config.Config) {
	cost := uint32(4) // the harness's bcrypt_rounds
	cfg.Matrix.Homeserver = synapsetest.ServerName
	cfg.Passwords.Schemes = []config.HashingScheme{
		{Version: 1, Algorithm: config.AlgorithmBcrypt, Cost: &cost, Secret: syn2masPepper, UnicodeNormalization: true},
		{Version: 2, Algorithm: config.AlgorithmArgon2id},
	}
	cfg.UpstreamOAuth2.Providers = []config.UpstreamProvider{{
		ID: syn2masGitHubID, SynapseIdpID: "oidc-github", HumanName: "GitHub", BrandName: "github",
		Issuer: "https://github.com/", ClientID: "syn2mas-e2e", TokenEndpointAuthMethod: config.TokenAuthNone,
		Scope: "read:user", DiscoveryMode: config.DiscoveryDisabled, FetchUserinfo: true,
		AuthorizationEndpoint: "https://github.com/login/oauth/authorize",
		TokenEndpoint:         "https://github.com/login/oauth/access_token",
		UserinfoEndpoint:      "https://api.github.com/user",
	}}
}

// syn2masConfigFile writes the service's configuration for the CLI: a
// generated one with the migration's settings, on the destination.
func syn2masConfigFile(t *testing.T, destination string) string {
	t.Helper()
	cfg, err := config.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database.URI = destination
	syn2masSettings(cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// synapseSSOConfig is a second Synapse configuration file holding its
// GitHub login (oidc_providers, idp_id github: "oidc-github" in
// user_external_ids), as operators split homeserver.yaml. The test's
// Synapse never loads it: its Python environment lacks authlib, which
// oidc_providers need, and Synapse's admin API writes external IDs of
// any provider; syn2mas reads both files merged.
func synapseSSOConfig(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"oidc_providers": []any{map[string]any{
		"idp_id": "github", "idp_name": "GitHub", "idp_brand": "github", "discover": false,
		"issuer": "https://github.com/", "client_id": "syn2mas-e2e", "client_secret": "a GitHub client secret",
		"authorization_endpoint": "https://github.com/login/oauth/authorize",
		"token_endpoint":         "https://github.com/login/oauth/access_token",
		"userinfo_endpoint":      "https://api.github.com/user",
		"scopes":                 []string{"read:user"}, "user_profile_method": "userinfo_endpoint",
		"user_mapping_provider": map[string]any{"config": map[string]any{
			"subject_claim": "id", "localpart_template": "{{ user.login }}", "display_name_template": "{{ user.name }}",
		}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "sso.yaml")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// masCLI runs mas-cli in-process with a configuration file and returns
// its exit code and everything it printed.
func masCLI(t *testing.T, configFile string, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := cli.Main(context.Background(), append(slices.Clone(args), "-c", configFile), &out, &out)
	return code, out.String()
}

// wantProblems checks a syn2mas check's exit code and the exact errors
// and warnings it listed.
func wantProblems(t *testing.T, what string, code int, out string, wantCode int, wantErrors, wantWarnings []string) {
	t.Helper()
	errs, warnings := problemLists(out)
	if code != wantCode || !slices.Equal(errs, wantErrors) || !slices.Equal(warnings, wantWarnings) {
		t.Fatalf("%s: exit %d with errors %q and warnings %q; want exit %d with errors %q and warnings %q\n%s",
			what, code, errs, warnings, wantCode, wantErrors, wantWarnings, out)
	}
}

// problemLists reads the bullets under "===== Errors =====" and
// "===== Warnings =====".
func problemLists(out string) (errs, warnings []string) {
	var list *[]string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "===== Errors =====":
			list = &errs
		case line == "===== Warnings =====":
			list = &warnings
		case list != nil && strings.HasPrefix(line, "• "):
			*list = append(*list, strings.TrimPrefix(line, "• "))
		default:
			list = nil
		}
	}
	return errs, warnings
}

// syn2masTables are the tables the migration fills.
var syn2masTables = []string{
	"users", "user_passwords", "user_emails", "user_unsupported_third_party_ids", "upstream_oauth_links",
	"compat_sessions", "compat_access_tokens", "compat_refresh_tokens",
}

// destinationRows counts the rows of the migration's tables that hold
// any, straight from the database.
func destinationRows(t *testing.T, uri string) map[string]int {
	t.Helper()
	driver, dsn := "pgx", uri
	if path, ok := strings.CutPrefix(uri, "sqlite:"); ok {
		driver, dsn = "sqlite", "file:"+path+"?mode=ro"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := map[string]int{}
	for _, table := range syn2masTables {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatalf("counting %s: %v", table, err)
		}
		if n > 0 {
			rows[table] = n
		}
	}
	return rows
}

func mustUser(t *testing.T, env *testenv.Env, username string) *domain.User {
	t.Helper()
	u, err := env.App.Store.Users().FindByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("user %s after the migration: %v", username, err)
	}
	return u
}

// wantImportedPassword checks that the user's password is Synapse's
// bcrypt hash, as scheme 1, and returns it.
func wantImportedPassword(t *testing.T, env *testenv.Env, u *domain.User) *domain.Password {
	t.Helper()
	p, err := env.App.Store.Passwords().Active(context.Background(), u.ID)
	if err != nil {
		t.Fatalf("%s's password: %v", u.Username, err)
	}
	if p.Version != 1 || !strings.HasPrefix(p.HashedPassword, "$2b$") {
		t.Fatalf("%s's imported password: version %d, hash %.7s…; want Synapse's bcrypt hash as version 1", u.Username, p.Version, p.HashedPassword)
	}
	return p
}

// wantUpgradedPassword checks that a login replaced the imported hash
// with one of the newest scheme.
func wantUpgradedPassword(t *testing.T, env *testenv.Env, u *domain.User, old *domain.Password) {
	t.Helper()
	p, err := env.App.Store.Passwords().Active(context.Background(), u.ID)
	if err != nil {
		t.Fatalf("%s's password: %v", u.Username, err)
	}
	if p.Version != 2 || !strings.HasPrefix(p.HashedPassword, "$argon2id$") || p.UpgradedFromID == nil || *p.UpgradedFromID != old.ID {
		t.Fatalf("%s's password after the login: version %d, hash %.10s…, upgraded from %v; want argon2id version 2 upgraded from %s",
			u.Username, p.Version, p.HashedPassword, p.UpgradedFromID, old.ID)
	}
}

// unsupportedThreepids lists user_unsupported_third_party_ids as
// "medium address".
func unsupportedThreepids(t *testing.T, env *testenv.Env) []string {
	t.Helper()
	rows, err := testdb.DB(t, env.App.Store).Query(`SELECT medium, address FROM user_unsupported_third_party_ids ORDER BY medium, address`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var medium, address string
		if err := rows.Scan(&medium, &address); err != nil {
			t.Fatal(err)
		}
		out = append(out, medium+" "+address)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
