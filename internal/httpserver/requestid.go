package httpserver

import (
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

const (
	requestIDHeader = "X-Request-Id"
	// maxRequestIDLen keeps a client-chosen ID from bloating every log line.
	maxRequestIDLen = 64
)

// requestIDs hands out request IDs, reusing a caller's X-Request-Id when it
// is harmless so that one ID follows a request through a proxy chain.
type requestIDs struct {
	mu       sync.Mutex
	rand     io.Reader
	fallback atomic.Uint64
}

func (g *requestIDs) forRequest(r *http.Request) string {
	if id := r.Header.Get(requestIDHeader); acceptableRequestID(id) {
		return id
	}
	return g.generate()
}

func (g *requestIDs) generate() string {
	var b [16]byte
	g.mu.Lock()
	_, err := io.ReadFull(g.rand, b[:])
	g.mu.Unlock()
	if err != nil {
		// IDs only correlate log lines; a failing entropy source must not
		// fail the request, so fall back to a process-local counter.
		return "local-" + strconv.FormatUint(g.fallback.Add(1), 10)
	}
	return hex.EncodeToString(b[:])
}

// acceptableRequestID allows short IDs of visible ASCII only, which rules out
// header and log injection whatever the log format.
func acceptableRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}
