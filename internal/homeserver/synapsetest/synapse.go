package synapsetest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"mas/internal/store/postgres/pgtest"
)

// Version is the Synapse release scripts/test-services installs.
const Version = "1.163.2"

// EnvVar names the Python environment holding Synapse (the folder with
// bin/python), as `scripts/test-services --env` prints it.
const EnvVar = "MAS_TEST_SYNAPSE"

// KeepEnvVar, when set, keeps each instance's folder (configuration,
// homeserver.log, SQLite database) after the tests, and says where it is.
const KeepEnvVar = "MAS_TEST_SYNAPSE_KEEP"

// ServerName is every instance's server_name.
const ServerName = "synapse.test"

// Mode says who authenticates users.
type Mode int

const (
	// Delegated: Synapse asks this service about every access token.
	Delegated Mode = iota
	// Legacy: Synapse's own password login (the data syn2mas starts from).
	Legacy
)

func (m Mode) String() string {
	if m == Legacy {
		return "legacy"
	}
	return "delegated"
}

// Options choose an instance.
type Options struct {
	Mode Mode
	// Postgres puts Synapse's database on the server of
	// MAS_TEST_DATABASE_URL instead of SQLite.
	Postgres bool
	// Pepper is password_config.pepper in Legacy mode.
	Pepper string
	// GuestAccess is allow_guest_access in Legacy mode, for making guests
	// (POST /_matrix/client/v3/register?kind=guest).
	GuestAccess bool
	// AppService, when set, registers an application service with this
	// id (in both modes) that owns, exclusively, the users whose
	// localpart starts with AppService+"_": see RegisterAppServiceUser.
	AppService string
}

func (o Options) String() string {
	db := "sqlite"
	if o.Postgres {
		db = "postgres"
	}
	return fmt.Sprintf("Synapse %s (%s mode, %s)", Version, o.Mode, db)
}

// Timeouts: start-up includes creating the schema, which takes a few
// seconds on SQLite and more on PostgreSQL; a stop that hangs is killed.
const (
	startTimeout = 2 * time.Minute
	stopTimeout  = 15 * time.Second
	portAttempts = 5
)

// Synapse is a running instance.
type Synapse struct {
	// ServerName is the server_name; users are @localpart:ServerName.
	ServerName string
	// Secret is the secret shared with this service (Delegated mode).
	Secret string
	// RegistrationSecret is registration_shared_secret (for Legacy mode's
	// admin registration API).
	RegistrationSecret string
	// Pepper is password_config.pepper (Legacy mode).
	Pepper string

	opts        Options
	mode        atomic.Int32 // a Mode; Restart changes it while the fronts serve
	dir         string
	databaseURL string // PostgreSQL; "" for SQLite in dir
	removeDir   bool
	port        int
	cmd         *exec.Cmd
	exited      chan struct{}
	exitErr     error
	log         *logBuffer
	dropDB      func() error
	logFile     *os.File
	authFront   *front
	clientFront *front
	service     attachment

	// Kept across Restart, as a homeserver keeps them.
	macaroonKey, formSecret string
	asToken, hsToken        string
	// lease is held by the test using a shared instance.
	lease chan struct{}
}

// URL is Synapse itself, without a trailing slash: what this service
// reaches it at (matrix.endpoint).
func (s *Synapse) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", s.port) }

// ClientURL is the homeserver as Matrix clients reach it (public_baseurl),
// without a trailing slash: a reverse proxy that sends the legacy login,
// logout and refresh endpoints to the attached service and everything else
// to Synapse, as a deployment's proxy does.
func (s *Synapse) ClientURL() string { return s.clientFront.URL }

// AuthURL is where Synapse finds this service (its endpoint), without a
// trailing slash; the attached service must use it as its public base.
// Empty in Legacy mode.
func (s *Synapse) AuthURL() string {
	if s.authFront == nil {
		return ""
	}
	return s.authFront.URL
}

// MXID is the user ID of a localpart on this server.
func (s *Synapse) MXID(localpart string) string { return "@" + localpart + ":" + s.ServerName }

// Options are the options the instance was started with.
func (s *Synapse) Options() Options { return s.opts }

// Log is everything Synapse has logged so far.
func (s *Synapse) Log() string { return s.log.since(0) }

// pythonPath returns the interpreter of the Synapse environment, or a
// message telling how to get one.
func pythonPath() (string, error) {
	venv := os.Getenv(EnvVar)
	if venv == "" {
		return "", fmt.Errorf("%s is not set: run `eval \"$(scripts/test-services --env)\"` "+
			"to install Synapse %s and set it", EnvVar, Version)
	}
	python := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(python); err != nil {
		return "", fmt.Errorf("%s=%s holds no Python environment (%v): run scripts/test-services to install Synapse %s",
			EnvVar, venv, err, Version)
	}
	return python, nil
}

// Require skips the test, loudly, when Synapse is not available, and
// fails it instead under CI=true, where the Synapse tests must run. A
// variable that is set but wrong always fails.
func Require(tb testing.TB) {
	tb.Helper()
	if os.Getenv(EnvVar) == "" {
		_, err := pythonPath()
		if os.Getenv("CI") == "true" {
			tb.Fatalf("synapsetest: %v (Synapse tests must run in CI)", err)
		}
		tb.Skipf("SKIPPING test against real Synapse: %v", err)
	}
	if _, err := pythonPath(); err != nil {
		tb.Fatalf("synapsetest: %v", err)
	}
}

// New starts an instance for one test and stops it when the test ends; on
// failure its log is printed with the test's output.
func New(t testing.TB, opts Options) *Synapse {
	t.Helper()
	Require(t)
	if opts.Postgres {
		pgtest.Require(t)
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("synapsetest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s log:\n%s", opts, s.log.tail(0, logLinesOnFailure))
		}
		if err := s.Stop(); err != nil {
			t.Logf("synapsetest: %v", err)
		}
	})
	return s
}

// Start starts an instance whose lifetime the caller manages (Stop). The
// error of a failed start carries the end of Synapse's log.
func Start(opts Options) (*Synapse, error) {
	python, err := pythonPath()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "synapsetest-")
	if err != nil {
		return nil, err
	}
	s := &Synapse{
		ServerName:         ServerName,
		Secret:             "synapsetest-" + rand.Text(),
		RegistrationSecret: rand.Text(),
		Pepper:             opts.Pepper,
		opts:               opts,
		dir:                dir,
		macaroonKey:        rand.Text(),
		formSecret:         rand.Text(),
		asToken:            rand.Text(),
		hsToken:            rand.Text(),
		removeDir:          os.Getenv(KeepEnvVar) == "",
		log:                &logBuffer{},
		lease:              make(chan struct{}, 1),
	}
	s.mode.Store(int32(opts.Mode))
	fail := func(err error) (*Synapse, error) {
		s.Stop() //nolint:errcheck // already failing
		return nil, fmt.Errorf("%s: %w", opts, err)
	}
	logFile, err := os.Create(filepath.Join(dir, "homeserver.log"))
	if err != nil {
		return fail(err)
	}
	s.logFile, s.log.file = logFile, logFile
	if opts.Mode == Delegated {
		s.authFront = newFront(s.authHandler())
	}
	s.clientFront = newFront(s.clientHandler())

	if opts.Postgres {
		// Synapse refuses a database whose collation is not C.
		if s.databaseURL, s.dropDB, err = pgtest.Create("TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
			return fail(err)
		}
	}
	if err := s.run(python); err != nil {
		return fail(err)
	}
	return s, nil
}

// run writes the configuration and starts Synapse on a free port, then
// waits until it has run its background updates.
func (s *Synapse) run(python string) error {
	for attempt := 1; ; attempt++ {
		port, err := pickPort()
		if err != nil {
			return err
		}
		if err := s.writeFiles(port); err != nil {
			return err
		}
		mark := s.log.mark()
		err = s.launch(python, port)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
			err = s.waitBackgroundUpdates(ctx)
			cancel()
			if err != nil {
				return fmt.Errorf("%w; its log:\n%s", err, s.log.tail(mark, logLinesOnFailure))
			}
			return nil
		}
		// Another process may take the free port before Synapse binds it.
		if attempt < portAttempts && strings.Contains(s.log.since(mark), "Address already in use") {
			continue
		}
		return err
	}
}

// launch runs Synapse on port and waits until it answers /health.
func (s *Synapse) launch(python string, port int) error {
	s.port = port
	cmd := exec.Command(python, "-m", "synapse.app.homeserver", "--config-path", filepath.Join(s.dir, "homeserver.yaml"))
	cmd.Dir = s.dir
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", python, err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		s.exitErr = cmd.Wait()
		close(s.exited)
	}()

	started := time.Now()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("Synapse exited during start-up (%v); its log:\n%s", s.exitErr, s.log.tail(0, logLinesOnFailure))
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := client.Get(s.URL() + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Since(started) > startTimeout {
			s.kill()
			return fmt.Errorf("Synapse did not answer /health within %v; its log:\n%s", startTimeout, s.log.tail(0, logLinesOnFailure))
		}
	}
}

// Stop stops Synapse (SIGTERM, then SIGKILL), the fronts, and removes the
// instance's database and files. It may be called more than once.
func (s *Synapse) Stop() error {
	var errs []error
	errs = append(errs, s.Halt())
	for _, f := range []*front{s.authFront, s.clientFront} {
		if f != nil {
			f.Close()
		}
	}
	if s.dropDB != nil {
		// Synapse's connections are gone; WITH (FORCE) covers stragglers.
		if err := s.dropDB(); err != nil {
			errs = append(errs, err)
		}
		s.dropDB = nil
	}
	if s.logFile != nil {
		s.logFile.Close()
		s.logFile = nil
	}
	if s.removeDir {
		errs = append(errs, os.RemoveAll(s.dir))
		s.removeDir = false
	} else if s.dir != "" {
		fmt.Fprintf(os.Stderr, "synapsetest: %s kept in %s (%s is set)\n", s.opts, s.dir, KeepEnvVar)
		s.dir = ""
	}
	return errors.Join(errs...)
}

func (s *Synapse) kill() {
	_ = signalGroup(s.cmd, syscall.SIGKILL)
	<-s.exited
}

// pickPort is a port nobody listens on right now (a variable so that the
// tests can hand out a taken one).
var pickPort = freePort

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
