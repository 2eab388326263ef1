package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testEncryption is a valid secrets.encryption value (64 hex characters).
var testEncryption = strings.Repeat("0123456789abcdef", 4)

// result is what one in-process run of the command line produced.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// lockedBuffer lets a test read a command's output while the command, run
// in another goroutine, is still writing it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// run runs Main in-process with args.
func run(t *testing.T, args ...string) result {
	t.Helper()
	return runContext(t, t.Context(), args...)
}

func runContext(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	var stdout, stderr lockedBuffer
	code := Main(ctx, args, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mustSucceed fails the test unless r exited 0.
func mustSucceed(t *testing.T, r result, what string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s failed:\n%s", what, r)
	}
}

// mustFail fails the test unless r exited non-zero with every one of want
// in its standard error.
func mustFail(t *testing.T, r result, want ...string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("exit code 0, want a failure:\n%s", r)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("standard error does not mention %q:\n%s", w, r)
		}
	}
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// baseConfig is a minimal valid configuration without an http section, so
// that a test can add one (lists from several files are concatenated, so
// listeners must all come from one place). Paths are absolute: Main runs
// in the test's working directory.
func baseConfig(t *testing.T, dbURI string) string {
	t.Helper()
	return fmt.Sprintf(`secrets:
  encryption: %s
  keys:
    - kid: rsa
      key_file: %q
matrix:
  homeserver: example.org
  secret: test-matrix-secret
database:
  uri: %q
`, testEncryption, testdata(t, "rsa.pem"), dbURI)
}

// sqliteURI names a fresh SQLite database in dir.
func sqliteURI(dir string) string { return "sqlite:" + filepath.Join(dir, "mas.db") }

// listenersConfig is an http section with one listener per name, each
// serving health and the human pages on 127.0.0.1 at the given port.
func listenersConfig(ports map[string]int, order ...string) string {
	var b strings.Builder
	b.WriteString("http:\n  public_base: http://127.0.0.1/\n  listeners:\n")
	for _, name := range order {
		fmt.Fprintf(&b, "    - name: %s\n      resources: [{name: health}, {name: human}]\n      binds: [{address: \"127.0.0.1:%d\"}]\n", name, ports[name])
	}
	return b.String()
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on right
// now, for configurations that must name their port in advance.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// assertPortFree checks that nothing is left listening on port: binding it
// must succeed.
func assertPortFree(t *testing.T, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Errorf("port %d is still in use after the command exited: %v", port, err)
		return
	}
	ln.Close()
}

// waitExit waits for a command started in a goroutine. The bound only turns
// a hang into a failure; it is not a performance assertion.
func waitExit(t *testing.T, done <-chan result) result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(2 * time.Minute):
		t.Fatal("the command did not exit")
		return result{}
	}
}
