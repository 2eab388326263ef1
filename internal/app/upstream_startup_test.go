package app_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"mas/internal/app"
	"mas/internal/config"
	"mas/internal/domain"
)

const startupProviders = `upstream_oauth2:
  providers:
    - id: 01HFVBY12TMNTYTBV8W921M5FA
      human_name: Example
      issuer: https://idp.example.com/
      client_id: mas
      client_secret: startup-secret
      token_endpoint_auth_method: client_secret_post
`

// startOnce opens the app, starts it without a worker, reads the stored
// providers, and stops and closes everything again.
func startOnce(t *testing.T, cfg *config.Config, opts app.ServerOptions) []*domain.UpstreamProvider {
	t.Helper()
	opts.NoWorker = true
	a, err := app.Open(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv, err := a.StartServer(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(context.Background())
	list, err := a.Store.UpstreamProviders().List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// The server mirrors the providers at start, unless --no-sync; starting
// again changes nothing (the stored secret keeps its encryption).
func TestServerStartSyncsUpstreamProviders(t *testing.T) {
	cfg := testConfig(t, internalListener+startupProviders)
	if got := startOnce(t, cfg, app.ServerOptions{NoSync: true}); len(got) != 0 {
		t.Fatalf("--no-sync stored providers: %v", got)
	}
	first := startOnce(t, cfg, app.ServerOptions{})
	if len(first) != 1 || first[0].ID.String() != "01HFVBY12TMNTYTBV8W921M5FA" || first[0].HumanName != "Example" || !first[0].Enabled() {
		t.Fatalf("providers after start = %+v", first)
	}
	second := startOnce(t, cfg, app.ServerOptions{})
	if len(second) != 1 || second[0].EncryptedClientSecret != first[0].EncryptedClientSecret || second[0].Settings != first[0].Settings {
		t.Errorf("second start rewrote the provider:\n%+v\n%+v", first[0], second[0])
	}
}

// A provider whose template does not compile stops the server at start,
// naming the provider and the key, as `config check` does.
func TestServerRefusesBrokenProviderTemplate(t *testing.T) {
	broken := startupProviders + `      claims_imports:
        localpart:
          action: require
          template: "{{ user.preferred_username"
`
	cfg := testConfig(t, internalListener+broken)
	a, err := app.Open(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv, err := a.StartServer(t.Context(), app.ServerOptions{NoWorker: true})
	if err == nil {
		srv.Stop(context.Background())
		t.Fatal("the server started with a broken template")
	}
	for _, want := range []string{"01HFVBY12TMNTYTBV8W921M5FA", "claims_imports.localpart.template"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("start error %q does not mention %q", err, want)
		}
	}
	if err := app.CheckUpstreamTemplates(cfg); err == nil || !strings.Contains(err.Error(), "claims_imports.localpart.template") {
		t.Errorf("CheckUpstreamTemplates = %v, want the same problem", err)
	}
}
