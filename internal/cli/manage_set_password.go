package cli

import (
	"github.com/spf13/cobra"

	"mas/internal/app"
	"mas/internal/domain"
)

func newManageSetPasswordCommand(g *globals) *cobra.Command {
	var ignoreComplexity bool
	cmd := &cobra.Command{
		Use:   "set-password USERNAME PASSWORD",
		Short: "Set a user's password",
		Long: "Replaces the user's password, hashed with the newest configured scheme.\n" +
			"A password below passwords.minimum_complexity is refused unless\n" +
			"--ignore-complexity is given.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return changeUser(cmd.Context(), g, "password changed", func(a *app.App) (*domain.User, error) {
				return a.SetPassword(cmd.Context(), args[0], args[1], ignoreComplexity)
			})
		},
	}
	cmd.Flags().BoolVar(&ignoreComplexity, "ignore-complexity", false, "accept a password weaker than passwords.minimum_complexity")
	return cmd
}
