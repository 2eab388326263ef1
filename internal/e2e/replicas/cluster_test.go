package replicas

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"mas/internal/proctest"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver, for reading the job queue

	"mas/internal/homeserver/homeservertest"
)

const (
	// clientID and clientSecret are a confidential client from the shared
	// configuration, for client_credentials and revocation.
	clientID     = "01JREP11CA5000000000000000"
	clientSecret = "replicas-client-secret"

	// workerHeader tells the fake's call log which process sent a request.
	workerHeader = "X-Test-Process"
)

// cluster is several mas-cli processes sharing one configuration and one
// PostgreSQL database, with a round-robin load balancer in front of the
// servers as the public base.
type cluster struct {
	t      *testing.T // the top-level test: processes live until it ends
	bin    string
	dir    string
	dsn    string
	hs     *homeservertest.Server
	db     *sql.DB
	shared []string // configuration files every process reads, in order

	replicas []*process
	lb       *httptest.Server
	next     atomic.Uint64
}

// newCluster builds mas-cli, writes the shared configuration (one set of
// secrets and keys for every process) and migrates the database once.
func newCluster(t *testing.T, dsn string) *cluster {
	t.Helper()
	dir := t.TempDir()
	c := &cluster{t: t, dir: dir, dsn: dsn}
	c.bin = proctest.BuildMasCLI(t, dir)
	c.hs = homeservertest.New(t, homeservertest.Options{})
	c.lb = httptest.NewServer(&httputil.ReverseProxy{Rewrite: c.route})
	t.Cleanup(c.lb.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	gen, err := exec.CommandContext(ctx, c.bin, "config", "generate").Output()
	if err != nil {
		t.Fatalf("mas-cli config generate: %v", err)
	}
	// Lists from later files are appended, so the generated listeners go:
	// each server brings its own.
	base := writeFile(t, dir, "generated.yaml", withoutSection(string(gen), "http"))
	shared := writeFile(t, dir, "shared.yaml", fmt.Sprintf(`database:
  uri: %s
matrix:
  homeserver: %s
  secret: %s
  endpoint: %s
passwords:
  minimum_complexity: 0
clients:
  - client_id: %s
    client_auth_method: client_secret_post
    client_secret: %s
`, strconv.Quote(dsn), strconv.Quote(c.hs.ServerName()), strconv.Quote(c.hs.Secret()),
		strconv.Quote(c.hs.URL()+"/"), clientID, clientSecret))
	// Every server gets the same public base, as behind a load balancer.
	public := writeFile(t, dir, "public.yaml", fmt.Sprintf("http:\n  public_base: %s\n", strconv.Quote(c.lb.URL+"/")))
	c.shared = []string{base, shared, public}

	if out, err := exec.CommandContext(ctx, c.bin, c.args("database", "migrate")...).CombinedOutput(); err != nil {
		t.Fatalf("mas-cli database migrate: %v\n%s", err, out)
	}
	c.db, err = sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.db.Close() })
	return c
}

// args is a mas-cli command line with the shared configuration and extra
// files.
func (c *cluster) args(cmd ...string) []string {
	var out []string
	for _, f := range c.shared {
		out = append(out, "-c", f)
	}
	return append(out, cmd...)
}

// route sends each request to the next live replica in turn: no sticky
// sessions.
func (c *cluster) route(r *httputil.ProxyRequest) {
	live := make([]*process, 0, len(c.replicas))
	for _, p := range c.replicas {
		if !p.exited() {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		live = c.replicas // every one is down: let the proxy report it
	}
	target := live[c.next.Add(1)%uint64(len(live))]
	u, _ := url.Parse(target.url)
	r.SetURL(u)
	r.Out.Host = r.In.Host
	r.SetXForwarded()
}

// startServer starts `mas-cli server --no-worker` on a port of its own.
func (c *cluster) startServer(t *testing.T, name string) *process {
	t.Helper()
	port := freePort(t)
	cfg := writeFile(t, c.dir, "server-"+name+".yaml", fmt.Sprintf(`http:
  listeners:
    - name: web
      resources:
        - name: discovery
        - name: human
        - name: oauth
        - name: compat
        - name: assets
        - name: health
        - name: prometheus
      binds:
        - address: "127.0.0.1:%d"
`, port))
	// --no-migrate: the database was migrated once, before any server.
	p := c.start(t, name, c.args("-c", cfg, "server", "--no-worker", "--no-migrate"), nil)
	p.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	c.replicas = append(c.replicas, p)
	return p
}

// startWorker starts `mas-cli worker`, with the homeserver behind a
// listener that tags its calls with the worker's name.
func (c *cluster) startWorker(t *testing.T, name string) *process {
	t.Helper()
	tagged := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set(workerHeader, name)
		c.hs.ServeHTTP(w, r)
	}))
	c.t.Cleanup(func() {
		c.hs.Close() // releases held requests so that Close below returns
		tagged.Close()
	})
	cfg := writeFile(t, c.dir, "worker-"+name+".yaml", fmt.Sprintf("matrix:\n  endpoint: %s\n", strconv.Quote(tagged.URL+"/")))
	p := c.start(t, name, c.args("-c", cfg, "worker"), []string{"MAS_JOBS_POLL_INTERVAL=200ms"})
	proctest.WaitUntil(t, 30*time.Second, "worker "+name+" to start", func() (bool, string) {
		p.failIfExited(t)
		return strings.Contains(p.out.String(), `msg="worker started"`), p.out.Tail(5)
	})
	return p
}

// process is one running mas-cli.
type process struct {
	name string
	url  string // a server's own address, without the slash
	cmd  *exec.Cmd
	out  *proctest.Buffer
	done chan struct{}
}

func (c *cluster) start(t *testing.T, name string, args []string, env []string) *process {
	t.Helper()
	p := &process{name: name, out: &proctest.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(c.bin, args...)
	p.cmd.Env = append(append(proctest.CleanEnv(), "MAS_LOG_LEVEL=info"), env...)
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	c.t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if c.t.Failed() {
			c.t.Logf("%s output (last lines):\n%s", name, p.out.Tail(30))
		}
	})
	return p
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) failIfExited(t *testing.T) {
	t.Helper()
	if p.exited() {
		t.Fatalf("%s exited: %v\n%s", p.name, p.cmd.ProcessState, p.out.Tail(40))
	}
}

// waitHealthy waits for the server's /health to answer 200.
func (p *process) waitHealthy(t *testing.T) {
	t.Helper()
	proctest.WaitUntil(t, 30*time.Second, p.name+" to answer /health", func() (bool, string) {
		p.failIfExited(t)
		resp, err := http.Get(p.url + "/health")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
}

// kill SIGKILLs the process: no shutdown code runs, as in a crash.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("killing %s: %v", p.name, err)
	}
	<-p.done
}

// withoutSection drops a top-level key and its indented block from YAML.
func withoutSection(doc, key string) string {
	var out []string
	skipping := false
	for _, line := range strings.Split(doc, "\n") {
		top := line != "" && line[0] != ' ' && line[0] != '#'
		if top {
			skipping = strings.HasPrefix(line, key+":")
		}
		if !skipping {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
