package cli

import (
	"github.com/spf13/cobra"

	"mas/internal/app"
	"mas/internal/domain"
)

func newManageDemoteAdminCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "demote-admin USERNAME",
		Short: "Stop a user from requesting admin privileges",
		Long:  "The user can no longer request the homeserver admin scope (urn:synapse:admin:*).",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return changeUser(cmd.Context(), g, "is no longer admin", func(a *app.App) (*domain.User, error) {
				return a.SetCanRequestAdmin(cmd.Context(), args[0], false)
			})
		},
	}
}
