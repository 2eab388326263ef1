// Package testenv starts the whole service for end-to-end tests: the real
// app wiring on a fresh database (SQLite by default, PostgreSQL on
// request), listening on 127.0.0.1, with cheap password hashing, and as its
// homeserver either a fake Synapse (the default) or a real one from
// synapsetest. Tests talk to it over real HTTP.
package testenv

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/app"
	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/homeserver/homeservertest"
	"mas/internal/homeserver/synapsetest"
	"mas/internal/logtest"
	"mas/internal/store"
	"mas/internal/store/postgres/pgtest"
)

// Options adjust the environment.
type Options struct {
	// Postgres runs on a throw-away PostgreSQL database (skipped without
	// MAS_TEST_DATABASE_URL, failing under CI=true) instead of SQLite.
	Postgres bool
	// Configure edits the configuration before the service starts.
	Configure func(*config.Config)
	// NoWorker leaves the job queue unworked (tests then see queued jobs).
	NoWorker bool
	// Prefix serves everything under a path ("/auth"), with the public
	// base saying so, as when the service shares a host with Synapse.
	Prefix string
	// Synapse, when set, is the homeserver instead of the fake: a real
	// Synapse in delegated mode (synapsetest.Shared or New), to which the
	// service is attached for the test. The public base is then the
	// instance's AuthURL. Not combinable with Prefix.
	Synapse *synapsetest.Synapse
	// LogLevel is the lowest level Env.Logs keeps; nil means warnings
	// (tests of what is logged at INFO lower it).
	LogLevel slog.Leveler
}

// Env is a running service.
type Env struct {
	T      testing.TB
	App    *app.App
	Server *app.Server
	Config *config.Config
	// Homeserver is the fake homeserver; nil when Synapse is set.
	Homeserver *homeservertest.Server
	// Synapse is the real homeserver, when Options.Synapse chose one.
	Synapse *synapsetest.Synapse
	// BaseURL is the public base, ending in "/".
	BaseURL string
	// Logs holds what the service logged (warnings and errors, unless
	// Options.LogLevel says otherwise), as an operator's journal would:
	// tests read codes and warnings from it.
	Logs *logtest.Buffer
}

// ServerName is the homeserver's server_name in every environment.
const ServerName = "example.org"

// Secret is the shared homeserver secret.
const Secret = "testenv-shared-secret-0123456789"

// New starts the service and stops it when the test ends.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d%s/", port, opts.Prefix)
	var hs *homeservertest.Server
	serverName, secret, endpoint := ServerName, Secret, ""
	if syn := opts.Synapse; syn != nil {
		if opts.Prefix != "" {
			t.Fatal("testenv: Prefix and Synapse cannot be combined")
		}
		base = syn.AuthURL() + "/"
		serverName, secret, endpoint = syn.ServerName, syn.Secret, syn.URL()+"/"
	} else {
		hs = homeservertest.New(t, homeservertest.Options{ServerName: ServerName, Secret: Secret})
		endpoint = hs.URL() + "/"
	}

	cfg, err := baseConfig()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	cfg.HTTP.PublicBase = base
	cfg.HTTP.Listeners = []config.ListenerConfig{{
		Name: "web",
		Resources: []config.Resource{
			{Name: config.ResourceDiscovery}, {Name: config.ResourceHuman}, {Name: config.ResourceOAuth},
			{Name: config.ResourceCompat}, {Name: config.ResourceHealth},
		},
		Binds:  []config.BindConfig{{Address: fmt.Sprintf("127.0.0.1:%d", port)}},
		Prefix: opts.Prefix,
	}}
	cfg.Matrix.Homeserver = serverName
	cfg.Matrix.Endpoint = endpoint
	cfg.Matrix.Secret = secret
	cfg.Matrix.SecretFile = ""
	cost := uint32(4)
	cfg.Passwords.Schemes = []config.HashingScheme{{Version: 1, Algorithm: config.AlgorithmBcrypt, Cost: &cost}}
	cfg.Passwords.MinimumComplexity = 0
	// Every test client logs in from 127.0.0.1; the limiters have their
	// own tests.
	cfg.RateLimiting.Login.PerIP = config.RateLimit{Burst: 10000, PerSecond: 1000}
	if opts.Postgres {
		cfg.Database.URI = pgtest.NewDatabase(t)
	} else {
		cfg.Database.URI = "sqlite:" + filepath.Join(t.TempDir(), "mas.db")
	}
	if opts.Configure != nil {
		opts.Configure(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("testenv: invalid configuration: %v", err)
	}

	logs := &logtest.Buffer{Out: testWriter{t}}
	level := opts.LogLevel
	if level == nil {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	ctx := context.Background()
	a, err := app.OpenWith(ctx, cfg, logger, app.Options{JobPollInterval: 50 * time.Millisecond, JobRetryDelay: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("testenv: opening the service: %v", err)
	}
	srv, err := a.StartServer(ctx, app.ServerOptions{NoWorker: opts.NoWorker})
	if err != nil {
		a.Close()
		t.Fatalf("testenv: starting the service: %v", err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Stop(stopCtx); err != nil {
			t.Logf("testenv: stopping: %v", err)
		}
		a.Close()
	})
	env := &Env{T: t, App: a, Server: srv, Config: cfg, Homeserver: hs, Synapse: opts.Synapse, BaseURL: base, Logs: logs}
	if hs != nil {
		hs.SetIntrospectionURL(base + "oauth2/introspect")
	} else if err := opts.Synapse.Attach(fmt.Sprintf("http://127.0.0.1:%d/", port)); err != nil {
		t.Fatal(err)
	}
	return env
}

// URL returns the absolute URL of a route path ("/login").
func (e *Env) URL(path string) string { return strings.TrimSuffix(e.BaseURL, "/") + path }

// CreateUser registers a user with a password, as the CLI does, and waits
// until the provisioning job has created it on the homeserver.
func (e *Env) CreateUser(username, password string) *domain.User {
	e.T.Helper()
	u := e.RegisterUser(username, password)
	e.WaitProvisioned(username)
	return u
}

// WaitProvisioned waits until the homeserver knows the user.
func (e *Env) WaitProvisioned(username string) {
	e.T.Helper()
	e.Eventually(username+" to be provisioned on the homeserver", func() bool {
		if e.Homeserver != nil {
			_, ok := e.Homeserver.User(username)
			return ok
		}
		u, err := e.Synapse.QueryUser(context.Background(), username)
		if err != nil {
			e.T.Fatalf("testenv: %v", err)
		}
		return u != nil
	})
}

// RegisterUser registers a user without waiting for the homeserver.
func (e *Env) RegisterUser(username, password string) *domain.User {
	e.T.Helper()
	u, err := e.App.RegisterUser(context.Background(), app.RegisterUserRequest{
		Username: username, Password: password, IgnorePasswordComplexity: true,
	})
	if err != nil {
		e.T.Fatalf("testenv: creating %s: %v", username, err)
	}
	return u
}

// RegisterUserLocally writes a user, its password and its provisioning job
// without asking the homeserver anything (as a registration page does once
// it has checked the name), so it works while the homeserver is down.
func (e *Env) RegisterUserLocally(username, password string) *domain.User {
	e.T.Helper()
	ctx := context.Background()
	version, hash, err := e.App.Passwords.Hash(ctx, password)
	if err != nil {
		e.T.Fatal(err)
	}
	var u *domain.User
	err = store.WithTx(ctx, e.App.Store, func(tx store.Tx) error {
		var err error
		if u, err = tx.Users().Add(ctx, username); err != nil {
			return err
		}
		if _, err := tx.Passwords().Add(ctx, u.ID, hash, version, nil); err != nil {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: u.ID})
	})
	if err != nil {
		e.T.Fatalf("testenv: creating %s: %v", username, err)
	}
	return u
}

// Eventually polls cond until it holds or the deadline passes.
func (e *Env) Eventually(what string, cond func() bool) {
	e.T.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.T.Fatalf("testenv: timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keyMaterial is generated once per test binary: RSA key generation is
// slow and every environment can share the same keys.
var (
	keyOnce sync.Once
	keyCfg  *config.Config
	keyErr  error
)

// baseConfig is a fresh generated configuration (with shared keys).
func baseConfig() (*config.Config, error) {
	keyOnce.Do(func() { keyCfg, keyErr = config.Generate(rand.Reader) })
	if keyErr != nil {
		return nil, keyErr
	}
	b, err := keyCfg.Marshal()
	if err != nil {
		return nil, err
	}
	return config.LoadBytes("testenv.yaml", b)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testWriter sends service logs to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
