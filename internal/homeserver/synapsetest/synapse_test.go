package synapsetest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
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
