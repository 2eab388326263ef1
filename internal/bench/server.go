package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"mas/internal/routes"
)

// Bench client and secrets written into the server's configuration.
const (
	benchClientID     = "01J0BENCHC11ENT0000000000A"
	benchClientSecret = "bench-client-secret"
	benchRedirectURI  = "http://127.0.0.1/cb"
)

// Server is one `mas-cli server` process under measurement.
type Server struct {
	Bin     string
	Config  string
	Base    string // http://127.0.0.1:PORT
	Secret  string // matrix.secret
	LogPath string
	cmd     *exec.Cmd
	exited  chan error
	log     *os.File
}

// WriteConfig generates a configuration with `mas-cli config generate
// --standalone` (no homeserver needed: the homeserver secret still
// authenticates introspection) and adjusts it for the bench: one loopback
// listener with every resource the bench drives, the database, login rate
// limits out of the way, and the bench's OAuth client.
func WriteConfig(ctx context.Context, bin, dir, databaseURI string) (*Server, error) {
	out, err := exec.CommandContext(ctx, bin, "config", "generate", "--standalone").Output()
	if err != nil {
		return nil, fmt.Errorf("config generate: %w", err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(out, &cfg); err != nil {
		return nil, fmt.Errorf("reading the generated configuration: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	cfg["http"] = map[string]any{
		"listeners": []any{map[string]any{
			"name": "web",
			"resources": []any{
				map[string]any{"name": "health"}, map[string]any{"name": "discovery"},
				map[string]any{"name": "human"}, map[string]any{"name": "oauth"},
				map[string]any{"name": "compat"}, map[string]any{"name": "assets"},
				map[string]any{"name": "prometheus"},
			},
			"binds": []any{map[string]any{"host": "127.0.0.1", "port": port}},
		}},
		"public_base": base + "/",
		// The code flows say which address they come from (see Browser).
		"trusted_proxies": []any{"127.0.0.0/8", "::1/128"},
	}
	cfg["database"] = map[string]any{"uri": databaseURI}
	// The bench logs in from one address as fast as it can: the default
	// per-IP limit (3 at once) would measure the limiter instead.
	unlimited := map[string]any{"burst": 1000000, "per_second": 1000000}
	cfg["rate_limiting"] = map[string]any{"login": map[string]any{"per_ip": unlimited, "per_account": unlimited}}
	cfg["clients"] = []any{map[string]any{
		"client_id":          benchClientID,
		"client_auth_method": "client_secret_post",
		"client_secret":      benchClientSecret,
		"redirect_uris":      []any{benchRedirectURI},
	}}
	matrix, _ := cfg["matrix"].(map[string]any)
	secret, _ := matrix["secret"].(string)
	if secret == "" {
		return nil, fmt.Errorf("the generated configuration has no matrix.secret")
	}
	text, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, text, 0o600); err != nil {
		return nil, err
	}
	return &Server{Bin: bin, Config: path, Base: base, Secret: secret, LogPath: filepath.Join(dir, "server.log")}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Run runs a mas-cli command against the configuration and waits.
func (s *Server) Run(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, s.Bin, append(args, "-c", s.Config)...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("mas-cli %s: %w\n%s", strings.Join(args, " "), err, buf.String())
	}
	return nil
}

// Start starts `mas-cli server` and returns the time from the process's
// start to the first "ok" from /health.
func (s *Server) Start(ctx context.Context) (time.Duration, error) {
	log, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	s.log = log
	s.cmd = exec.Command(s.Bin, "server", "-c", s.Config)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	client := &http.Client{Timeout: time.Second}
	started := time.Now()
	if err := s.cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	s.exited = exited
	go func() { exited <- s.cmd.Wait() }()
	for {
		if res, err := client.Get(s.Base + routes.Health); err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK && string(body) == "ok" {
				return time.Since(started), nil
			}
		}
		select {
		case err := <-exited:
			s.cmd = nil
			return 0, fmt.Errorf("the server exited (%v); its log is %s", err, s.LogPath)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Millisecond):
		}
		if time.Since(started) > time.Minute {
			return 0, fmt.Errorf("the server did not answer /health within a minute; its log is %s", s.LogPath)
		}
	}
}

// Stop ends the server (SIGTERM, then SIGKILL after 10 s).
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		s.cmd = nil
	}
	if s.log != nil {
		s.log.Close()
		s.log = nil
	}
}

// status reads the server's /proc/PID/status.
func (s *Server) status() ([]byte, error) {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil, fmt.Errorf("server not running")
	}
	return os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
}

// Memory reads the server's resident set now (VmRSS) and its peak so far
// (VmHWM), in MiB.
func (s *Server) Memory() (rss, hwm float64, err error) {
	data, err := s.status()
	if err != nil {
		return 0, 0, err
	}
	return parseStatusKiB(data, "VmRSS:") / 1024, parseStatusKiB(data, "VmHWM:") / 1024, nil
}

// RssFile is the file-backed part of the resident set (the executable's
// mapped pages), in MiB.
func (s *Server) RssFile() (float64, error) {
	data, err := s.status()
	if err != nil {
		return 0, err
	}
	return parseStatusKiB(data, "RssFile:") / 1024, nil
}

// MemoryDetail says how the resident set splits (heap and stacks versus
// the mapped binary), for the log.
func (s *Server) MemoryDetail() string {
	data, err := s.status()
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("anonymous %.1f MiB, file %.1f MiB, %v threads", parseStatusKiB(data, "RssAnon:")/1024,
		parseStatusKiB(data, "RssFile:")/1024, parseStatusKiB(data, "Threads:"))
}

// parseStatusKiB reads a "Key:   123 kB" line of /proc/PID/status.
func parseStatusKiB(status []byte, key string) float64 {
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				n, _ := strconv.ParseFloat(fields[0], 64)
				return n
			}
		}
	}
	return 0
}

// CacheCounts reads the introspection cache's hit and miss counters from
// the server's prometheus resource.
func (s *Server) CacheCounts(ctx context.Context) (hits, misses float64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Base+routes.Metrics, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, err
	}
	found := 0
	for _, line := range strings.Split(string(body), "\n") {
		for name, into := range map[string]*float64{
			"mas_introspection_cache_hits_total ":   &hits,
			"mas_introspection_cache_misses_total ": &misses,
		} {
			if v, ok := strings.CutPrefix(line, name); ok {
				if *into, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
					return 0, 0, fmt.Errorf("metrics: %q: %w", line, err)
				}
				found++
			}
		}
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("metrics: no introspection cache counters")
	}
	return hits, misses, nil
}
