package app_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"mas/internal/app"
	"mas/internal/logtest"
)

// TestStartupWarnsAboutPrivateTrustedProxies: upstream's default list,
// which a configuration without trusted_proxies keeps, lets any host on a
// private network choose its client address; the server says so when it
// starts. Loopback and the proxy's single address draw no warning.
func TestStartupWarnsAboutPrivateTrustedProxies(t *testing.T) {
	const listeners = `
  public_base: http://127.0.0.1/
  listeners:
    - name: internal
      resources: [{name: health}]
      binds: [{address: "127.0.0.1:0"}]
`
	tests := []struct {
		name    string
		proxies string // the trusted_proxies line, empty for none
		warn    string // a range the warning must name, empty for no warning
	}{
		{"default list", "", "10.0.0.0/10"},
		{"loopback only", "  trusted_proxies: [127.0.0.0/8, '::1/128']\n", ""},
		{"the proxy's address", "  trusted_proxies: [127.0.0.0/8, 10.1.2.3, 'fd12::7/128']\n", ""},
		{"a private subnet", "  trusted_proxies: [127.0.0.1, 10.1.2.0/24]\n", "10.1.2.0/24"},
		{"everything", "  trusted_proxies: ['::/0']\n", "::/0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, "http:\n"+tc.proxies+strings.TrimPrefix(listeners, "\n"))
			var logs logtest.Buffer
			a, err := app.Open(t.Context(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			srv, err := a.StartServer(t.Context(), app.ServerOptions{NoWorker: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Stop(context.Background()) })

			var warning string
			for _, line := range strings.Split(logs.String(), "\n") {
				if strings.Contains(line, "level=WARN") && strings.Contains(line, "trusted_proxies") {
					warning = line
				}
			}
			switch {
			case tc.warn == "" && warning != "":
				t.Errorf("unexpected warning: %s", warning)
			case tc.warn != "" && warning == "":
				t.Errorf("no warning about trusted_proxies in:\n%s", logs.String())
			case tc.warn != "" && (!strings.Contains(warning, tc.warn) || !strings.Contains(warning, "every host on those networks can choose its client address")):
				t.Errorf("warning does not name %s or say why: %s", tc.warn, warning)
			}
		})
	}
}
