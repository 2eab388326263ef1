package cli

import (
	"github.com/spf13/cobra"

	"mas/internal/app"
	"mas/internal/domain"
)

func newManageLockUserCommand(g *globals) *cobra.Command {
	var deactivate bool
	cmd := &cobra.Command{
		Use:   "lock-user USERNAME",
		Short: "Lock a user, optionally deactivating it",
		Long: "Locks the user: it can no longer log in, and its tokens stop working.\n" +
			"The lock is pushed to the homeserver through the job queue. With\n" +
			"--deactivate, the user is also deactivated: every session ends and the\n" +
			"homeserver deactivates the account (without erasing its data).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			done := "locked"
			if deactivate {
				done = "locked; deactivation scheduled"
			}
			return changeUser(cmd.Context(), g, done, func(a *app.App) (*domain.User, error) {
				return a.LockUser(cmd.Context(), args[0], deactivate)
			})
		},
	}
	cmd.Flags().BoolVar(&deactivate, "deactivate", false, "also deactivate the user")
	return cmd
}
