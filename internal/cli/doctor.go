package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"mas/internal/app"
	"mas/internal/config"
	"mas/internal/doctor"
)

func newDoctorCommand(g *globals) *cobra.Command {
	var (
		strict       bool
		wellKnownURL string
	)
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that the service and the homeserver are set up to work together",
		Long: "Runs a series of checks against the running deployment, using the same\n" +
			"configuration files as the service, and prints one line per check:\n" +
			"✅ passed, ⚠️ warning, ❌ failed, each problem followed by a hint.\n" +
			"\n" +
			"Checks, in order: the issuer uses HTTPS; the client well-known document\n" +
			"(https://<matrix.homeserver>/.well-known/matrix/client) is served; the\n" +
			"homeserver answers at matrix.endpoint; it rejects an invalid access token\n" +
			"(which proves it validates tokens with this service); it accepts the shared\n" +
			"secret on /_synapse/mas; and the legacy login API, where clients find it,\n" +
			"is routed to this service; last, that mail can be sent as the email\n" +
			"section says (the SMTP relay answers and accepts the login; nothing is sent);\n" +
			"and that each enabled upstream provider using discovery serves its discovery\n" +
			"document with the configured issuer.\n" +
			"Both the service and the homeserver must be running. The shared secret is\n" +
			"never printed.\n" +
			"\n" +
			"Like upstream, the command exits 0 whatever the results, so that it can be\n" +
			"run for information. With --strict it exits 1 when any check failed (❌),\n" +
			"which suits deployment playbooks; warnings never change the exit code.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			secret, err := cfg.Matrix.SecretValue()
			if err != nil {
				return err
			}
			var unserved []doctor.Unserved
			for _, u := range app.UnservedResources(cfg) {
				unserved = append(unserved, doctor.Unserved{Listener: u.Listener, Resource: u.Resource, Paths: u.Paths})
			}
			mail, err := app.DoctorMail(cfg)
			if err != nil {
				return err
			}
			summary, err := doctor.Run(cmd.Context(), g.stdout, doctor.Options{
				Mail:         mail,
				Providers:    doctorProviders(cfg),
				Unserved:     unserved,
				Issuer:       cfg.HTTP.IssuerURL(),
				ServerName:   cfg.Matrix.Homeserver,
				Endpoint:     cfg.Matrix.Endpoint,
				Secret:       secret,
				WellKnownURL: wellKnownURL,
				Standalone:   cfg.Matrix.Kind == config.HomeserverStandalone,
				UserAgent:    "mas-cli/" + Version,
			})
			if err != nil {
				return err
			}
			if strict && summary.Failures > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of the checks failed (--strict)", summary.Failures)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false,
		"exit with status 1 when any check failed (❌); by default the exit status is always 0")
	cmd.Flags().StringVar(&wellKnownURL, "well-known-url", "",
		"base URL to fetch /.well-known/matrix/client from (default https://<hostname of matrix.homeserver>)")
	return cmd
}
