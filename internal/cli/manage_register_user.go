package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"mas/internal/app"
	"mas/internal/domain"
)

func newManageRegisterUserCommand(g *globals) *cobra.Command {
	var (
		req            app.RegisterUserRequest
		mappings       []string
		admin, noAdmin bool
		yes            bool
	)
	cmd := &cobra.Command{
		Use:   "register-user [USERNAME]",
		Short: "Create a user, bypassing the registration policies",
		Long: "Creates a user with an optional password, emails, display name and upstream\n" +
			"links, then provisions it on the homeserver (through the job queue).\n" +
			"Without --yes, asks for confirmation (and for the username if missing).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				req.Username = args[0]
			}
			req.Admin = admin && !noAdmin
			for _, m := range mappings {
				provider, subject, ok := strings.Cut(m, ":")
				if !ok || subject == "" {
					return fmt.Errorf("--upstream-provider-mapping %q: expected PROVIDER_ULID:SUBJECT", m)
				}
				id, err := domain.ParseID(provider)
				if err != nil {
					return fmt.Errorf("--upstream-provider-mapping %q: %w", m, err)
				}
				req.UpstreamLinks = append(req.UpstreamLinks, app.UpstreamLink{ProviderID: id, Subject: subject})
			}
			if !yes {
				if err := confirmRegistration(g, cmd, &req); err != nil {
					return err
				}
			}
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			user, err := a.RegisterUser(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "User %s created (%s)\n", a.Homeserver.MXID(user.Username), user.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&req.Password, "password", "p", "", "the user's password")
	f.StringArrayVarP(&req.Emails, "email", "e", nil, "an email address (repeatable)")
	f.StringArrayVarP(&mappings, "upstream-provider-mapping", "m", nil, "link to an upstream account, PROVIDER_ULID:SUBJECT (repeatable)")
	f.BoolVarP(&admin, "admin", "a", false, "allow the user to request admin privileges")
	f.BoolVarP(&noAdmin, "no-admin", "A", false, "do not allow the user to request admin privileges (the default)")
	f.BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	f.StringVarP(&req.DisplayName, "display-name", "d", "", "the user's display name")
	f.BoolVar(&req.IgnorePasswordComplexity, "ignore-password-complexity", false, "accept a password weaker than passwords.minimum_complexity")
	cmd.MarkFlagsMutuallyExclusive("admin", "no-admin")
	return cmd
}

// confirmRegistration asks for a missing username and for confirmation on
// standard input.
func confirmRegistration(g *globals, cmd *cobra.Command, req *app.RegisterUserRequest) error {
	in := bufio.NewReader(cmd.InOrStdin())
	if req.Username == "" {
		fmt.Fprint(g.stdout, "Username: ")
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return errors.New("no username given (pass it as an argument, or use --yes in scripts)")
		}
		req.Username = strings.TrimSpace(line)
	}
	fmt.Fprintf(g.stdout, "About to create user %q (admin: %v, password: %v, emails: %v). Proceed? [y/N] ",
		req.Username, req.Admin, req.Password != "", req.Emails)
	line, _ := in.ReadString('\n')
	if answer := strings.ToLower(strings.TrimSpace(line)); answer != "y" && answer != "yes" {
		return errors.New("aborted")
	}
	return nil
}
