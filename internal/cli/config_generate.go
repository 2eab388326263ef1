package cli

import (
	"crypto/rand"
	"fmt"

	"github.com/spf13/cobra"

	"mas/internal/config"
)

func newConfigGenerateCommand(g *globals) *cobra.Command {
	var output string
	var standalone bool
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate a complete configuration with fresh secrets and signing keys",
		Long: "Writes a working configuration for a new installation: a random encryption\n" +
			"secret, four signing keys (RSA, EC P-256, EC P-384, secp256k1), the default\n" +
			"listeners and the embedded SQLite database.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Generate(rand.Reader)
			if err != nil {
				return fmt.Errorf("generating configuration: %w", err)
			}
			if standalone {
				cfg.Matrix.Kind = config.HomeserverStandalone
				// A trial runs on this machine: links should open in its browser.
				cfg.HTTP.PublicBase = "http://localhost:8080/"
			}
			b, err := cfg.Marshal()
			if err != nil {
				return err
			}
			return writeOutput(g.stdout, output, b, 0o600)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	cmd.Flags().BoolVar(&standalone, "standalone", false,
		"run without a homeserver (matrix.kind: standalone): for trying the service out, never for production")
	return cmd
}
