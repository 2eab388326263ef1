package cli

import (
	"github.com/spf13/cobra"
)

func newConfigDumpCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "dump",
		Short: "Print the merged, effective configuration (defaults included)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			b, err := cfg.Marshal()
			if err != nil {
				return err
			}
			return writeOutput(g.stdout, output, b, 0o600)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	return cmd
}
