package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"mas/internal/app"
)

func newTemplatesCheckCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Render every template with sample data to check that it works",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			n, err := app.CheckTemplates(cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "All %d templates rendered successfully\n", n)
			return nil
		},
	}
}
