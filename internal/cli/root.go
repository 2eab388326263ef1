// Package cli implements the mas-cli commands, one file per command. Every
// command returns an error instead of exiting, so that Main is the one
// place that turns failures into a message and a non-zero exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"mas/internal/app"
	"mas/internal/config"
)

// Version is set at build time with -ldflags "-X mas/internal/cli.Version=…".
var Version = "0.1.0-dev"

// exitError carries a specific exit code (syn2mas uses 10 and 11).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// globals are the flags every command shares.
type globals struct {
	configFiles []string
	stdout      io.Writer
	stderr      io.Writer
	logger      *slog.Logger
	// dotenv is the .env file read at start, "" when there was none.
	dotenv string
	// reload is what SIGHUP does; nil in commands with nothing to reload.
	// reloadMu guards it and the logger's creation, which the signal
	// handler may race.
	reloadMu sync.Mutex
	reload   func() ([]string, error)
}

// setReload installs what SIGHUP does from now on.
func (g *globals) setReload(fn func() ([]string, error)) {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	g.reload = fn
}

// handleHangups answers SIGHUP for the life of the process: the server
// reloads its templates, as upstream does; any other command just says
// there is nothing to reload. Either way the process goes on: with the
// default disposition SIGHUP would end it, and `ExecReload=kill -HUP`
// units would take the service down.
func (g *globals) handleHangups(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		g.reloadMu.Lock()
		reload, logger := g.reload, g.logger
		g.reloadMu.Unlock()
		if logger == nil {
			logger = slog.New(slog.NewTextHandler(g.stderr, nil))
		}
		if reload == nil {
			logger.Info("SIGHUP received: nothing to reload in this command")
			continue
		}
		what, err := reload()
		if err != nil {
			logger.Error("SIGHUP received: reload failed, the previous configuration stays in use", "error", err)
			continue
		}
		logger.Info("SIGHUP received: reloaded", "what", strings.Join(what, ", "))
	}
}

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	defer startCPUProfile(stderr)()
	g := &globals{stdout: stdout, stderr: stderr}
	dotenv, err := loadDotEnv()
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	g.dotenv = dotenv
	go g.handleHangups(ctx, hup)
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	if isUsageError(err) {
		// clap, which upstream uses, exits 2 on usage errors; scripts and
		// supervisors tell them from failures by that.
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return 2
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// usageError is a command line that does not parse: an unknown command or
// flag, a missing or extra argument.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// isUsageError tells usage errors apart, including the ones cobra raises
// before any hook of ours runs.
func isUsageError(err error) bool {
	var ue *usageError
	if errors.As(err, &ue) {
		return true
	}
	msg := err.Error()
	for _, prefix := range []string{"unknown command ", "unknown flag: ", "unknown shorthand flag: ",
		"if any flags in the group ", "required flag(s) ", "flag needs an argument"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// markUsageErrors makes the argument and flag errors of every command
// usage errors.
func markUsageErrors(c *cobra.Command) {
	if c.Args != nil {
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return &usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}

// loadDotEnv reads ./.env when there is one and sets the variables the
// environment does not already set, as upstream's mas-cli does at start
// (the environment wins over the file). It returns the file's path, or ""
// when there is none.
func loadDotEnv() (string, error) {
	data, err := os.ReadFile(".env")
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading .env: %w", err)
	}
	vars, err := config.ParseDotEnv(".env", data)
	if err != nil {
		return "", fmt.Errorf("invalid .env file in the working directory (nothing was started):\n%w", err)
	}
	for _, v := range vars {
		if _, set := os.LookupEnv(v.Name); !set {
			if err := os.Setenv(v.Name, v.Value); err != nil {
				return "", fmt.Errorf(".env: setting %s: %w", v.Name, err)
			}
		}
	}
	return ".env", nil
}

func newRootCommand(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "mas-cli",
		Short: "Matrix Authentication Service",
		Long: "mas-cli runs the Matrix Authentication Service (an OAuth 2.0 / OpenID Connect\n" +
			"provider for Matrix homeservers) and the tools to operate it.\n" +
			"Without a subcommand it runs the server.",
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			g.reloadMu.Lock()
			g.logger = newLogger(g.stderr)
			g.reloadMu.Unlock()
			if g.dotenv != "" {
				g.logger.Info("read environment variables from .env", "file", g.dotenv)
			}
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.PersistentFlags().StringArrayVarP(&g.configFiles, "config", "c", nil,
		"configuration file (repeatable, merged in order; default: $MAS_CONFIG, colon-separated, or config.yaml)")
	root.CompletionOptions.DisableDefaultCmd = true
	// Upstream (clap) answers both -V and --version with "mas-cli <version>";
	// scripts written against it should keep working.
	root.Flags().BoolP("version", "V", false, "print the version and exit")
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")

	server := newServerCommand(g)
	root.RunE = server.RunE
	root.Flags().AddFlagSet(server.Flags())

	root.AddCommand(
		server,
		newWorkerCommand(g),
		newConfigCommand(g),
		newDatabaseCommand(g),
		newTemplatesCommand(g),
		newManageCommand(g),
		newDoctorCommand(g),
		newSyn2masCommand(g),
	)
	markUsageErrors(root)
	return root
}

// showHelp is the RunE of commands that only group subcommands. Without a
// RunE cobra treats them as help topics and answers an unknown subcommand
// (`mas-cli config chek`) with the help text and exit code 0; with one, their
// cobra.NoArgs rejects it.
func showHelp(cmd *cobra.Command, _ []string) error { return cmd.Help() }

// configPaths resolves which files to read: the -c flags, else MAS_CONFIG
// (colon-separated), else config.yaml.
func (g *globals) configPaths() []string { return config.ConfigPaths(g.configFiles, os.Getenv) }

// strictEnv turns on strict configuration reading for every command.
const strictEnv = "MAS_CONFIG_STRICT"

// readConfig reads the configuration from the environment and the files.
// Strict (or MAS_CONFIG_STRICT=1) makes unknown and unused keys errors.
func (g *globals) readConfig(strict bool) (*config.Loaded, error) {
	strict = strict || isTrue(os.Getenv(strictEnv))
	return config.LoadWith(config.LoadOptions{Paths: g.configPaths(), Environ: os.Environ(), Strict: strict})
}

// logConfigReport logs, once each, what upstream would accept silently: a
// missing file (read as empty, as upstream does) and unknown or unused keys
// as WARN lines; keys of older releases that are honoured as INFO lines.
func (g *globals) logConfigReport(l *config.Loaded) {
	for _, p := range l.Missing {
		g.logger.Warn("configuration file does not exist; read as empty, as upstream does", "file", p)
	}
	for _, w := range l.Warnings {
		g.logger.Warn("configuration: "+w.String(), "hint", "run `mas-cli config check --strict` to make these errors")
	}
	for _, n := range l.Notices {
		g.logger.Info("configuration: " + n.String())
	}
}

func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// loadConfig reads and validates the configuration.
func (g *globals) loadConfig() (*config.Config, error) {
	l, err := g.readConfig(false)
	if err != nil {
		return nil, err
	}
	g.logConfigReport(l)
	if err := l.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return l.Config, nil
}

// openApp loads the configuration and opens the application on it. The
// caller closes it.
func (g *globals) openApp(ctx context.Context) (*app.App, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	a, err := app.Open(ctx, cfg, g.logger)
	if err != nil {
		return nil, err
	}
	a.Version = Version
	return a, nil
}

// newLogger builds the process logger. MAS_LOG_LEVEL (or upstream's
// RUST_LOG, when it is a bare level) picks the level; MAS_LOG_FORMAT=json
// switches to JSON lines.
func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	spec := os.Getenv("MAS_LOG_LEVEL")
	if spec == "" {
		spec = os.Getenv("RUST_LOG")
	}
	switch strings.ToLower(strings.TrimSpace(spec)) {
	case "trace", "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if os.Getenv("MAS_LOG_FORMAT") == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
