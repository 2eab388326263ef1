package cli

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/syn2mas/synapseconfig"
)

func newConfigGenerateCommand(g *globals) *cobra.Command {
	var output string
	var standalone bool
	var synapseConfig []string
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate a complete configuration with fresh secrets and signing keys",
		Long: "Writes a working configuration for a new installation: a random encryption\n" +
			"secret, four signing keys (RSA, EC P-256, EC P-384, secp256k1), the default\n" +
			"listeners and the embedded SQLite database.\n" +
			"\n" +
			"With --synapse-config (repeatable; later files override earlier ones), the\n" +
			"configuration matches the Synapse being migrated with syn2mas: its server\n" +
			"name and public URL, password schemes that verify its hashes (bcrypt with\n" +
			"its pepper first), registration settings and its OpenID Connect providers\n" +
			"(with synapse_idp_id set).",
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
			if len(synapseConfig) > 0 {
				fmt.Fprintf(g.stderr, "Adjusting the configuration to match the Synapse configuration from %s\n", strings.Join(synapseConfig, ", "))
				s, err := synapseconfig.Load(synapseConfig...)
				if err != nil {
					return err
				}
				for _, w := range adjustForSynapse(cfg, s, domain.NewIDGenerator(rand.Reader)) {
					fmt.Fprintf(g.stderr, "warning: %s\n", w)
				}
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
	cmd.Flags().StringArrayVar(&synapseConfig, "synapse-config", nil,
		"match the configuration to this Synapse homeserver.yaml, for a migration with syn2mas (repeatable)")
	cmd.MarkFlagsMutuallyExclusive("standalone", "synapse-config")
	return cmd
}
