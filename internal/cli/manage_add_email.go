package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newManageAddEmailCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "add-email USERNAME EMAIL",
		Short: "Add a confirmed email address to a user",
		Long: "Adds the address to the user's confirmed emails, without sending a code,\n" +
			"and provisions the user on the homeserver (through the job queue). An\n" +
			"address the user already has is kept; one another user has is refused.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return addEmail(cmd.Context(), g, args[0], args[1], "added to", "already belongs to")
		},
	}
}

// addEmail adds the address and reports it as "Email <email> <added>
// @alice:example.org (<email id>)", or with existed when the user already
// had it.
func addEmail(ctx context.Context, g *globals, username, email, added, existed string) error {
	a, err := g.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := a.AddUserEmail(ctx, username, email)
	if err != nil {
		return err
	}
	done := added
	if res.Existed {
		done = existed
	}
	fmt.Fprintf(g.stdout, "Email %s %s %s (%s)\n", res.Email.Email, done, a.Homeserver.MXID(res.User.Username), res.Email.ID)
	return nil
}
