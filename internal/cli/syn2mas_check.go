package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newSyn2masCheckCommand(g *globals, f *syn2masFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Check that the Synapse homeserver can be migrated, without writing anything",
		Long: "Runs every check of the migration and prints the errors (which block it) and the\n" +
			"warnings. Exits with 10 when there are errors, 11 when there are only warnings, 0\n" +
			"otherwise. Synapse may keep running: its tables are only read, with shared locks.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			r, err := openSyn2mas(ctx, g, f, false, true)
			if err != nil {
				return err
			}
			defer r.Close()
			p, err := r.checks(ctx, g.stderr, f.ignoreMissingProviders)
			if err != nil {
				return err
			}
			switch {
			case len(p.Errors) > 0:
				return &exitError{code: exitCheckErrors, err: errors.New("the checks found errors; the migration would not start")}
			case len(p.Warnings) > 0:
				return &exitError{code: exitCheckWarnings, err: errors.New("the checks found warnings; read them before migrating")}
			}
			fmt.Fprintln(g.stdout, "Check completed successfully with no errors or warnings.")
			return nil
		},
	}
}
