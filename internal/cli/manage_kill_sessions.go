package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newManageKillSessionsCommand(g *globals) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "kill-sessions USERNAME",
		Short: "End every session of a user",
		Long: "Ends every compatibility, OAuth 2.0 and browser session of the user and\n" +
			"schedules a device sync, which removes the user's devices (and with them\n" +
			"their tokens) from the homeserver. Personal sessions are left alone.\n" +
			"With --dry-run, counts what would end and changes nothing.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			_, n, err := a.KillSessions(cmd.Context(), args[0], dryRun)
			if err != nil {
				return err
			}
			// Upstream's wording, which counts even on a dry run.
			ended(g.stdout, n.Compat, "compatibility session")
			ended(g.stdout, n.OAuth2, "OAuth 2.0 session")
			ended(g.stdout, n.Browser, "browser session")
			fmt.Fprintln(g.stdout, "Scheduling job to sync devices for the user")
			if dryRun {
				fmt.Fprintln(g.stdout, "Dry run, not saving")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only count the sessions that would end")
	return cmd
}

// ended prints one line of kill-sessions' summary.
func ended(w io.Writer, n int, what string) {
	switch n {
	case 0:
		fmt.Fprintf(w, "No active %ss to end\n", what)
	case 1:
		fmt.Fprintf(w, "Ended 1 active %s\n", what)
	default:
		fmt.Fprintf(w, "Ended %d active %ss\n", n, what)
	}
}
