package cli

import (
	"github.com/spf13/cobra"

	"mas/internal/app"
)

func newWorkerCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run only the job worker",
		Long: "Works the job queue (homeserver calls, emails, cleanups) without serving\n" +
			"HTTP. Any number of workers may share one PostgreSQL database; each job runs\n" +
			"once.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			a, err := app.Open(cmd.Context(), cfg, g.logger)
			if err != nil {
				return err
			}
			defer a.Close()
			return a.RunWorker(cmd.Context())
		},
	}
}
