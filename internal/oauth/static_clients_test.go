package oauth

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/testdb"
)

const (
	regStaticA = "01HV0000000000000000000001"
	regStaticB = "01HV0000000000000000000002"
	regStaticC = "01HV0000000000000000000003"
)

func regStaticConfig() []StaticClient {
	return []StaticClient{
		{ID: regStaticA, AuthMethod: authMethodClientSecretBasic, Secret: "secret-a", Name: "Synapse admin",
			ClientURI: "https://a.example.com/", RedirectURIs: []string{"https://a.example.com/cb"}},
		{ID: regStaticB, AuthMethod: authMethodNone, RedirectURIs: []string{"https://b.example.com/cb", "http://localhost/cb"}},
		{ID: regStaticC, AuthMethod: authMethodPrivateKeyJWT, JWKS: `{"keys": []}`},
	}
}

func regSync(t *testing.T, s store.Store, clients []StaticClient, prune, dryRun bool) SyncReport {
	t.Helper()
	rep, err := SyncStaticClients(context.Background(), s, regEncrypter(), clients, prune, dryRun, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func regWantReport(t *testing.T, got SyncReport, created, updated, unchanged, deleted, stale []string) {
	t.Helper()
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"created", got.Created, created}, {"updated", got.Updated, updated}, {"unchanged", got.Unchanged, unchanged},
		{"deleted", got.Deleted, deleted}, {"stale", got.Stale, stale},
	} {
		if !slices.Equal(c.got, c.want) && !(len(c.got) == 0 && len(c.want) == 0) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func regStaticIDs(t *testing.T, s store.Store) []string {
	t.Helper()
	cs, err := s.Clients().ListStatic(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID.String())
	}
	return ids
}

func TestSyncStaticClients(t *testing.T) {
	clk := clocktest.New(regStart)
	s := testdb.Open(t, clk)
	ctx := context.Background()
	cfg := regStaticConfig()

	// Dry run on an empty database: reports, writes nothing.
	rep := regSync(t, s, cfg, true, true)
	if !rep.DryRun {
		t.Error("DryRun not reported")
	}
	regWantReport(t, rep, []string{regStaticA, regStaticB, regStaticC}, nil, nil, nil, nil)
	if ids := regStaticIDs(t, s); len(ids) != 0 {
		t.Fatalf("dry run stored %v", ids)
	}

	rep = regSync(t, s, cfg, false, false)
	regWantReport(t, rep, []string{regStaticA, regStaticB, regStaticC}, nil, nil, nil, nil)
	a, err := s.Clients().Lookup(ctx, regMustID(regStaticA))
	if err != nil {
		t.Fatal(err)
	}
	if !a.IsStatic || !a.GrantAuthorizationCode || !a.GrantRefreshToken || !a.GrantClientCredentials || !a.GrantDeviceCode ||
		a.TokenEndpointAuthMethod != authMethodClientSecretBasic || a.ClientName != "Synapse admin" ||
		a.ClientURI != "https://a.example.com/" || !slices.Equal(a.RedirectURIs, []string{"https://a.example.com/cb"}) {
		t.Errorf("stored client = %+v", a)
	}
	if a.EncryptedSecret == "" || strings.Contains(a.EncryptedSecret, "secret-a") {
		t.Fatalf("secret stored as %q", a.EncryptedSecret)
	}
	if plain, err := regEncrypter().Decrypt(a.EncryptedSecret); err != nil || string(plain) != "secret-a" {
		t.Fatalf("secret decrypts to %q (%v)", plain, err)
	}
	sealed := a.EncryptedSecret

	// Syncing the same configuration again changes nothing, not even the
	// secret's ciphertext.
	clk.Advance(3600e9)
	rep = regSync(t, s, cfg, true, false)
	regWantReport(t, rep, nil, nil, []string{regStaticA, regStaticB, regStaticC}, nil, nil)
	a, _ = s.Clients().Lookup(ctx, regMustID(regStaticA))
	if a.EncryptedSecret != sealed {
		t.Error("an unchanged client was rewritten")
	}
	if !a.CreatedAt.Equal(regStart) {
		t.Errorf("created_at moved to %v", a.CreatedAt)
	}

	// Changes: a new secret for A, B gone, a new redirect URI for C.
	cfg2 := regStaticConfig()
	cfg2[0].Secret = "secret-a2"
	cfg2[2].RedirectURIs = []string{"https://c.example.com/cb"}
	cfg2 = append(cfg2[:1], cfg2[2])

	rep = regSync(t, s, cfg2, false, false)
	regWantReport(t, rep, nil, []string{regStaticA, regStaticC}, nil, nil, []string{regStaticB})
	if ids := regStaticIDs(t, s); len(ids) != 3 {
		t.Fatalf("without prune, static clients = %v", ids)
	}
	a, _ = s.Clients().Lookup(ctx, regMustID(regStaticA))
	if plain, _ := regEncrypter().Decrypt(a.EncryptedSecret); string(plain) != "secret-a2" {
		t.Errorf("secret not updated: %q", plain)
	}

	rep = regSync(t, s, cfg2, true, true)
	regWantReport(t, rep, nil, nil, []string{regStaticA, regStaticC}, []string{regStaticB}, nil)
	if ids := regStaticIDs(t, s); len(ids) != 3 {
		t.Fatalf("dry-run prune deleted: %v", ids)
	}
	rep = regSync(t, s, cfg2, true, false)
	regWantReport(t, rep, nil, nil, []string{regStaticA, regStaticC}, []string{regStaticB}, nil)
	if ids := regStaticIDs(t, s); !slices.Equal(ids, []string{regStaticA, regStaticC}) {
		t.Fatalf("after prune, static clients = %v", ids)
	}

	// Dynamic clients are never pruned; a configured ID taking over one is
	// an update.
	dyn := &domain.Client{TokenEndpointAuthMethod: authMethodNone, MetadataDigest: "abc"}
	if err := s.Clients().Add(ctx, dyn); err != nil {
		t.Fatal(err)
	}
	rep = regSync(t, s, nil, true, false)
	regWantReport(t, rep, nil, nil, nil, []string{regStaticA, regStaticC}, nil)
	if _, err := s.Clients().Lookup(ctx, dyn.ID); err != nil {
		t.Fatalf("dynamic client pruned: %v", err)
	}
	rep = regSync(t, s, []StaticClient{{ID: dyn.ID.String(), AuthMethod: authMethodNone}}, false, false)
	regWantReport(t, rep, nil, []string{dyn.ID.String()}, nil, nil, nil)
}

func TestSyncStaticClientsInvalid(t *testing.T) {
	s := testdb.Open(t, clocktest.New(regStart))
	tests := []struct {
		name    string
		clients []StaticClient
		want    string
	}{
		{"bad ID", []StaticClient{{ID: "client-1", AuthMethod: authMethodNone}}, "invalid ULID"},
		{"duplicate ID", []StaticClient{{ID: regStaticA, AuthMethod: authMethodNone}, {ID: regStaticA, AuthMethod: authMethodNone}}, "configured twice"},
		{"unknown method", []StaticClient{{ID: regStaticA, AuthMethod: "tls_client_auth"}}, "unsupported"},
		{"secret method without secret", []StaticClient{{ID: regStaticA, AuthMethod: authMethodClientSecretPost}}, "needs a client_secret"},
		{"secret with none", []StaticClient{{ID: regStaticA, AuthMethod: authMethodNone, Secret: "x"}}, "takes no client_secret"},
		{"private_key_jwt without keys", []StaticClient{{ID: regStaticA, AuthMethod: authMethodPrivateKeyJWT}}, "exactly one of jwks and jwks_uri"},
		{"private_key_jwt with both", []StaticClient{{ID: regStaticA, AuthMethod: authMethodPrivateKeyJWT, JWKS: `{"keys":[]}`, JWKSURI: "https://x/"}}, "exactly one"},
		{"jwks with another method", []StaticClient{{ID: regStaticA, AuthMethod: authMethodNone, JWKSURI: "https://x/"}}, "takes no jwks"},
		{"jwks not JSON", []StaticClient{{ID: regStaticA, AuthMethod: authMethodPrivateKeyJWT, JWKS: `{`}}, "not valid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A valid client first: nothing may be written when a later
			// one is invalid.
			clients := append([]StaticClient{{ID: regStaticB, AuthMethod: authMethodNone}}, tc.clients...)
			_, err := SyncStaticClients(context.Background(), s, regEncrypter(), clients, false, false, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
			if ids := regStaticIDs(t, s); len(ids) != 0 {
				t.Fatalf("stored %v", ids)
			}
		})
	}
}

func TestSyncStaticClientsLogs(t *testing.T) {
	s := testdb.Open(t, clocktest.New(regStart))
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	if _, err := SyncStaticClients(context.Background(), s, regEncrypter(), regStaticConfig(), false, false, logger); err != nil {
		t.Fatal(err)
	}
	if _, err := SyncStaticClients(context.Background(), s, regEncrypter(), nil, false, true, logger); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "secret-a") {
		t.Fatalf("logs contain a secret:\n%s", out)
	}
	if !strings.Contains(out, "added static client") || !strings.Contains(out, "prune") {
		t.Fatalf("logs:\n%s", out)
	}
}

func regMustID(s string) domain.ID {
	id, err := domain.ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}
