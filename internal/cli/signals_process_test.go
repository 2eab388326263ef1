//go:build unix

package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// serverProcess is `mas-cli server` running as a real process, as systemd
// or a container runtime runs it, so that signals reach it for real.
type serverProcess struct {
	cmd    *exec.Cmd
	port   int
	out    *lockedBuffer
	exited chan error
}

func startServerProcess(t *testing.T, cfgPath string, port int) *serverProcess {
	t.Helper()
	bin := buildContainerBinary(t)
	p := &serverProcess{port: port, out: &lockedBuffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, "server", "-c", cfgPath)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Env = append(os.Environ(), "MAS_LOG_LEVEL=info")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("server output:\n%s", p.out)
		}
	})
	waitHealthy(t, port, p.exited, p.out)
	return p
}

func (p *serverProcess) url(path string) string {
	return "http://127.0.0.1:" + strconv.Itoa(p.port) + path
}

func (p *serverProcess) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// waitLog waits until the server has logged want.
func (p *serverProcess) waitLog(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the server never logged %q", want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// notFoundTemplate overrides the 404 page with a marker word.
func notFoundTemplate(word string) string {
	return `{{template "base" .}}{{define "title"}}Not found{{end}}{{define "content"}}<p>` + word + `</p>{{end}}`
}

// SIGHUP reloads the templates, as upstream does, and the server keeps
// answering; a reload that fails keeps the templates in use.
func TestSIGHUPReloadsTemplates(t *testing.T) {
	dir := searchableTempDir(t)
	tplDir := filepath.Join(dir, "templates")
	if err := os.MkdirAll(filepath.Join(tplDir, "pages"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, tplDir, ".mas-go-templates", "")
	page := filepath.Join(tplDir, "pages", "404.html")
	writeFile(t, filepath.Join(tplDir, "pages"), "404.html", notFoundTemplate("FIRST-VERSION"))
	port := freePort(t)
	cfg := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir))+
		listenersConfig(map[string]int{"web": port}, "web")+
		"templates:\n  path: "+strconv.Quote(tplDir)+"\n")

	p := startServerProcess(t, cfg, port)
	if status, body := get(t, p.url("/nowhere")); status != http.StatusNotFound || !strings.Contains(body, "FIRST-VERSION") {
		t.Fatalf("404 page before the reload = %d %s", status, body)
	}

	if err := os.WriteFile(page, []byte(notFoundTemplate("SECOND-VERSION")), 0o644); err != nil {
		t.Fatal(err)
	}
	p.signal(t, syscall.SIGHUP)
	p.waitLog(t, "SIGHUP received: reloaded")
	if status, body := get(t, p.url("/nowhere")); status != http.StatusNotFound || !strings.Contains(body, "SECOND-VERSION") {
		t.Fatalf("404 page after the reload = %d %s", status, body)
	}

	// A broken template is refused; the previous ones stay in use.
	if err := os.WriteFile(page, []byte(`{{template "base" .}}{{define "content"}}{{.Nope`), 0o644); err != nil {
		t.Fatal(err)
	}
	p.signal(t, syscall.SIGHUP)
	p.waitLog(t, "reload failed, the previous configuration stays in use")
	if status, body := get(t, p.url("/nowhere")); status != http.StatusNotFound || !strings.Contains(body, "SECOND-VERSION") {
		t.Fatalf("404 page after a failed reload = %d %s", status, body)
	}
	if status, _ := get(t, p.url("/health")); status != http.StatusOK {
		t.Fatalf("health after the reloads = %d", status)
	}

	p.signal(t, syscall.SIGTERM)
	if err := <-p.exited; err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

// SIGTERM during a burst of requests loses none: requests that reached the
// server are answered, including one whose body is still arriving when the
// signal comes, and the process exits 0. Requests sent after the listener
// closed are refused at connect time, which clients retry elsewhere.
func TestSIGTERMDrainsRequests(t *testing.T) {
	dir := searchableTempDir(t)
	port := freePort(t)
	cfg := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir))+
		listenersConfig(map[string]int{"web": port}, "web"))
	p := startServerProcess(t, cfg, port)

	// A request in flight: headers and half a body now, the rest after
	// the signal.
	conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "username=alice&password=secret-password"
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		len(body), body[:10])

	var (
		stop      atomic.Bool
		answered  atomic.Int64
		refused   atomic.Int64
		lostMu    sync.Mutex
		lost      []error
		wg        sync.WaitGroup
		transport = &http.Transport{MaxIdleConnsPerHost: 8}
	)
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				resp, err := client.Get(p.url("/health"))
				switch {
				case err == nil:
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					answered.Add(1)
				case isRefused(err):
					refused.Add(1)
					time.Sleep(5 * time.Millisecond)
				default:
					lostMu.Lock()
					lost = append(lost, err)
					lostMu.Unlock()
				}
			}
		}()
	}
	for answered.Load() < 200 {
		time.Sleep(5 * time.Millisecond)
	}
	p.signal(t, syscall.SIGTERM)
	p.waitLog(t, "shutting down")

	// The server waits for the request in flight.
	time.Sleep(200 * time.Millisecond)
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatalf("the in-flight request was cut off: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the request in flight at SIGTERM: %v", err)
	}
	resp.Body.Close()

	exitErr := <-p.exited
	stop.Store(true)
	wg.Wait()
	transport.CloseIdleConnections()
	if exitErr != nil {
		t.Fatalf("exit after SIGTERM: %v", exitErr)
	}
	if len(lost) > 0 {
		t.Fatalf("%d requests lost during shutdown (answered %d, refused %d), first: %v", len(lost), answered.Load(), refused.Load(), lost[0])
	}
	t.Logf("answered %d requests, %d refused after the listener closed; the in-flight request got %d", answered.Load(), refused.Load(), resp.StatusCode)
}

// isRefused reports a request that never reached the server: the connection
// was refused (the listener is closed) or reset before any of the request
// was accepted.
func isRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}
