package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"mas/internal/app"
)

func newConfigCheckCommand(g *globals) *cobra.Command {
	var strict bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration, reporting every problem at once",
		Long: "Reads the configuration (MAS_* environment variables, then the files), checks\n" +
			"every key, and loads the secrets it refers to (signing keys, encryption key,\n" +
			"files). It does not connect to the database or the homeserver.\n" +
			"\n" +
			"Like upstream, keys it does not know are ignored; each is reported as a\n" +
			"warning (with the key it probably meant). --strict, or MAS_CONFIG_STRICT=1,\n" +
			"makes them errors.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.readConfig(strict)
			if err != nil {
				return err
			}
			for _, p := range l.Missing {
				fmt.Fprintf(g.stdout, "warning: %s does not exist; read as empty, as upstream does\n", p)
			}
			for _, w := range l.Warnings {
				fmt.Fprintf(g.stdout, "warning: %s\n", w)
			}
			for _, n := range l.Notices {
				fmt.Fprintf(g.stdout, "note: %s\n", n)
			}
			cfg := l.Config
			// Report structural problems and unusable key material together,
			// so one run shows everything to fix.
			if verr := cfg.Validate(); verr != nil {
				if kerr := app.CheckKeyMaterial(cfg); kerr != nil {
					verr = errors.Join(verr, kerr)
				}
				return fmt.Errorf("invalid configuration:\n%w", verr)
			}
			if err := errors.Join(app.CheckSecrets(cfg), app.CheckUpstreamTemplates(cfg)); err != nil {
				return fmt.Errorf("invalid configuration:\n%w", err)
			}
			fmt.Fprintf(g.stdout, "Configuration file looks good (%s)\n", joinPaths(g.configPaths()))
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "treat unknown and unused keys as errors (also MAS_CONFIG_STRICT=1)")
	return cmd
}
