package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Upstream's verify-email only prints a deprecation warning. The seed
// documentation uses it to fix a user's email, so here it does what it
// says: the address becomes a confirmed email of the user.
func newManageVerifyEmailCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "verify-email USERNAME EMAIL",
		Short: "Make an address a confirmed email of a user",
		Long: "Makes the address a confirmed email of the user, adding it if missing, and\n" +
			"provisions the user on the homeserver (through the job queue). Upstream's\n" +
			"command of this name does nothing; this one does the change, like add-email.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(g.stderr, "Note: unlike upstream's no-op verify-email, this command confirms the address (as add-email does).")
			return addEmail(cmd.Context(), g, args[0], args[1], "added and confirmed for", "is already confirmed for")
		},
	}
}
