package cli

import (
	"github.com/spf13/cobra"

	"mas/internal/app"
	"mas/internal/domain"
)

func newManagePromoteAdminCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "promote-admin USERNAME",
		Short: "Allow a user to request admin privileges",
		Long: "Lets the user request the homeserver admin scope (urn:synapse:admin:*)\n" +
			"from its next authorization on.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return changeUser(cmd.Context(), g, "promoted to admin", func(a *app.App) (*domain.User, error) {
				return a.SetCanRequestAdmin(cmd.Context(), args[0], true)
			})
		},
	}
}
