package httpserver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"time"

	"github.com/pires/go-proxyproto"
)

// proxyHeaderTimeout bounds how long a connection may take to send its PROXY
// header, so idle connections cannot pin goroutines on a PROXY listener.
const proxyHeaderTimeout = 10 * time.Second

// listen opens the socket described by b.
func listen(ctx context.Context, b Bind) (net.Listener, error) {
	var lc net.ListenConfig
	switch {
	case b.Socket != "":
		return listenUnix(ctx, &lc, b.Socket, b.Mode)
	case b.FD != nil:
		return listenFD(*b.FD, b.FDKind)
	case b.Address != "":
		return lc.Listen(ctx, "tcp", b.Address)
	default:
		return lc.Listen(ctx, "tcp", b.hostPort())
	}
}

func listenUnix(ctx context.Context, lc *net.ListenConfig, path string, mode os.FileMode) (net.Listener, error) {
	if err := removeStaleSocket(ctx, path); err != nil {
		return nil, err
	}
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	if mode != 0 {
		if err := os.Chmod(path, mode); err != nil {
			ln.Close()
			return nil, fmt.Errorf("setting socket mode: %w", err)
		}
	}
	return ln, nil
}

// removeStaleSocket deletes a socket file left behind by a previous run, but
// refuses to touch anything that is not a socket or that still has a
// process listening on it.
func removeStaleSocket(ctx context.Context, path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if info.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if c, err := d.DialContext(dctx, "unix", path); err == nil {
		c.Close()
		return fmt.Errorf("%s is in use by another process", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing stale socket: %w", err)
	}
	return nil
}

// listenFD takes ownership of an inherited listening descriptor.
func listenFD(fd int, kind string) (net.Listener, error) {
	f := os.NewFile(uintptr(fd), fmt.Sprintf("inherited-fd-%d", fd))
	if f == nil {
		return nil, fmt.Errorf("fd %d is not a valid descriptor", fd)
	}
	// FileListener duplicates the descriptor, so the original is closed
	// either way: the listener is the only owner from now on.
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	want := kind
	if want == "" {
		want = "tcp"
	}
	switch ln.(type) {
	case *net.TCPListener:
		if want == "tcp" {
			return ln, nil
		}
	case *net.UnixListener:
		if want == "unix" {
			return ln, nil
		}
	}
	got := ln.Addr().Network()
	ln.Close()
	return nil, fmt.Errorf("fd %d is a %s socket, not %s", fd, got, want)
}

// withProxyProtocol requires a PROXY header on every connection, so that
// RemoteAddr reports the original client. Upstream peers are not filtered:
// a listener with proxy_protocol must only be reachable by the proxy.
func withProxyProtocol(ln net.Listener) net.Listener {
	return &proxyproto.Listener{
		Listener: ln,
		ConnPolicy: func(proxyproto.ConnPolicyOptions) (proxyproto.Policy, error) {
			return proxyproto.REQUIRE, nil
		},
		ReadHeaderTimeout: proxyHeaderTimeout,
	}
}
