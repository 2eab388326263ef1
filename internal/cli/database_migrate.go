package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newDatabaseMigrateCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			applied, err := a.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintln(g.stdout, "Database is up to date")
				return nil
			}
			fmt.Fprintf(g.stdout, "Applied %d migration(s):\n", len(applied))
			for _, v := range applied {
				fmt.Fprintf(g.stdout, "  %s\n", v)
			}
			return nil
		},
	}
}
