// Package proctest is test support for tests that run mas-cli as child
// processes: building the binary once, an environment free of settings
// that would change what the children do, a buffer for their output, and
// polling for a condition.
package proctest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// BuildMasCLI builds mas-cli into dir and returns its path.
func BuildMasCLI(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build mas-cli: %v", err)
	}
	bin := filepath.Join(dir, "mas-cli")
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "mas/cmd/mas-cli")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build mas/cmd/mas-cli: %v\n%s", err, out)
	}
	t.Logf("built mas-cli in %s", time.Since(start).Round(time.Millisecond))
	return bin
}

// CleanEnv is the test's environment without settings that would change
// which configuration, log level or queue timings the children use.
func CleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MAS_CONFIG=") || strings.HasPrefix(kv, "MAS_JOBS_") ||
			strings.HasPrefix(kv, "MAS_LOG_") || strings.HasPrefix(kv, "RUST_LOG=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// WaitUntil polls cond until it holds; timeout is a deadline, not a
// measurement. cond's string is what the failure shows as last seen.
func WaitUntil(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Buffer collects a child's output while it runs.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail is the last n lines written.
func (b *Buffer) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
