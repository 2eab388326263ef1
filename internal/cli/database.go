package cli

import "github.com/spf13/cobra"

func newDatabaseCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "database",
		Short: "Manage the database",
		Args:  cobra.NoArgs,
		RunE:  showHelp,
	}
	cmd.AddCommand(newDatabaseMigrateCommand(g))
	cmd.AddCommand(newDatabaseImportUpstreamCommand(g))
	return cmd
}
