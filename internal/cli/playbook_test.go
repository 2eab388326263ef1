package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"mas/internal/store/postgres/pgtest"
)

// playbookConfig fills the markers of testdata/playbook/config.yaml (the
// configuration the Ansible playbook renders) for this machine: free
// ports, a throw-away PostgreSQL database, the test keys.
func playbookConfig(t *testing.T) (path string, webPort, healthPort int) {
	t.Helper()
	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(testdata(t, "playbook/config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	webPort, healthPort = freePort(t), freePort(t)
	dbPort := u.Port()
	if dbPort == "" {
		dbPort = "5432"
	}
	cfg := strings.NewReplacer(
		"@WEB_PORT@", strconv.Itoa(webPort),
		"@HEALTH_PORT@", strconv.Itoa(healthPort),
		"@DB_HOST@", u.Hostname(),
		"@DB_PORT@", dbPort,
		"@DB_USER@", u.User.Username(),
		"@DB_PASSWORD@", password,
		"@DB_NAME@", strings.TrimPrefix(u.Path, "/"),
		"@KEYS@", testdata(t, "playbook/keys"),
	).Replace(string(raw))
	return writeFile(t, t.TempDir(), "config.yaml", cfg), webPort, healthPort
}

// The configuration the Ansible playbook renders, and its documented
// upstream provider example with every commented field switched on, pass
// `config check` and start the server, which then serves under /auth.
func TestPlaybookConfiguration(t *testing.T) {
	cfg, webPort, healthPort := playbookConfig(t)
	example := testdata(t, "playbook/provider-example.yaml")

	r := run(t, "config", "check", "-c", cfg, "-c", example)
	mustSucceed(t, r, "config check of the playbook's configuration")
	for _, want := range []string{"set_email_verification: removed from upstream; honoured here", "token_endpoint_auth_signing_alg: has no effect"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("config check does not mention %q:\n%s", want, r)
		}
	}

	stop, done := startServerAt(t, fmt.Sprintf("http://localhost:%d/auth/health", healthPort), "server", "-c", cfg, "-c", example)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/auth/.well-known/openid-configuration", webPort))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"issuer":"https://matrix.example.com/auth/"`) {
		t.Fatalf("discovery under /auth = %d %s", resp.StatusCode, body)
	}
	stop()
	r = waitExit(t, done)
	mustSucceed(t, r, "server stopped")
	// The graphql and assets resources the playbook lists are named as not
	// served yet.
	if !strings.Contains(r.stderr, "resource not served by this version") || !strings.Contains(r.stderr, "/graphql") {
		t.Errorf("no warning about the unserved resources:\n%s", r.stderr)
	}
}
