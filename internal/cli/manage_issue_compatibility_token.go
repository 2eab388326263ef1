package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newManageIssueCompatibilityTokenCommand(g *globals) *cobra.Command {
	var admin bool
	cmd := &cobra.Command{
		Use:   "issue-compatibility-token USERNAME [DEVICE_ID]",
		Short: "Issue a compatibility token for a user",
		Long: "Creates a compatibility session for the device (a random device ID if none\n" +
			"is given) with a non-expiring access token, and prints the token. The\n" +
			"device is created on the homeserver first; if that fails, nothing is\n" +
			"stored and the command exits 1.",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			deviceID := ""
			if len(args) == 2 {
				deviceID = args[1]
			}
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			issued, err := a.IssueCompatibilityToken(cmd.Context(), args[0], deviceID, admin)
			if err != nil {
				return err
			}
			g.logger.Info("issued compatibility token", "compat_session.id", issued.Session.ID.String(),
				"compat_session.device", issued.Session.DeviceID, "user.id", issued.User.ID.String(),
				"user.username", issued.User.Username)
			fmt.Fprintf(g.stdout, "Compatibility token issued: %s\n", issued.Token)
			return nil
		},
	}
	cmd.Flags().BoolVar(&admin, "yes-i-want-to-grant-synapse-admin-privileges", false,
		"make the session a Synapse admin session")
	return cmd
}
