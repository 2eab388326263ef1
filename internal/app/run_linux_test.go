//go:build linux

package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"mas/internal/app"
)

// A listener that stops serving on its own (here: its socket is shut down
// under it) must make RunServer return an error, so that `mas-cli server`
// exits non-zero and a supervisor restarts it, instead of exiting 0 as if
// asked to stop. (Linux only: it relies on shutdown(2) waking accept(2) on
// a listening socket.)
func TestRunServerReportsListenerFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	raw, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	// The server takes ownership of (and closes) the descriptor it is
	// given, so it gets a duplicate; both refer to the same socket.
	var fd int
	var dupErr error
	if err := raw.Control(func(s uintptr) { fd, dupErr = syscall.Dup(int(s)) }); err != nil || dupErr != nil {
		t.Fatalf("dup: %v %v", err, dupErr)
	}

	cfg := testConfig(t, fmt.Sprintf(`http:
  public_base: http://127.0.0.1/
  listeners:
    - name: inherited
      resources: [{name: health}]
      binds: [{fd: %d}]
`, fd))
	a, err := app.Open(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.RunServer(ctx, app.ServerOptions{NoWorker: true}) }()

	// Wait until it serves, so that the failure comes from serving.
	client := &http.Client{Timeout: 10 * time.Second}
	url := "http://" + ln.Addr().String() + "/health"
	for deadline := time.Now().Add(2 * time.Minute); ; {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("RunServer returned before serving: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never answered: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	client.CloseIdleConnections()

	var shutErr error
	if err := raw.Control(func(s uintptr) { shutErr = syscall.Shutdown(int(s), syscall.SHUT_RDWR) }); err != nil || shutErr != nil {
		t.Fatalf("shutdown: %v %v", err, shutErr)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("RunServer returned nil after its only listener failed")
		} else {
			t.Logf("RunServer: %v", err)
		}
	case <-time.After(2 * time.Minute):
		cancel()
		t.Fatal("RunServer kept running after its only listener failed")
	}
}
