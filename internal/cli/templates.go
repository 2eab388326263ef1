package cli

import "github.com/spf13/cobra"

func newTemplatesCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "templates",
		Short: "Work with the HTML templates",
		Args:  cobra.NoArgs,
		RunE:  showHelp,
	}
	cmd.AddCommand(newTemplatesCheckCommand(g))
	return cmd
}
