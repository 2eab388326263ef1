package cli

import "github.com/spf13/cobra"

func newConfigCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check, print and generate configuration files",
		Args:  cobra.NoArgs,
		RunE:  showHelp,
	}
	cmd.AddCommand(
		newConfigCheckCommand(g),
		newConfigDumpCommand(g),
		newConfigGenerateCommand(g),
		newConfigSyncCommand(g),
	)
	return cmd
}
