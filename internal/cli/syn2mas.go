package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"mas/internal/app"
	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/syn2mas"
	"mas/internal/syn2mas/synapseconfig"
	"mas/internal/syn2mas/synapsedb"
)

// syn2masFlags are the flags of `syn2mas`, shared by its subcommands.
type syn2masFlags struct {
	synapseConfig          []string
	synapseDatabaseURI     string
	ignoreMissingProviders bool
}

func newSyn2masCommand(g *globals) *cobra.Command {
	f := &syn2masFlags{}
	cmd := &cobra.Command{
		Use:   "syn2mas",
		Short: "Migrate a Synapse homeserver's users, passwords, emails, external IDs, devices and tokens",
		Long: "Checks (`check`) and migrates (`migrate`) what Synapse knows about its users into this\n" +
			"service's empty database, as upstream's syn2mas does: users with their flags and password\n" +
			"hashes, emails and other third-party IDs, external IDs as upstream links (through each\n" +
			"provider's synapse_idp_id), devices and access/refresh tokens as compatibility sessions,\n" +
			"so that existing logins keep working. Synapse may be on PostgreSQL or SQLite.",
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.PersistentFlags().StringArrayVar(&f.synapseConfig, "synapse-config", nil, "Synapse's homeserver.yaml (repeatable; merged in order)")
	cmd.PersistentFlags().StringVar(&f.synapseDatabaseURI, "synapse-database-uri", "",
		"the Synapse database to read instead of the one in its configuration (postgresql://… or the path of a SQLite file)")
	cmd.PersistentFlags().BoolVar(&f.ignoreMissingProviders, "ignore-missing-auth-providers", false,
		"skip external IDs of providers that Synapse or this service no longer has, instead of failing")
	cmd.AddCommand(newSyn2masCheckCommand(g, f), newSyn2masMigrateCommand(g, f))
	return cmd
}

// syn2masRun is what check and migrate share: both configurations, the
// service's database (migrated), and the Synapse snapshot.
type syn2masRun struct {
	app      *app.App
	synapse  *synapseconfig.Config
	settings syn2mas.Settings
	bulk     store.Bulk
	source   synapsedb.Source
}

func (r *syn2masRun) Close() {
	if r.source != nil {
		r.source.Close()
	}
	if r.app != nil {
		r.app.Close()
	}
}

// openSyn2mas prepares a run. sync mirrors the providers and clients
// first (migrate needs the providers the links point at); shared opens
// the Synapse snapshot without blocking a running Synapse (check, dry
// run).
func openSyn2mas(ctx context.Context, g *globals, f *syn2masFlags, sync, shared bool) (*syn2masRun, error) {
	if len(f.synapseConfig) == 0 {
		return nil, synapseconfig.ErrNoFiles
	}
	syn, err := synapseconfig.Load(f.synapseConfig...)
	if err != nil {
		return nil, err
	}
	driver, dsn, err := syn2masSource(syn, f.synapseDatabaseURI)
	if err != nil {
		return nil, err
	}
	r := &syn2masRun{synapse: syn}
	if r.app, err = g.openApp(ctx); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			r.Close()
		}
	}()
	if _, err := r.app.Migrate(ctx); err != nil {
		return nil, err
	}
	if sync {
		if _, err := r.app.SyncConfig(ctx, false, false); err != nil {
			return nil, err
		}
	}
	bulk, isBulk := r.app.Store.(store.Bulk)
	if !isBulk {
		return nil, fmt.Errorf("the %s store cannot load in bulk", r.app.Store.Backend())
	}
	r.bulk = bulk
	if r.settings, err = syn2masSettings(r.app.Config); err != nil {
		return nil, err
	}
	if r.source, err = synapsedb.Open(ctx, synapsedb.Options{Driver: driver, DSN: dsn, Shared: shared}); err != nil {
		return nil, fmt.Errorf("opening the Synapse database: %w", err)
	}
	ok = true
	return r, nil
}

// syn2masSource picks the Synapse database: the flag, else the
// configuration's database section.
func syn2masSource(syn *synapseconfig.Config, uri string) (driver, dsn string, err error) {
	if uri == "" {
		return syn.Source()
	}
	switch {
	case strings.HasPrefix(uri, "postgres://"), strings.HasPrefix(uri, "postgresql://"):
		return "postgres", uri, nil
	case strings.HasPrefix(uri, "sqlite:"):
		return "sqlite", strings.TrimPrefix(uri, "sqlite:"), nil
	case strings.Contains(uri, "://"):
		return "", "", fmt.Errorf("--synapse-database-uri: %q is neither a postgresql:// URI nor a SQLite file", uri)
	}
	return "sqlite", uri, nil
}

// syn2masSettings are what the migration needs of our configuration.
func syn2masSettings(cfg *config.Config) (syn2mas.Settings, error) {
	s := syn2mas.Settings{
		ServerName:     cfg.Matrix.Homeserver,
		TOSURI:         cfg.Branding.TOSURI,
		CaptchaService: string(cfg.Captcha.Service),
	}
	for _, sc := range cfg.Passwords.Schemes {
		pepper, err := sc.Pepper()
		if err != nil {
			return s, err
		}
		s.Schemes = append(s.Schemes, syn2mas.PasswordScheme{Version: int(sc.Version), Algorithm: string(sc.Algorithm), Secret: pepper})
	}
	for _, p := range cfg.UpstreamOAuth2.Providers {
		if p.SynapseIdpID == "" {
			continue
		}
		id, err := domain.ParseID(p.ID)
		if err != nil {
			return s, fmt.Errorf("upstream provider %q: %w", p.ID, err)
		}
		s.Providers = append(s.Providers, syn2mas.Provider{ID: id, SynapseIdpID: p.SynapseIdpID})
	}
	return s, nil
}

// checks runs every check and prints what they found, as upstream does;
// it returns the problems.
func (r *syn2masRun) checks(ctx context.Context, w io.Writer, ignoreMissing bool) (syn2mas.Problems, error) {
	var p syn2mas.Problems
	p.Add(syn2mas.CheckSynapseConfig(r.synapse))
	p.Add(syn2mas.CheckAgainstSettings(r.synapse, r.settings))
	if err := syn2mas.CheckDestination(ctx, r.bulk); err != nil {
		return p, err
	}
	dbp, err := syn2mas.CheckSynapseDatabase(ctx, r.source, r.synapse, r.settings, ignoreMissing)
	if err != nil {
		return p, fmt.Errorf("checking the Synapse database: %w", err)
	}
	p.Add(dbp)
	printProblems(w, p)
	return p, nil
}

func printProblems(w io.Writer, p syn2mas.Problems) {
	if len(p.Errors) > 0 {
		fmt.Fprintln(w, "===== Errors =====")
		for _, e := range p.Errors {
			fmt.Fprintf(w, "• %s\n", e)
		}
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintln(w, "===== Warnings =====")
		for _, e := range p.Warnings {
			fmt.Fprintf(w, "• %s\n", e)
		}
	}
}

// Exit codes of syn2mas, as upstream.
const (
	exitCheckErrors   = 10
	exitCheckWarnings = 11
)

// isTerminal says whether w is a terminal (progress bars) or not (lines).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
