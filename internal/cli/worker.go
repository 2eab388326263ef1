package cli

import "github.com/spf13/cobra"

func newWorkerCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run only the job worker",
		Long: "Works the job queue (homeserver calls, emails, cleanups) without serving\n" +
			"HTTP. Any number of workers may share one PostgreSQL database; each job runs\n" +
			"once.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			return a.RunWorker(cmd.Context())
		},
	}
}
