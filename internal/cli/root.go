// Package cli implements the mas-cli commands, one file per command. Every
// command returns an error instead of exiting, so that Main is the one
// place that turns failures into a message and a non-zero exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
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
}

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	g := &globals{stdout: stdout, stderr: stderr}
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
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
			g.logger = newLogger(g.stderr)
		},
	}
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
	)
	return root
}

// showHelp is the RunE of commands that only group subcommands. Without a
// RunE cobra treats them as help topics and answers an unknown subcommand
// (`mas-cli config chek`) with the help text and exit code 0; with one, their
// cobra.NoArgs rejects it.
func showHelp(cmd *cobra.Command, _ []string) error { return cmd.Help() }

// configPaths resolves which files to read: the -c flags, else MAS_CONFIG
// (colon-separated), else config.yaml.
func (g *globals) configPaths() []string {
	if len(g.configFiles) > 0 {
		return g.configFiles
	}
	if env := os.Getenv("MAS_CONFIG"); env != "" {
		var out []string
		for _, p := range strings.Split(env, ":") {
			if p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	return []string{"config.yaml"}
}

// loadConfig reads and validates the configuration.
func (g *globals) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(g.configPaths())
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

// openApp loads the configuration and opens the application on it. The
// caller closes it.
func (g *globals) openApp(ctx context.Context) (*app.App, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, cfg, g.logger)
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
