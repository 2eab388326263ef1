package app_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mas/internal/app"
	"mas/internal/clock/clocktest"
	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/store"
	"mas/internal/testdb"
)

const (
	provA = "01HFVBY12TMNTYTBV8W921M5FA" // client_secret_basic, secret from a file
	provB = "01HFVBY12TMNTYTBV8W921M5FB" // sign_in_with_apple
	provC = "01HFVBY12TMNTYTBV8W921M5FC" // enabled: false, no discovery
)

var syncStart = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

// syncFixture is a store on the test backend, an encrypter, and files the
// provider configuration reads its secrets from.
type syncFixture struct {
	t          *testing.T
	clk        *clocktest.Fake
	store      store.Store
	enc        *encrypt.Encrypter
	secretFile string
	appleFile  string
}

func newSyncFixture(t *testing.T) *syncFixture {
	t.Helper()
	clk := clocktest.New(syncStart)
	var key [32]byte
	copy(key[:], "0123456789abcdef0123456789abcdef")
	dir := t.TempDir()
	f := &syncFixture{t: t, clk: clk, store: testdb.Open(t, clk), enc: encrypt.New(key, rand.Reader),
		secretFile: filepath.Join(dir, "secret"), appleFile: filepath.Join(dir, "apple.p8")}
	f.writeSecret("first-secret\n")
	if err := os.WriteFile(f.appleFile, []byte("-----BEGIN PRIVATE KEY-----\napple\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *syncFixture) writeSecret(s string) {
	if err := os.WriteFile(f.secretFile, []byte(s), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// providerYAML returns the entry of each named provider, in order.
func (f *syncFixture) providerYAML(ids ...string) string {
	entries := map[string]string{
		provA: `  - id: ` + provA + `
    human_name: Keycloak
    issuer: https://keycloak.example.com/realms/main
    client_id: mas
    client_secret_file: ` + f.secretFile + `
    token_endpoint_auth_method: client_secret_basic
    scope: openid profile email
    fetch_userinfo: true
    additional_authorization_parameters: {prompt: "{% if logged_out %}login{% endif %}"}
    claims_imports:
      localpart: {action: require, on_conflict: add}
      email: {action: force, set_email_verification: always}
`,
		provB: `  - id: ` + provB + `
    human_name: Apple
    brand_name: apple
    issuer: https://appleid.apple.com
    client_id: com.example.mas
    token_endpoint_auth_method: sign_in_with_apple
    sign_in_with_apple: {private_key_file: ` + f.appleFile + `, team_id: TEAM, key_id: KEY}
    response_mode: form_post
`,
		provC: `  - id: ` + provC + `
    enabled: false
    client_id: legacy
    token_endpoint_auth_method: none
    discovery_mode: disabled
    authorization_endpoint: https://legacy.example.com/authorize
    token_endpoint: https://legacy.example.com/token
    jwks_uri: https://legacy.example.com/jwks
`,
	}
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(entries[id])
	}
	return b.String()
}

func (f *syncFixture) providers(ids ...string) []config.UpstreamProvider {
	f.t.Helper()
	doc := "secrets: {encryption: " + strings.Repeat("ab", 32) + "}\nmatrix: {secret: s}\nupstream_oauth2:\n  providers:\n" + f.providerYAML(ids...)
	cfg, err := config.LoadBytes("test.yaml", []byte(doc))
	if err != nil {
		f.t.Fatalf("%v\n%s", err, doc)
	}
	if err := cfg.Validate(); err != nil {
		f.t.Fatalf("%v\n%s", err, doc)
	}
	return cfg.UpstreamOAuth2.Providers
}

func (f *syncFixture) sync(prune, dryRun bool, ids ...string) app.ProviderSyncReport {
	f.t.Helper()
	rep, err := app.SyncUpstreamProviders(context.Background(), f.store, f.enc, f.providers(ids...), prune, dryRun, slog.New(slog.DiscardHandler))
	if err != nil {
		f.t.Fatal(err)
	}
	if rep.DryRun != dryRun {
		f.t.Errorf("DryRun = %v", rep.DryRun)
	}
	return rep
}

func (f *syncFixture) stored() map[string]*domain.UpstreamProvider {
	f.t.Helper()
	list, err := f.store.UpstreamProviders().List(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]*domain.UpstreamProvider{}
	for _, p := range list {
		out[p.ID.String()] = p
	}
	return out
}

func (f *syncFixture) decrypt(s string) string {
	f.t.Helper()
	b, err := f.enc.Decrypt(s)
	if err != nil {
		f.t.Fatalf("decrypting %q: %v", s, err)
	}
	return string(b)
}

// wantRefs compares a report list with the expected IDs, in order.
func wantRefs(t *testing.T, what string, got []app.ProviderRef, want ...string) {
	t.Helper()
	ids := make([]string, len(got))
	for i, r := range got {
		ids[i] = r.ID
	}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("%s = %v, want %v", what, ids, want)
	}
}

// The first sync creates every configured provider: columns, secrets
// encrypted, the flow's settings as a versioned document with defaults
// filled in, the UI order from the configuration, and a provider
// configured with `enabled: false` stored disabled. A dry run before it
// writes nothing.
func TestSyncUpstreamProvidersCreates(t *testing.T) {
	f := newSyncFixture(t)
	rep := f.sync(false, true, provA, provB, provC)
	wantRefs(t, "dry-run created", rep.Created, provA, provB, provC)
	if len(f.stored()) != 0 {
		t.Fatal("the dry run wrote providers")
	}

	rep = f.sync(false, false, provA, provB, provC)
	wantRefs(t, "created", rep.Created, provA, provB, provC)
	if rep.Created[0].Name != "Keycloak" || rep.Created[0].String() != provA+" (Keycloak)" || rep.Created[2].String() != provC {
		t.Errorf("report names = %v", rep.Created)
	}
	got := f.stored()
	a, b, c := got[provA], got[provB], got[provC]
	if a == nil || b == nil || c == nil {
		t.Fatalf("stored = %v", got)
	}
	if a.UIOrder != 0 || b.UIOrder != 1 || c.UIOrder != 2 {
		t.Errorf("ui orders = %d %d %d", a.UIOrder, b.UIOrder, c.UIOrder)
	}
	if !a.Enabled() || !b.Enabled() || c.Enabled() {
		t.Errorf("enabled = %v %v %v, want true true false", a.Enabled(), b.Enabled(), c.Enabled())
	}
	if a.Issuer != "https://keycloak.example.com/realms/main" || a.HumanName != "Keycloak" || a.ClientID != "mas" ||
		a.Scope != "openid profile email" || a.TokenEndpointAuthMethod != "client_secret_basic" || b.BrandName != "apple" {
		t.Errorf("columns: %+v / %+v", a, b)
	}
	if strings.Contains(a.EncryptedClientSecret, "first-secret") || f.decrypt(a.EncryptedClientSecret) != "first-secret" {
		t.Errorf("client secret stored as %q", a.EncryptedClientSecret)
	}
	if b.EncryptedClientSecret != "" || c.EncryptedClientSecret != "" {
		t.Error("a secret was stored for a method without one")
	}

	sa, err := a.DecodeSettings()
	if err != nil {
		t.Fatal(err)
	}
	ci := sa.ClaimsImports
	if sa.Version != domain.UpstreamSettingsVersion || sa.DiscoveryMode != domain.UpstreamDiscoveryOIDC ||
		sa.PKCEMethod != domain.UpstreamPKCEAuto || sa.ResponseMode != domain.UpstreamResponseQuery ||
		sa.IDTokenSignedResponseAlg != "RS256" || !sa.FetchUserinfo ||
		sa.OnBackchannelLogout != domain.UpstreamBackchannelDoNothing ||
		sa.AdditionalAuthorizationParameters["prompt"] != "{% if logged_out %}login{% endif %}" ||
		ci.SubjectTemplate != "{{ user.sub }}" ||
		ci.Localpart != (domain.UpstreamLocalpartImport{Action: "require", Template: "{{ user.preferred_username }}", OnConflict: "add"}) ||
		ci.Displayname != (domain.UpstreamAttributeImport{Action: "ignore", Template: "{{ user.name }}"}) ||
		ci.Email != (domain.UpstreamEmailImport{Action: "force", Template: "{{ user.email }}", Verification: "always"}) ||
		sa.SignInWithApple != nil {
		t.Errorf("settings of A = %+v", sa)
	}
	sb, err := b.DecodeSettings()
	if err != nil {
		t.Fatal(err)
	}
	apple := sb.SignInWithApple
	if sb.ResponseMode != domain.UpstreamResponseFormPost || apple == nil || apple.TeamID != "TEAM" || apple.KeyID != "KEY" ||
		strings.Contains(b.Settings, "apple\n") || !strings.Contains(f.decrypt(apple.EncryptedPrivateKey), "BEGIN PRIVATE KEY") {
		t.Errorf("settings of B = %s", b.Settings)
	}
	sc, err := c.DecodeSettings()
	if err != nil {
		t.Fatal(err)
	}
	if sc.DiscoveryMode != domain.UpstreamDiscoveryDisabled || sc.TokenEndpoint != "https://legacy.example.com/token" {
		t.Errorf("settings of C = %s", c.Settings)
	}
}

// An unchanged configuration rewrites nothing (the encrypted secret keeps
// its nonce); a rotated secret, read from its file at sync time, is
// encrypted again; a reordering updates the UI order.
func TestSyncUpstreamProvidersUpdates(t *testing.T) {
	f := newSyncFixture(t)
	f.sync(false, false, provA, provB, provC)
	before := f.stored()

	rep := f.sync(false, false, provA, provB, provC)
	wantRefs(t, "unchanged", rep.Unchanged, provA, provB, provC)
	wantRefs(t, "updated", rep.Updated)
	after := f.stored()
	if after[provA].EncryptedClientSecret != before[provA].EncryptedClientSecret || after[provB].Settings != before[provB].Settings {
		t.Error("an unchanged provider was rewritten")
	}

	f.writeSecret("rotated-secret")
	rep = f.sync(false, true, provA, provB, provC)
	wantRefs(t, "dry-run updated", rep.Updated, provA)
	if f.decrypt(f.stored()[provA].EncryptedClientSecret) != "first-secret" {
		t.Fatal("the dry run rotated the secret")
	}
	rep = f.sync(false, false, provA, provB, provC)
	wantRefs(t, "updated", rep.Updated, provA)
	wantRefs(t, "unchanged", rep.Unchanged, provB, provC)
	if got := f.decrypt(f.stored()[provA].EncryptedClientSecret); got != "rotated-secret" {
		t.Errorf("secret after rotation = %q", got)
	}

	rep = f.sync(false, false, provB, provA, provC)
	wantRefs(t, "updated", rep.Updated, provB, provA)
	if s := f.stored(); s[provB].UIOrder != 0 || s[provA].UIOrder != 1 {
		t.Errorf("ui orders after reordering: B %d, A %d", s[provB].UIOrder, s[provA].UIOrder)
	}
	// Still disabled, as configured, after being rewritten.
	if f.stored()[provC].Enabled() {
		t.Error("provider C enabled by the sync")
	}
}

// A provider removed from the configuration is disabled and keeps its
// links; it is enabled again when it comes back, and deleted (with its
// links) only with prune. A configured but disabled provider is never
// pruned.
func TestSyncUpstreamProvidersDisablesAndPrunes(t *testing.T) {
	f := newSyncFixture(t)
	ctx := context.Background()
	f.sync(false, false, provA, provB, provC)
	user, err := f.store.Users().Add(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	link, err := f.store.UpstreamLinks().Add(ctx, mustID(t, provB), "apple-subject", &user.ID, "")
	if err != nil {
		t.Fatal(err)
	}

	rep := f.sync(false, false, provA, provC)
	wantRefs(t, "disabled", rep.Disabled, provB)
	wantRefs(t, "stale", rep.Stale, provB)
	wantRefs(t, "deleted", rep.Deleted)
	b := f.stored()[provB]
	if b == nil || b.Enabled() {
		t.Fatalf("B after removal = %+v", b)
	}
	disabledAt := *b.DisabledAt
	if _, err := f.store.UpstreamLinks().Lookup(ctx, link.ID); err != nil {
		t.Fatalf("the link did not survive disabling: %v", err)
	}

	// Again: still stale, not disabled a second time (the time stays).
	f.clk.Advance(time.Hour)
	rep = f.sync(false, false, provA, provC)
	wantRefs(t, "disabled", rep.Disabled)
	wantRefs(t, "stale", rep.Stale, provB)
	if got := f.stored()[provB].DisabledAt; got == nil || !got.Equal(disabledAt) {
		t.Errorf("disabled_at moved from %v to %v", disabledAt, got)
	}

	// It comes back, with its link.
	rep = f.sync(false, false, provA, provB, provC)
	wantRefs(t, "re-enabled", rep.Reenabled, provB)
	if !f.stored()[provB].Enabled() {
		t.Error("B not enabled again")
	}
	if _, err := f.store.UpstreamLinks().FindBySubject(ctx, mustID(t, provB), "apple-subject"); err != nil {
		t.Errorf("the link is gone: %v", err)
	}

	// Removed again and pruned: a dry run reports and keeps, the real run
	// deletes the provider with its link. C, configured disabled, stays.
	rep = f.sync(true, true, provA, provC)
	wantRefs(t, "dry-run deleted", rep.Deleted, provB)
	if f.stored()[provB] == nil || !f.stored()[provB].Enabled() {
		t.Fatal("the dry run changed B")
	}
	rep = f.sync(true, false, provA, provC)
	wantRefs(t, "deleted", rep.Deleted, provB)
	wantRefs(t, "stale", rep.Stale)
	got := f.stored()
	if got[provB] != nil || got[provC] == nil || got[provC].Enabled() {
		t.Errorf("after prune: %v", got)
	}
	if _, err := f.store.UpstreamLinks().Lookup(ctx, link.ID); err == nil {
		t.Error("the link of the pruned provider survived")
	}
}

// A configured provider turned off with `enabled: false` is disabled, and
// enabled again when switched back on.
func TestSyncUpstreamProvidersEnabledFlag(t *testing.T) {
	f := newSyncFixture(t)
	f.sync(false, false, provA)
	ps := f.providers(provA)
	ps[0].Enabled = false
	rep, err := app.SyncUpstreamProviders(context.Background(), f.store, f.enc, ps, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantRefs(t, "disabled", rep.Disabled, provA)
	wantRefs(t, "stale", rep.Stale)
	if f.stored()[provA].Enabled() {
		t.Fatal("A still enabled")
	}
	rep = f.sync(false, false, provA)
	wantRefs(t, "re-enabled", rep.Reenabled, provA)
}

// A secret file that cannot be read stops the sync before anything is
// written.
func TestSyncUpstreamProvidersUnreadableSecret(t *testing.T) {
	f := newSyncFixture(t)
	ps := f.providers(provA, provB)
	if err := os.Remove(f.secretFile); err != nil {
		t.Fatal(err)
	}
	_, err := app.SyncUpstreamProviders(context.Background(), f.store, f.enc, ps, false, false, nil)
	if err == nil || !strings.Contains(err.Error(), "client_secret_file") {
		t.Fatalf("error = %v", err)
	}
	if len(f.stored()) != 0 {
		t.Error("providers written despite the error")
	}
}

func mustID(t *testing.T, s string) domain.ID {
	t.Helper()
	id, err := domain.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
