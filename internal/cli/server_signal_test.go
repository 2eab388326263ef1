//go:build unix

package cli

import (
	"os"
	"syscall"
	"testing"
)

// SIGTERM and SIGINT stop the server gracefully, with exit code 0. The
// signal goes to the test process itself: Main has registered for it by the
// time the server answers, so it does not kill the test.
func TestServerStopsOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			port := freePort(t)
			cfg := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir))+
				listenersConfig(map[string]int{"web": port}, "web"))

			_, done := startServer(t, port, "server", "-c", cfg)
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
			r := waitExit(t, done)
			mustSucceed(t, r, "server stopped by "+sig.String())
			assertPortFree(t, port)
		})
	}
}
