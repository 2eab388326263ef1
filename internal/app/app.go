// Package app builds the running service from a configuration: the store,
// the keys, the homeserver connection, the HTTP listeners and the job
// worker. The CLI and the end-to-end tests both start the service through
// it, so what is tested is what runs.
package app

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/riverqueue/river/riverdriver"

	"mas/internal/clock"
	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/email"
	"mas/internal/encrypt"
	"mas/internal/homeserver"
	"mas/internal/i18n"
	"mas/internal/keys"
	"mas/internal/passwords"
	"mas/internal/routes"
	"mas/internal/store"
	"mas/internal/templates"
)

// App is an opened service: every component built, nothing listening yet.
type App struct {
	Config     *config.Config
	Logger     *slog.Logger
	Clock      clock.Clock
	Rand       io.Reader
	Store      store.Store
	Keys       *keys.KeySet
	Encrypter  *encrypt.Encrypter
	Homeserver homeserver.Connection
	Templates  *templates.Templates
	// I18n holds the pages' and emails' message catalogs.
	I18n *i18n.Catalog
	// Passwords is nil when password authentication is disabled.
	Passwords *passwords.Manager
	URLs      *routes.URLBuilder
	// Mailer sends the mail jobs' messages (email.go).
	Mailer *email.Mailer
	// Version is the running version (the CLI's), answered by the Admin
	// API; set it before starting the server.
	Version string

	db     db
	driver riverdriver.Driver[*sql.Tx]
	opts   Options
	// tracing exports spans (tracing.go); nil when telemetry.tracing is off.
	tracing *tracing
}

// db is what the app needs from a concrete backend beyond store.Store.
type db interface {
	store.Store
	Migrate(ctx context.Context) ([]string, error)
	DB() *sql.DB
}

// Options let tests replace the clock, randomness and queue latency.
type Options struct {
	Clock clock.Clock
	Rand  io.Reader
	// JobPollInterval overrides how often the worker looks for jobs.
	JobPollInterval time.Duration
	// JobRetryDelay, when set, retries failed jobs after this fixed delay
	// instead of the exponential backoff (tests of outages).
	JobRetryDelay time.Duration
}

// Open builds every component from cfg. It connects to the database but
// neither migrates nor listens. Any failure is returned with what it was
// about, and whatever was opened is closed again.
func Open(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*App, error) {
	return OpenWith(ctx, cfg, logger, Options{})
}

// OpenWith is Open with injected clock and randomness.
func OpenWith(ctx context.Context, cfg *config.Config, logger *slog.Logger, opts Options) (*App, error) {
	if logger == nil {
		logger = slog.Default()
	}
	a := &App{Config: cfg, Logger: logger, Clock: opts.Clock, Rand: opts.Rand, opts: opts}
	if a.Clock == nil {
		a.Clock = clock.System{}
	}
	if a.Rand == nil {
		a.Rand = rand.Reader
	}
	sec, err := loadSecrets(cfg, a.Rand)
	if err != nil {
		return nil, err
	}
	a.Keys, a.Encrypter = sec.keys, sec.encrypter

	if a.URLs, err = routes.NewURLBuilder(cfg.HTTP.PublicBase, cfg.HTTP.Issuer); err != nil {
		return nil, fmt.Errorf("http.public_base: %w", err)
	}
	if a.Passwords, err = passwordManager(cfg, a.Rand); err != nil {
		return nil, err
	}
	if a.Templates, err = loadTemplates(cfg, logger); err != nil {
		return nil, err
	}
	if a.I18n, err = loadTranslations(cfg, logger); err != nil {
		return nil, err
	}
	if a.Mailer, err = newMailer(cfg); err != nil {
		return nil, err
	}
	if a.tracing, err = newTracing(ctx, cfg.Telemetry.Tracing); err != nil {
		return nil, err
	}
	if a.Homeserver, err = homeserverConnection(cfg, a.tracing.httpClient()); err != nil {
		a.tracing.shutdown(ctx) //nolint:errcheck // already failing
		return nil, err
	}
	for _, msg := range UnimplementedSettings(cfg) {
		logger.Warn(msg)
	}
	if cfg.Matrix.Kind == config.HomeserverStandalone {
		logger.Warn("matrix.kind is standalone: no homeserver is connected, so users and devices exist only here " +
			"and no Matrix client can use the tokens. Use this to try the service out, never in production.")
	}
	ids := domain.NewIDGenerator(a.Rand)
	if a.db, a.driver, err = openStore(ctx, cfg, a.Clock, ids); err != nil {
		a.tracing.shutdown(ctx) //nolint:errcheck // already failing
		return nil, err
	}
	a.Store = a.db
	return a, nil
}

// Migrate applies pending migrations and returns what it applied.
func (a *App) Migrate(ctx context.Context) ([]string, error) {
	applied, err := a.db.Migrate(ctx)
	if err != nil {
		return applied, fmt.Errorf("migrating the database: %w", err)
	}
	return applied, nil
}

// Close flushes the traces and releases the database.
func (a *App) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := a.tracing.shutdown(ctx)
	a.tracing = nil
	if a.db != nil {
		err = errors.Join(err, a.db.Close())
	}
	return err
}

// UnimplementedSettings names the settings the configuration uses that this
// version accepts but does not act on, so that an operator relying on them
// hears it at every start instead of finding out from missing data.
func UnimplementedSettings(cfg *config.Config) []string {
	var out []string
	if e := cfg.Telemetry.Metrics.Exporter; e == config.MetricsOTLP || e == config.MetricsStdout {
		out = append(out, fmt.Sprintf("telemetry.metrics.exporter is %s, but this version only serves metrics to Prometheus (the prometheus listener resource)", e))
	}
	if cfg.Telemetry.Sentry.DSN != "" {
		out = append(out, "telemetry.sentry.dsn is set, but this version reports nothing to Sentry")
	}
	return out
}
