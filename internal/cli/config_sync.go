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
		Short: "Synchronise the configured static clients and upstream providers into the database",
		Long: "Creates or updates every client of the `clients` section and every provider of\n" +
			"`upstream_oauth2.providers` (secrets stored encrypted; login page order follows\n" +
			"the configuration). Static clients that are no longer configured are kept (and\n" +
			"reported), providers that are no longer configured are disabled, so that their\n" +
			"links survive; --prune deletes both (a provider with its links). --dry-run\n" +
			"prints what would change and writes nothing.\n" +
			"The server does the same at start (without --prune) unless it runs with --no-sync.",
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
			clients := report.Clients
			fmt.Fprintf(g.stdout, "Clients: %d created, %d updated, %d unchanged, %d deleted, %d no longer configured%s\n",
				len(clients.Created), len(clients.Updated), len(clients.Unchanged), len(clients.Deleted), len(clients.Stale), verb)
			if len(clients.Stale) > 0 && !prune {
				fmt.Fprintf(g.stdout, "Not configured any more (run with --prune to delete): %s\n", strings.Join(clients.Stale, ", "))
			}
			printProviderSync(g.stdout, report.Providers, verb)
			return nil
		},
	}
	cmd.Flags().BoolVar(&prune, "prune", false, "delete static clients and upstream providers that are no longer configured (a provider with its links)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would change without writing")
	return cmd
}
