package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"mas/internal/syn2mas"
)

func newSyn2masMigrateCommand(g *globals, f *syn2masFlags) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Migrate the Synapse homeserver's users and sessions into this service's empty database",
		Long: "Runs the checks, then copies users, passwords, emails, external IDs, devices and tokens\n" +
			"in one transaction: an interrupted migration leaves the database empty and can simply\n" +
			"be run again. Stop Synapse first (its tables are locked); with --dry-run everything is\n" +
			"done and then rolled back, and Synapse may keep running.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			r, err := openSyn2mas(ctx, g, f, true, dryRun)
			if err != nil {
				return err
			}
			defer r.Close()
			p, err := r.checks(ctx, g.stderr, f.ignoreMissingProviders)
			if err != nil {
				return err
			}
			if len(p.Errors) > 0 {
				return &exitError{code: exitCheckErrors, err: errors.New("the checks found errors; nothing was migrated")}
			}
			if dryRun {
				g.logger.Info("Starting new syn2mas migration (dry run: nothing will be kept)")
			} else {
				g.logger.Info("Starting new syn2mas migration")
			}
			progress := syn2mas.NewReporter(g.stderr, isTerminal(g.stderr), "migrating", syn2mas.StageNouns)
			summary, err := syn2mas.Migrate(ctx, r.source, r.bulk, r.settings, syn2mas.Options{
				DryRun: dryRun, IgnoreMissingProviders: f.ignoreMissingProviders, Progress: progress, Logger: g.logger,
			})
			if err != nil {
				return fmt.Errorf("migration failed, nothing was written: %w", err)
			}
			parts := make([]string, 0, len(summary.Stages))
			for _, s := range summary.Stages {
				parts = append(parts, fmt.Sprintf("%d %s", s.Migrated, syn2mas.StageNouns[s.Entity]))
			}
			if dryRun {
				g.logger.Warn("Migration ran in dry-run mode, deleting all imported data")
				fmt.Fprintf(g.stdout, "Dry run completed in %.1fs, nothing kept: would have migrated %s.\n",
					summary.Duration.Seconds(), strings.Join(parts, ", "))
				return nil
			}
			fmt.Fprintf(g.stdout, "Migration completed in %.1fs: %s.\n", summary.Duration.Seconds(), strings.Join(parts, ", "))
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "do everything, then roll it back (Synapse may keep running)")
	return cmd
}
