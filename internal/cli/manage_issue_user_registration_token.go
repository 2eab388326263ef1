package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func newManageIssueUserRegistrationTokenCommand(g *globals) *cobra.Command {
	var (
		token     string
		limit     uint32
		unlimited bool
		expiresIn uint32
	)
	cmd := &cobra.Command{
		Use:   "issue-user-registration-token",
		Short: "Create a user registration token",
		Long: "Creates a token that lets someone register when registration requires\n" +
			"one, and prints it. By default the token is random, works once and never\n" +
			"expires.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("token") && token == "" {
				return errors.New("--token must not be empty")
			}
			var usageLimit *int
			if !unlimited {
				n := int(limit)
				usageLimit = &n
			}
			var expiry *time.Duration
			if cmd.Flags().Changed("expires-in") {
				d := time.Duration(expiresIn) * time.Second
				expiry = &d
			}
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			t, err := a.IssueRegistrationToken(cmd.Context(), token, usageLimit, expiry)
			if err != nil {
				return err
			}
			g.logger.Info("created user registration token", "user_registration_token.id", t.ID.String())
			fmt.Fprintf(g.stdout, "Created user registration token: %s\n", t.Token)
			return nil
		},
	}
	cmd.Flags().StringVar(&token, "token", "", "the token (random if not given)")
	cmd.Flags().Uint32Var(&limit, "usage-limit", 1, "how many registrations the token allows")
	cmd.Flags().BoolVar(&unlimited, "unlimited", false, "allow any number of registrations")
	cmd.Flags().Uint32Var(&expiresIn, "expires-in", 0, "seconds until the token expires (never if not given)")
	cmd.MarkFlagsMutuallyExclusive("usage-limit", "unlimited")
	return cmd
}
