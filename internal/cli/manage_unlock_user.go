package cli

import (
	"github.com/spf13/cobra"

	"mas/internal/app"
	"mas/internal/domain"
)

func newManageUnlockUserCommand(g *globals) *cobra.Command {
	var reactivate bool
	cmd := &cobra.Command{
		Use:   "unlock-user USERNAME",
		Short: "Unlock a user, optionally reactivating it",
		Long: "Removes the user's lock and pushes that to the homeserver through the job\n" +
			"queue. With --reactivate, a deactivated user is reactivated: first on the\n" +
			"homeserver, then here, where it is also unlocked.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			done := "unlocked"
			if reactivate {
				done = "scheduled for reactivation"
			}
			return changeUser(cmd.Context(), g, done, func(a *app.App) (*domain.User, error) {
				return a.UnlockUser(cmd.Context(), args[0], reactivate)
			})
		},
	}
	cmd.Flags().BoolVar(&reactivate, "reactivate", false, "also reactivate a deactivated user")
	return cmd
}
