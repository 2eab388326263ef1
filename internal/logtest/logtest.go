// Package logtest collects what the code under test logs, for tests that
// check a log line (a security event, a startup warning).
package logtest

import (
	"bytes"
	"io"
	"log/slog"
	"sync"
	"testing"
)

// Buffer is a log destination safe for concurrent writers (request and
// worker goroutines). It keeps everything written and, when Out is set,
// passes it on there too.
type Buffer struct {
	Out io.Writer

	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if b.Out != nil {
		return b.Out.Write(p)
	}
	return len(p), nil
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// New returns a text logger at level whose lines are kept in the returned
// Buffer and shown in the test's output.
func New(t testing.TB, level slog.Level) (*slog.Logger, *Buffer) {
	b := &Buffer{Out: t.Output()}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: level})), b
}
