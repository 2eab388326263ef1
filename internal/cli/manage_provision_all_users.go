package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newManageProvisionAllUsersCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "provision-all-users",
		Short: "Schedule the provisioning of every user on the homeserver",
		Long: "Schedules one provisioning job per user, which pushes the user (profile,\n" +
			"emails, lock) and its devices to the homeserver. A running worker or\n" +
			"server carries the jobs out.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			n, err := a.ProvisionAllUsers(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "Scheduled provisioning of %d users\n", n)
			return nil
		},
	}
}
