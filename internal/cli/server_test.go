package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"mas/internal/store/postgres/pgtest"
)

// getHealth fetches /health once.
func getHealth(client *http.Client, port int) (int, string, error) {
	return getURL(client, fmt.Sprintf("http://127.0.0.1:%d/health", port))
}

func getURL(client *http.Client, url string) (int, string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// startServer runs the command line in a goroutine, as a process would,
// and waits until /health on healthPort answers. stop ends its context,
// which is what SIGTERM does; done delivers its result.
func startServer(t *testing.T, healthPort int, args ...string) (stop context.CancelFunc, done <-chan result) {
	t.Helper()
	return startServerAt(t, fmt.Sprintf("http://127.0.0.1:%d/health", healthPort), args...)
}

// startServerAt is startServer with the health endpoint at any URL (a
// listener with a prefix, say).
func startServerAt(t *testing.T, healthURL string, args ...string) (stop context.CancelFunc, done <-chan result) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	var stdout, stderr lockedBuffer
	ch := make(chan result, 1)
	go func() {
		code := Main(ctx, args, &stdout, &stderr)
		ch <- result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	}()

	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	// The deadline only turns a hang into a failure.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case r := <-ch:
			t.Fatalf("the server exited before serving:\n%s", r)
		default:
		}
		status, body, err := getURL(client, healthURL)
		if err == nil {
			if status != http.StatusOK || body != "ok" {
				t.Fatalf("GET %s = %d %q, want 200 \"ok\"", healthURL, status, body)
			}
			return cancel, ch
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never answered %s: %v\nstderr:\n%s", healthURL, err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServerRunsUntilCancelled(t *testing.T) {
	dir := t.TempDir()
	web, internal := freePort(t), freePort(t)
	cfg := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir))+
		listenersConfig(map[string]int{"web": web, "internal": internal}, "web", "internal"))

	stop, done := startServer(t, internal, "server", "-c", cfg)
	stop()
	r := waitExit(t, done)
	mustSucceed(t, r, "server stopped by its context")
	assertPortFree(t, web)
	assertPortFree(t, internal)
}

func TestServerUnreachableDatabase(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	cfg := writeFile(t, dir, "config.yaml",
		// baseConfig ends inside the database section.
		baseConfig(t, "postgresql://mas@127.0.0.1:1/mas?connect_timeout=2")+
			"  connect_timeout: 2\n"+
			listenersConfig(map[string]int{"web": port}, "web"))

	done := make(chan result, 1)
	go func() { done <- run(t, "server", "-c", cfg) }()
	r := waitExit(t, done)
	mustFail(t, r, "database", "127.0.0.1")
	assertPortFree(t, port)
}

func TestServerBindConflict(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	dir := t.TempDir()
	first := freePort(t)
	// "first" binds before "second" fails, so the server has something to
	// undo.
	cfg := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir))+
		listenersConfig(map[string]int{"first": first, "second": busyPort}, "first", "second"))

	done := make(chan result, 1)
	go func() { done <- run(t, "server", "-c", cfg) }()
	r := waitExit(t, done)
	mustFail(t, r, `listener "second"`, strconv.Itoa(busyPort))
	assertPortFree(t, first)
}

func TestServerNoMigrateOnEmptyDatabase(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backend string
		args    []string
	}{
		{"server/sqlite", "sqlite", []string{"server", "--no-migrate"}},
		{"server/postgres", "postgres", []string{"server", "--no-migrate"}},
		// Without a subcommand mas-cli is the server, flags included.
		{"root/sqlite", "sqlite", []string{"--no-migrate"}},
		// The worker never migrates.
		{"worker/sqlite", "sqlite", []string{"worker"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			uri := sqliteURI(dir)
			if tc.backend == "postgres" {
				uri = pgtest.NewDatabase(t)
			}
			port := freePort(t)
			cfg := writeFile(t, dir, "config.yaml", baseConfig(t, uri)+
				listenersConfig(map[string]int{"web": port}, "web"))

			done := make(chan result, 1)
			go func() { done <- run(t, append(tc.args, "-c", cfg)...) }()
			r := waitExit(t, done)
			mustFail(t, r, "schema is out of date", "mas-cli database migrate")
			assertPortFree(t, port)

			// Refusing to start did not touch the schema either.
			m := run(t, "database", "migrate", "-c", cfg)
			mustSucceed(t, m, "database migrate")
			if !strings.HasPrefix(m.stdout, "Applied ") {
				t.Errorf("database migrate found nothing to do after the refused start:\n%s", m)
			}
		})
	}
}

// After `database migrate`, --no-migrate starts.
func TestServerNoMigrateOnMigratedDatabase(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	cfg := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir))+
		listenersConfig(map[string]int{"web": port}, "web"))
	mustSucceed(t, run(t, "database", "migrate", "-c", cfg), "database migrate")

	stop, done := startServer(t, port, "server", "--no-migrate", "-c", cfg)
	stop()
	mustSucceed(t, waitExit(t, done), "server --no-migrate on a migrated database")
	assertPortFree(t, port)
}

func TestServerInvalidConfig(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	// A wrong type never starts a half-configured server.
	cfg := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir))+
		listenersConfig(map[string]int{"web": port}, "web")+
		"branding: 5\n")
	mustFail(t, run(t, "server", "-c", cfg), "branding: expected a mapping")
	assertPortFree(t, port)
	// Nor does an unknown key in strict mode.
	cfg = writeFile(t, dir, "strict.yaml", baseConfig(t, sqliteURI(dir))+
		listenersConfig(map[string]int{"web": port}, "web")+
		"secrets_typo: {}\n")
	t.Setenv("MAS_CONFIG_STRICT", "1")
	mustFail(t, run(t, "server", "-c", cfg), "secrets_typo: unknown key")
	assertPortFree(t, port)
}
