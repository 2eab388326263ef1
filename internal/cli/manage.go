package cli

import "github.com/spf13/cobra"

func newManageCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "manage",
		Short: "Manage users and tokens from the command line",
		Args:  cobra.NoArgs,
		RunE:  showHelp,
	}
	cmd.AddCommand(newManageRegisterUserCommand(g))
	return cmd
}
