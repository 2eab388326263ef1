package synapsetest

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// logLinesOnFailure bounds what a failing test prints of Synapse's log.
const logLinesOnFailure = 300

// logBuffer keeps Synapse's output in memory; tests print the part written
// while they ran when they fail.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	// file keeps the whole log in the instance folder as well, for
	// MAS_TEST_SYNAPSE_KEEP.
	file io.Writer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.file != nil {
		_, _ = b.file.Write(p)
	}
	return b.buf.Write(p)
}

// mark is the current end of the log.
func (b *logBuffer) mark() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *logBuffer) since(mark int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if mark > b.buf.Len() {
		mark = 0
	}
	return string(b.buf.Bytes()[mark:])
}

// tail is at most n lines written after mark.
func (b *logBuffer) tail(mark, n int) string {
	s := strings.TrimRight(b.since(mark), "\n")
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return "[… earlier lines cut …]\n" + strings.Join(lines[len(lines)-n:], "\n")
}
