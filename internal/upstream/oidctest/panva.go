package oidctest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// EnvPanva names the folder holding node_modules/oidc-provider, as
// `scripts/test-services --env` prints it.
const EnvPanva = "MAS_TEST_OIDC_PROVIDER"

// PanvaVersion is the oidc-provider release scripts/test-services installs.
const PanvaVersion = "9.13.3"

// Bounds of the provider's start and stop; both return as soon as done.
const (
	panvaStartTimeout = 30 * time.Second
	panvaStopTimeout  = 5 * time.Second
)

//go:embed testdata/provider.mjs
var launcher []byte

// Panva starts panva's oidc-provider with cfg and stops it when the test
// ends. Without MAS_TEST_OIDC_PROVIDER (or without node) the test is
// skipped, loudly; under CI=true it fails instead.
func Panva(t testing.TB, cfg Config) *Provider {
	t.Helper()
	dir := os.Getenv(EnvPanva)
	node, nodeErr := exec.LookPath("node")
	switch {
	case dir == "" || nodeErr != nil:
		why := EnvPanva + " is not set"
		if dir != "" {
			why = "node is not on PATH"
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: the oidc-provider tests must run in CI", why)
		}
		t.Skipf("SKIPPING oidc-provider test: %s; `eval \"$(scripts/test-services --env)\"` installs oidc-provider %s and sets it", why, PanvaVersion)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		t.Fatalf("%s=%s holds no node_modules/oidc-provider (%v): run scripts/test-services", EnvPanva, dir, err)
	}
	users := cfg.Users
	if users == nil {
		users = DefaultUsers()
	}
	arg, err := json.Marshal(panvaConfig(cfg, users))
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	script := filepath.Join(t.TempDir(), "provider.mjs")
	if err := os.WriteFile(script, launcher, 0o600); err != nil {
		t.Fatal(err)
	}

	p := &Provider{Kind: "panva", clients: cfg.Clients, users: users}
	p.logOnFailure(t)
	cmd := exec.Command(node, script, string(arg))
	cmd.Env = append(os.Environ(), EnvPanva+"="+dir)
	cmd.Stderr = &p.log
	cmd.SysProcAttr = procAttr()
	// Closing stdin is the stop signal: the launcher exits when it reads
	// EOF, which also happens when this test binary dies.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	cmd.Stdout = &eventWriter{p: p, ready: ready}
	if err := cmd.Start(); err != nil {
		t.Fatalf("oidctest: starting node: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-exited:
		case <-time.After(panvaStopTimeout):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	select {
	case issuer := <-ready:
		p.issuer = issuer
	case <-exited:
		t.Fatalf("oidctest: oidc-provider exited before it was ready:\n%s", p.tail(50))
	case <-time.After(panvaStartTimeout):
		t.Fatalf("oidctest: oidc-provider not ready after %s:\n%s", panvaStartTimeout, p.tail(50))
	}
	return p
}

// eventWriter takes the launcher's output: it keeps every line in the
// log and acts on the READY and AUTHORIZE lines.
type eventWriter struct {
	p       *Provider
	ready   chan<- string
	partial []byte
}

func (w *eventWriter) Write(b []byte) (int, error) {
	_, _ = w.p.log.Write(b)
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.event(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
}

func (w *eventWriter) event(line string) {
	kind, payload, _ := strings.Cut(line, " ")
	switch kind {
	case "READY":
		var v struct{ Issuer string }
		if json.Unmarshal([]byte(payload), &v) == nil {
			w.ready <- strings.TrimSuffix(v.Issuer, "/")
		}
	case "AUTHORIZE":
		var params map[string]string
		if json.Unmarshal([]byte(payload), &params) == nil {
			q := url.Values{}
			for k, v := range params {
				q.Set(k, v)
			}
			w.p.recordAuthorize(q)
		}
	}
}

// panvaConfig is the launcher's configuration (see testdata/provider.mjs).
func panvaConfig(cfg Config, users []User) map[string]any {
	clients := make([]map[string]any, 0, len(cfg.Clients))
	for _, c := range cfg.Clients {
		m := map[string]any{
			"client_id":     c.ID,
			"redirect_uris": c.RedirectURIs,
		}
		if c.Secret != "" {
			m["client_secret"] = c.Secret
		}
		setIf(m, "token_endpoint_auth_method", c.AuthMethod)
		setIf(m, "token_endpoint_auth_signing_alg", c.AuthSigningAlg)
		setIf(m, "id_token_signed_response_alg", c.IDTokenSigningAlg)
		setIf(m, "jwks_uri", c.JWKSURI)
		if c.BackchannelLogoutURI != "" {
			// sid in the ID token and the logout token, as Keycloak sends it.
			m["backchannel_logout_uri"] = c.BackchannelLogoutURI
			m["backchannel_logout_session_required"] = true
		}
		if len(c.JWKS) > 0 {
			m["jwks"] = c.JWKS
		}
		if len(c.PostLogoutRedirectURIs) > 0 {
			m["post_logout_redirect_uris"] = c.PostLogoutRedirectURIs
		}
		clients = append(clients, m)
	}
	accounts := make([]map[string]any, 0, len(users))
	for _, u := range users {
		m := u.Claims()
		m["password"] = u.Password
		accounts = append(accounts, m)
	}
	consent := "auto"
	if cfg.ConsentForm {
		consent = "form"
	}
	return map[string]any{
		"clients":                 clients,
		"users":                   accounts,
		"pkce_required":           cfg.RequirePKCE,
		"userinfo":                !cfg.NoUserinfo,
		"backchannel_logout":      cfg.BackchannelLogout,
		"conform_id_token_claims": cfg.ConformIDTokenClaims,
		"consent":                 consent,
	}
}

func setIf(m map[string]any, key, value string) {
	if value != "" {
		m[key] = value
	}
}
