package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newConfigSyncCommand(g *globals) *cobra.Command {
	var prune, dryRun bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Synchronise the configured static clients into the database",
		Long: "Creates or updates every client of the `clients` section. Static clients that\n" +
			"are no longer configured are kept (and reported) unless --prune is given.\n" +
			"The server does the same at start unless it runs with --no-sync.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.PrepareSchema(cmd.Context()); err != nil {
				return err
			}
			report, err := a.SyncConfig(cmd.Context(), prune, dryRun)
			if err != nil {
				return err
			}
			verb := ""
			if dryRun {
				verb = " (dry run: nothing written)"
			}
			fmt.Fprintf(g.stdout, "Clients: %d created, %d updated, %d unchanged, %d deleted, %d no longer configured%s\n",
				len(report.Created), len(report.Updated), len(report.Unchanged), len(report.Deleted), len(report.Stale), verb)
			if len(report.Stale) > 0 && !prune {
				fmt.Fprintf(g.stdout, "Not configured any more (run with --prune to delete): %s\n", strings.Join(report.Stale, ", "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&prune, "prune", false, "delete static clients that are no longer configured")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would change without writing")
	return cmd
}
