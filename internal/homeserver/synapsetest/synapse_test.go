package synapsetest

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestSharedDelegated: the shared instance answers, sends every token to
// the attached service through AuthURL, and routes the legacy login API
// to the service while the rest reaches Synapse.
func TestSharedDelegated(t *testing.T) {
	s := Shared(t, Options{})
	ctx := context.Background()

	resp, err := do(ctx, http.MethodGet, s.AuthURL()+"/.well-known/openid-configuration", "", nil)
	if err != nil || resp.Status != http.StatusBadGateway {
		t.Fatalf("auth front without a service = %v %v, want 502", resp, err)
	}

	var introspections int
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/oauth2/introspect":
			introspections++
			if r.Header.Get("Authorization") != "Bearer "+s.Secret {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			_, _ = w.Write([]byte(`{"active":false}`))
		case "/_matrix/client/v3/login":
			_, _ = w.Write([]byte(`{"flows":[{"type":"stub"}]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer svc.Close()
	if err := s.Attach(svc.URL); err != nil {
		t.Fatal(err)
	}

	resp, err = do(ctx, http.MethodGet, s.ClientURL()+"/_matrix/client/v3/account/whoami", "some-token", nil)
	if err != nil || resp.Status != http.StatusUnauthorized || resp.Errcode() != "M_UNKNOWN_TOKEN" {
		t.Fatalf("whoami with an inactive token = %v %v, want 401 M_UNKNOWN_TOKEN", resp, err)
	}
	if introspections != 1 {
		t.Fatalf("the service was asked %d times, want 1", introspections)
	}
	resp, err = do(ctx, http.MethodGet, s.ClientURL()+"/_matrix/client/v3/login", "", nil)
	if err != nil || !strings.Contains(string(resp.Raw), "stub") {
		t.Fatalf("login through the client front = %v %v, want the service's answer", resp, err)
	}
	resp, err = do(ctx, http.MethodGet, s.ClientURL()+"/_matrix/client/versions", "", nil)
	if err != nil || resp.Status != http.StatusOK || resp.Body["versions"] == nil {
		t.Fatalf("versions through the client front = %v %v", resp, err)
	}
}

// TestLegacy: a legacy-mode instance registers users with the shared
// registration secret and logs them in itself.
func TestLegacy(t *testing.T) {
	s := New(t, Options{Mode: Legacy, Pepper: "some-pepper"})
	ctx := context.Background()
	token, device, err := s.RegisterUser(ctx, "legacy1", "a password", true)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.Do(ctx, http.MethodGet, "/_matrix/client/v3/account/whoami", token, nil)
	if err != nil || resp.Status != http.StatusOK || resp.Body["user_id"] != s.MXID("legacy1") || resp.Body["device_id"] != device {
		t.Fatalf("whoami = %v %v", resp, err)
	}
	resp, err = s.Do(ctx, http.MethodPost, "/_matrix/client/v3/login", "", map[string]any{
		"type": "m.login.password", "identifier": map[string]string{"type": "m.id.user", "user": "legacy1"},
		"password": "a password",
	})
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("login = %v %v", resp, err)
	}
}

// TestPortTaken: when the port chosen is taken by the time Synapse binds
// it, the harness tries another.
func TestPortTaken(t *testing.T) {
	Require(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	calls := 0
	pickPort = func() (int, error) {
		calls++
		if calls == 1 {
			return busy.Addr().(*net.TCPAddr).Port, nil
		}
		return freePort()
	}
	t.Cleanup(func() { pickPort = freePort })
	s := New(t, Options{Mode: Legacy})
	if calls < 2 || s.port == busy.Addr().(*net.TCPAddr).Port {
		t.Fatalf("started on the taken port after %d picks", calls)
	}
}

// TestStartFailureShowsTheLog: when Synapse refuses to start, the error
// says so at once and carries its log.
func TestStartFailureShowsTheLog(t *testing.T) {
	Require(t)
	editConfig = func(cfg map[string]any) { cfg["matrix_authentication_service"] = map[string]any{"enabled": true} }
	t.Cleanup(func() { editConfig = nil })
	_, err := Start(Options{})
	if err == nil {
		t.Fatal("Synapse started with a broken configuration")
	}
	for _, want := range []string{"exited during start-up", "You must set a `secret` or `secret_path`"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestPostgresDown: an unreachable PostgreSQL is reported with the way to
// start it, without waiting.
func TestPostgresDown(t *testing.T) {
	Require(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := closed.Addr().String()
	closed.Close()
	t.Setenv("MAS_TEST_DATABASE_URL", "postgres://postgres@"+addr+"/postgres?sslmode=disable")
	start := time.Now()
	_, err = Start(Options{Postgres: true})
	if err == nil || !strings.Contains(err.Error(), "scripts/test-services") {
		t.Fatalf("Start with PostgreSQL down = %v, want an error naming scripts/test-services", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("reporting it took %v", d)
	}
}

// TestHaltRestartDelegated: a legacy instance with guests and an
// application service, halted and restarted in delegated mode, keeps its
// database, signing key and ClientURL, and now asks the attached service.
func TestHaltRestartDelegated(t *testing.T) {
	s := New(t, Options{Mode: Legacy, Pepper: "some-pepper", GuestAccess: true, AppService: "irc"})
	ctx := context.Background()
	if _, _, err := s.RegisterUser(ctx, "before", "a password", false); err != nil {
		t.Fatal(err)
	}
	resp, err := s.Do(ctx, http.MethodPost, "/_matrix/client/v3/register?kind=guest", "", map[string]any{})
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("guest registration = %v %v", resp, err)
	}
	if _, err := s.RegisterAppServiceUser(ctx, "irc_alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RegisterAppServiceUser(ctx, "alice"); err == nil {
		t.Fatal("the application service registered a user outside its namespace")
	}
	key, err := os.ReadFile(filepath.Join(s.dir, "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	clientURL := s.ClientURL()

	if err := s.Halt(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Do(ctx, http.MethodGet, "/health", "", nil); err == nil {
		t.Fatal("a halted Synapse answers")
	}
	if err := s.EditConfig(func(cfg map[string]any) { cfg["allow_guest_access"] = false }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(s.ConfigPath()); !strings.Contains(string(b), `"allow_guest_access": false`) {
		t.Fatalf("EditConfig did not write the change:\n%s", b)
	}
	if err := s.Restart(Delegated); err != nil {
		t.Fatal(err)
	}
	if s.AuthURL() == "" || s.ClientURL() != clientURL || s.Options().Mode != Delegated {
		t.Fatalf("after Restart: AuthURL %q, ClientURL %q (was %q), mode %v", s.AuthURL(), s.ClientURL(), clientURL, s.Options().Mode)
	}
	if after, _ := os.ReadFile(filepath.Join(s.dir, "signing.key")); !bytes.Equal(after, key) {
		t.Fatal("Restart changed the signing key")
	}
	if u, err := s.QueryUser(ctx, "before"); err != nil || u == nil {
		t.Fatalf("query_user of a user made before the restart = %+v, %v", u, err)
	}
	// Synapse checks the application service's own token itself, also
	// when it acts as one of its users.
	resp, err = s.Do(ctx, http.MethodGet, "/_matrix/client/v3/account/whoami?user_id="+url.QueryEscape(s.MXID("irc_alice")), s.asToken, nil)
	if err != nil || resp.Status != http.StatusOK || resp.Body["user_id"] != s.MXID("irc_alice") {
		t.Fatalf("whoami of the application service's user = %v %v", resp, err)
	}
}
