package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"mas/internal/app"
	"mas/internal/config"
)

func newConfigCheckCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration, reporting every problem at once",
		Long: "Reads the configuration files, checks every key, and loads the secrets it\n" +
			"refers to (signing keys, encryption key, files). It does not connect to the\n" +
			"database or the homeserver.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(g.configPaths())
			if err != nil {
				return err
			}
			// Report structural problems and unusable key material together,
			// so one run shows everything to fix.
			if verr := cfg.Validate(); verr != nil {
				if kerr := app.CheckKeyMaterial(cfg); kerr != nil {
					verr = errors.Join(verr, kerr)
				}
				return fmt.Errorf("invalid configuration:\n%w", verr)
			}
			if err := app.CheckSecrets(cfg); err != nil {
				return fmt.Errorf("invalid configuration:\n%w", err)
			}
			fmt.Fprintf(g.stdout, "Configuration file looks good (%s)\n", joinPaths(g.configPaths()))
			return nil
		},
	}
}
