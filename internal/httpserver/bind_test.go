package httpserver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestUnixSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "mas.sock")

	// A stale socket left by a crashed process: the file exists, nobody listens.
	stale, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()

	srv, _ := startServer(t, Options{
		Listeners: []Listener{{
			Name:      "unix",
			Resources: []Resource{{Name: ResourceHealth}, {Name: ResourceOAuth}},
			Binds:     []Bind{{Socket: sock, Mode: 0o600}},
		}},
		Mounts: map[string]MountFunc{ResourceOAuth: echoClientIP},
	})
	info, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("socket mode %#o, want 0600", perm)
	}
	if addrs := srv.Addrs()["unix"]; len(addrs) != 1 || addrs[0].String() != sock {
		t.Errorf("Addrs = %v", addrs)
	}

	client := unixClient(sock)
	if res := do(t, client, http.MethodGet, "http://unix/health", nil); res.body != "ok" {
		t.Errorf("health over unix socket: %d %q", res.status, res.body)
	}
	// Unix peers are the local reverse proxy, so X-Forwarded-For counts.
	res := do(t, client, http.MethodGet, "http://unix/ip", http.Header{"X-Forwarded-For": {"198.51.100.4"}})
	if res.body != "198.51.100.4" {
		t.Errorf("client IP over unix socket = %q", res.body)
	}
	if res := do(t, client, http.MethodGet, "http://unix/ip", nil); res.body != "unknown" {
		t.Errorf("client IP without header = %q", res.body)
	}
}

func TestUnixSocketRefusesToClobber(t *testing.T) {
	dir := t.TempDir()

	regular := filepath.Join(dir, "file")
	if err := os.WriteFile(regular, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(dir, "live.sock")
	other, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	for _, path := range []string{regular, live} {
		srv, err := New(Options{Listeners: []Listener{{Name: "u", Binds: []Bind{{Socket: path}}}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(context.Background()); err == nil {
			srv.Shutdown(context.Background())
			t.Errorf("%s: Start succeeded", path)
		}
	}
	if b, err := os.ReadFile(regular); err != nil || string(b) != "keep me" {
		t.Errorf("regular file was touched: %q %v", b, err)
	}
}

// dupListenerFD returns a descriptor for ln that nothing else owns, as a
// service manager would pass it.
func dupListenerFD(t *testing.T, ln net.Listener) int {
	t.Helper()
	sc, ok := ln.(syscall.Conn)
	if !ok {
		t.Fatalf("%T has no raw connection", ln)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	fd := -1
	var dupErr error
	if err := rc.Control(func(raw uintptr) { fd, dupErr = syscall.Dup(int(raw)) }); err != nil {
		t.Fatal(err)
	}
	if dupErr != nil {
		t.Fatal(dupErr)
	}
	return fd
}

func TestInheritedFD(t *testing.T) {
	t.Run("tcp", func(t *testing.T) {
		parent, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := parent.Addr().String()
		fd := dupListenerFD(t, parent)
		parent.Close() // the duplicate keeps the socket listening

		srv, _ := startServer(t, Options{
			Listeners: []Listener{{Name: "fd", Resources: []Resource{{Name: ResourceHealth}}, Binds: []Bind{{FD: &fd, FDKind: "tcp"}}}},
		})
		if got := srv.Addrs()["fd"][0].String(); got != addr {
			t.Errorf("Addrs = %s, want %s", got, addr)
		}
		if res := get(t, "http://"+addr+"/health"); res.body != "ok" {
			t.Errorf("health over inherited fd: %d %q", res.status, res.body)
		}
	})

	t.Run("unix", func(t *testing.T) {
		sock := filepath.Join(t.TempDir(), "fd.sock")
		parent, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		parent.(*net.UnixListener).SetUnlinkOnClose(false)
		fd := dupListenerFD(t, parent)
		parent.Close()

		startServer(t, Options{
			Listeners: []Listener{{Name: "fd", Resources: []Resource{{Name: ResourceHealth}}, Binds: []Bind{{FD: &fd, FDKind: "unix"}}}},
		})
		if res := do(t, unixClient(sock), http.MethodGet, "http://unix/health", nil); res.body != "ok" {
			t.Errorf("health over inherited unix fd: %d %q", res.status, res.body)
		}
	})

	t.Run("kind mismatch", func(t *testing.T) {
		parent, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		fd := dupListenerFD(t, parent)
		parent.Close()
		srv, err := New(Options{Listeners: []Listener{{Name: "fd", Binds: []Bind{{FD: &fd, FDKind: "unix"}}}}})
		if err != nil {
			t.Fatal(err)
		}
		err = srv.Start(context.Background())
		if err == nil || !strings.Contains(err.Error(), "not unix") {
			t.Fatalf("Start error = %v", err)
		}
	})
}

func TestBindConflictStartsNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	// A port that is free now, so that we can check it is free again after.
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	freeAddr := probe.Addr().String()
	probe.Close()
	sock := filepath.Join(t.TempDir(), "first.sock")

	srv, err := New(Options{Listeners: []Listener{
		{Name: "first", Resources: []Resource{{Name: ResourceHealth}}, Binds: []Bind{{Address: freeAddr}, {Socket: sock}}},
		{Name: "second", Resources: []Resource{{Name: ResourceHealth}}, Binds: []Bind{{Address: busy.Addr().String()}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	err = srv.Start(context.Background())
	if err == nil {
		srv.Shutdown(context.Background())
		t.Fatal("Start succeeded on a busy address")
	}
	if msg := err.Error(); !strings.Contains(msg, `"second"`) || !strings.Contains(msg, busy.Addr().String()) {
		t.Errorf("error %q should name the listener and the bind", msg)
	}
	if c, err := net.DialTimeout("tcp", freeAddr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after a failed Start", freeAddr)
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left behind: %v", err)
	}
	if len(srv.Addrs()) != 0 {
		t.Errorf("Addrs after failed Start = %v", srv.Addrs())
	}
}

func TestHostPortBind(t *testing.T) {
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{Name: "hp", Resources: []Resource{{Name: ResourceHealth}}, Binds: []Bind{{Host: "127.0.0.1", Port: 0}}}},
	})
	if res := get(t, baseURL(t, srv, "hp")+"/health"); res.body != "ok" {
		t.Errorf("host/port bind: %d %q", res.status, res.body)
	}
}
