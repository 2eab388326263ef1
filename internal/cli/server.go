package cli

import (
	"github.com/spf13/cobra"

	"mas/internal/app"
)

func newServerCommand(g *globals) *cobra.Command {
	var opts app.ServerOptions
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the HTTP server (and, unless --no-worker, the job worker)",
		Long: "Migrates the database (unless --no-migrate), synchronises clients and\n" +
			"providers from the configuration (unless --no-sync), then serves every\n" +
			"configured listener until SIGTERM or SIGINT, which drain the requests in\n" +
			"flight. SIGHUP reloads the templates.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			g.setReload(a.Reload)
			defer g.setReload(nil)
			return a.RunServer(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.NoMigrate, "no-migrate", false, "do not apply pending database migrations (refuse to start if any are pending)")
	cmd.Flags().BoolVar(&opts.NoWorker, "no-worker", false, "do not run the job worker in this process")
	cmd.Flags().BoolVar(&opts.NoSync, "no-sync", false, "do not synchronise clients and upstream providers from the configuration")
	// Upstream's deprecated --migrate (migrating is the default) still parses.
	var deprecatedMigrate bool
	cmd.Flags().BoolVar(&deprecatedMigrate, "migrate", false, "deprecated: migrations run by default")
	_ = cmd.Flags().MarkHidden("migrate")
	return cmd
}
