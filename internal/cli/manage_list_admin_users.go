package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newManageListAdminUsersCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list-admin-users",
		Short: "List the users who can request admin privileges",
		Long: "Prints the username of every user allowed to request admin privileges,\n" +
			"one per line, oldest first; the count goes to standard error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			users, err := a.ListAdminUsers(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "The following users can request admin privileges (%d total):\n", len(users))
			for _, u := range users {
				fmt.Fprintln(g.stdout, u.Username)
			}
			return nil
		},
	}
}
