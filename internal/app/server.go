package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mas/internal/httpserver"
	"mas/internal/jobs"
	"mas/internal/store/postgres"
	"mas/internal/store/sqlite"
	"mas/internal/store/sqlstore"
	"mas/internal/templates"
	"mas/internal/tokencache"
)

// ServerOptions are the `server` command's flags.
type ServerOptions struct {
	NoMigrate bool
	NoWorker  bool
	NoSync    bool
}

// shutdownGrace is how long in-flight requests and jobs get after SIGTERM.
const shutdownGrace = 60 * time.Second

// Server is a started HTTP server (and worker); tests use it to find the
// bound addresses.
type Server struct {
	HTTP   *httpserver.Server
	Worker *jobs.Runner
	// stopPolicyRefresh ends the periodic re-read of the dynamic policy data.
	stopPolicyRefresh func()
	// stopActivity writes the pending session activity and stops following
	// the invalidation feed (introspection.go).
	stopActivity func(context.Context) error
}

// RunServer prepares the database, starts the listeners and the worker, and
// serves until ctx is cancelled, then shuts down gracefully.
func (a *App) RunServer(ctx context.Context, opts ServerOptions) error {
	srv, err := a.StartServer(ctx, opts)
	if err != nil {
		return err
	}
	a.Logger.Info("server started", "listeners", describeAddrs(srv.HTTP))
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-waitErr(srv.HTTP):
		if serveErr != nil {
			a.Logger.Error("HTTP server failed", "error", serveErr)
		}
	}
	a.Logger.Info("shutting down")
	// A listener that died on its own is a failure even if the rest shut
	// down cleanly: the process must not exit 0 for a supervisor.
	return errors.Join(serveErr, srv.Stop(context.Background()))
}

// StartServer does everything RunServer does up to serving, and returns.
// Nothing is left running when it fails.
func (a *App) StartServer(ctx context.Context, opts ServerOptions) (*Server, error) {
	if err := a.prepareSchema(ctx, opts.NoMigrate); err != nil {
		return nil, err
	}
	if !opts.NoSync {
		if _, err := a.SyncConfig(ctx, false, false); err != nil {
			return nil, err
		}
	}
	h, err := a.buildHandlers(ctx)
	if err != nil {
		return nil, err
	}
	registry := a.metricsRegistry()
	if err := tokencache.RegisterMetrics(registry, h.oauth.Introspection); err != nil {
		return nil, err
	}
	hs, err := a.httpServer(h, registry)
	if err != nil {
		return nil, err
	}
	srv := &Server{HTTP: hs}
	if !opts.NoWorker {
		if srv.Worker, err = a.worker(); err != nil {
			return nil, err
		}
		if err := srv.Worker.CountOutcomes(registry); err != nil {
			return nil, err
		}
	}
	// Bind the listeners before starting the worker: a bind conflict is the
	// likeliest start-up failure, and failing it must not have run any job.
	if err := hs.Start(ctx); err != nil {
		return nil, err
	}
	if srv.Worker != nil {
		if err := srv.Worker.Start(ctx); err != nil {
			hs.Shutdown(context.Background()) //nolint:errcheck // already failing
			return nil, err
		}
		a.checkMailer(ctx)
	}
	srv.stopPolicyRefresh = a.startPolicyRefresh(h.policy, policyRefreshInterval)
	srv.stopActivity = a.startIntrospection(h)
	// Last: it hands back what starting used, the above included.
	go settle(hs)
	return srv, nil
}

// Stop shuts the listeners down, then the worker, within the grace period.
func (s *Server) Stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, shutdownGrace)
	defer cancel()
	err := s.HTTP.Shutdown(ctx)
	if s.stopPolicyRefresh != nil {
		s.stopPolicyRefresh()
	}
	if s.stopActivity != nil {
		err = errors.Join(err, s.stopActivity(ctx))
	}
	if s.Worker != nil {
		err = errors.Join(err, s.Worker.Stop(ctx))
	}
	return err
}

func waitErr(s *httpserver.Server) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- s.Wait() }()
	return ch
}

// PrepareSchema refuses to go on when the schema is behind this binary
// (for commands that must not migrate on their own).
func (a *App) PrepareSchema(ctx context.Context) error { return a.prepareSchema(ctx, true) }

// prepareSchema migrates, or with --no-migrate refuses to run on a schema
// that is behind this binary.
func (a *App) prepareSchema(ctx context.Context, noMigrate bool) error {
	if !noMigrate {
		applied, err := a.Migrate(ctx)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			a.Logger.Info("applied database migrations", "count", len(applied))
		}
		return nil
	}
	if err := checkSchemaOwner(ctx, a.db); err != nil {
		return err
	}
	var migrations []sqlstore.Migration
	var err error
	if a.db.Backend() == "sqlite" {
		migrations, err = sqlite.Migrations()
	} else {
		migrations, err = postgres.Migrations()
	}
	if err != nil {
		return err
	}
	pending, err := sqlstore.Pending(ctx, a.db.DB(), migrations)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("the database schema is out of date (%d pending schema migration(s), first %s): run `mas-cli database migrate` or start without --no-migrate", len(pending), pending[0])
	}
	return nil
}

// httpServer builds the listeners with every resource mounted.
func (a *App) httpServer(h *handlers, registry *prometheus.Registry) (*httpserver.Server, error) {
	ls, err := listeners(a.Config)
	if err != nil {
		return nil, err
	}
	proxies, err := a.Config.HTTP.TrustedProxyPrefixes()
	if err != nil {
		return nil, err
	}
	warnBroadTrustedProxies(a.Logger, proxies)
	brand := branding(a.Config)
	requestLog, err := httpserver.ParseRequestLog(os.Getenv("MAS_LOG_REQUESTS"))
	if err != nil {
		return nil, fmt.Errorf("MAS_LOG_REQUESTS: %w", err)
	}
	return httpserver.New(httpserver.Options{
		Listeners:      ls,
		TrustedProxies: proxies,
		Logger:         a.Logger,
		RequestLog:     requestLog,
		Mounts:         h.mounts(),
		Health:         a.Store.Ping,
		Templates:      a.Templates,
		PageCommon:     func(*http.Request) templates.Common { return templates.NewCommon(a.URLs, brand) },
		Registerer:     registry,
		Gatherer:       registry,
		Rand:           a.Rand,
		Tracing:        a.tracing.server(),
	})
}

func describeAddrs(s *httpserver.Server) string {
	var parts []string
	for name, addrs := range s.Addrs() {
		for _, addr := range addrs {
			parts = append(parts, name+"="+addr.String())
		}
	}
	return strings.Join(parts, " ")
}
