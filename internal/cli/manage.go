package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"mas/internal/app"
	"mas/internal/domain"
)

func newManageCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "manage",
		Short: "Manage users and tokens from the command line",
		Args:  cobra.NoArgs,
		RunE:  showHelp,
	}
	cmd.AddCommand(newManageRegisterUserCommand(g), newManageLockUserCommand(g), newManageUnlockUserCommand(g))
	// Sessions, tokens and provisioning (issue 14).
	cmd.AddCommand(newManageKillSessionsCommand(g), newManageIssueCompatibilityTokenCommand(g),
		newManageIssueUserRegistrationTokenCommand(g), newManageProvisionAllUsersCommand(g))
	// Emails, passwords and admins (issue 14).
	cmd.AddCommand(newManageAddEmailCommand(g), newManageVerifyEmailCommand(g), newManageSetPasswordCommand(g),
		newManagePromoteAdminCommand(g), newManageDemoteAdminCommand(g), newManageListAdminUsersCommand(g))
	return cmd
}

// changeUser runs one change to a user and reports it as
// "User @alice:example.org <done> (<id>)".
func changeUser(ctx context.Context, g *globals, done string, change func(a *app.App) (*domain.User, error)) error {
	a, err := g.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	user, err := change(a)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "User %s %s (%s)\n", a.Homeserver.MXID(user.Username), done, user.ID)
	return nil
}
