package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver, for upstream's database
	"github.com/spf13/cobra"

	"mas/internal/app"
	"mas/internal/config"
	"mas/internal/importupstream"
	"mas/internal/syn2mas"
)

func newDatabaseImportUpstreamCommand(g *globals) *cobra.Command {
	var from string
	var inPlace, dryRun bool
	cmd := &cobra.Command{
		Use:   "import-upstream (--from postgres://… | --in-place) [--dry-run]",
		Short: "Import the data of upstream MAS (the Rust service) into this service's database",
		Long: "Copies everything upstream MAS knows about its users and their sessions into this\n" +
			"service's empty database (database.uri): users, passwords, emails, browser sessions,\n" +
			"OAuth 2.0 clients, sessions and tokens, compatibility sessions and tokens, upstream\n" +
			"providers and links, personal sessions, registration tokens and policy data, with their\n" +
			"IDs, token strings and encrypted values as they are, so that clients stay signed in.\n" +
			"Stop upstream MAS first, and use its secrets.encryption here.\n\n" +
			"--from reads upstream's database (in one snapshot; it is not changed). --in-place\n" +
			"converts the database of database.uri, which upstream MAS has migrated: its tables\n" +
			"are moved to a schema upstream_backup_<date>, this service's tables are created and\n" +
			"filled from them, and the statements that undo it all are printed.\n\n" +
			"Rows that break a rule of this service (usernames or email addresses that differ only\n" +
			"in case) are reported one by one with the choice made. With --dry-run everything is\n" +
			"done and then rolled back (with --in-place: read and checked, nothing is changed).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case from == "" && !inPlace:
				return &usageError{errors.New("give upstream's database with --from postgres://…, or --in-place to convert database.uri")}
			case from != "" && inPlace:
				return &usageError{errors.New("--from and --in-place cannot be combined")}
			case from != "" && !strings.HasPrefix(from, "postgres://") && !strings.HasPrefix(from, "postgresql://"):
				return &usageError{fmt.Errorf("--from: %q is not a postgres:// URI (upstream MAS runs on PostgreSQL only)", redactDSN(from))}
			}
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			if inPlace {
				return importInPlace(cmd.Context(), g, a, dryRun)
			}
			return importFrom(cmd.Context(), g, a, from, dryRun)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "upstream MAS's database (postgres://…), read and left unchanged")
	cmd.Flags().BoolVar(&inPlace, "in-place", false, "convert the database of database.uri, which holds upstream MAS's tables")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "do everything, then roll it back")
	return cmd
}

// importFrom imports from another database into ours.
func importFrom(ctx context.Context, g *globals, a *app.App, from string, dryRun bool) error {
	if _, err := a.Migrate(ctx); err != nil {
		return err
	}
	if !dryRun {
		// The configured providers and static clients first: an
		// upstream row with the same ID then keeps the configured one.
		if _, err := a.SyncConfig(ctx, false, false); err != nil {
			return err
		}
	}
	src, err := sql.Open("pgx", from)
	if err != nil {
		return fmt.Errorf("upstream's database: %w", err)
	}
	defer src.Close()
	summary, err := runImport(ctx, g, a, true, src, "", dryRun)
	if err != nil {
		return err
	}
	printImportSummary(g.stdout, summary)
	return nil
}

// importInPlace converts upstream's database into ours: upstream's tables
// into a backup schema, ours created, the rows copied over.
func importInPlace(ctx context.Context, g *globals, a *app.App, dryRun bool) error {
	if a.Config.Database.Backend() != config.BackendPostgres {
		return errors.New("--in-place needs database.uri to be upstream MAS's PostgreSQL database")
	}
	h, ok := a.Store.(interface{ DB() *sql.DB })
	if !ok {
		return fmt.Errorf("the %s store gives no database handle", a.Store.Backend())
	}
	db := h.DB()
	up, err := importupstream.DetectUpstream(ctx, db)
	if err != nil {
		return err
	}
	g.logger.Info(fmt.Sprintf("schema %q holds upstream MAS's tables (%d migrations, the latest %d)", up.Schema, up.Applied, up.Latest))
	if dryRun {
		// Nothing of ours exists yet to load into: read and check every
		// row where it is, change nothing.
		summary, err := runImport(ctx, g, a, false, db, up.Schema, true)
		if err != nil {
			return err
		}
		printImportSummary(g.stdout, summary)
		return nil
	}

	name, err := importupstream.BackupName(ctx, db, time.Now())
	if err != nil {
		return err
	}
	backup, err := importupstream.MoveAside(ctx, db, up, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "Moved upstream MAS's %d tables from schema %q to schema %q.\n", len(backup.Moved), backup.Home, backup.Schema)
	undo := func(cause error) error {
		if err := printRollback(ctx, g.stdout, db, backup); err != nil {
			return errors.Join(cause, err)
		}
		return cause
	}
	if _, err := a.Migrate(ctx); err != nil {
		return undo(err)
	}
	if _, err := a.SyncConfig(ctx, false, false); err != nil {
		return undo(err)
	}
	summary, err := runImport(ctx, g, a, true, db, backup.Schema, false)
	if err != nil {
		return undo(err)
	}
	printImportSummary(g.stdout, summary)
	return undo(nil)
}

// runImport imports into a's store (with intoStore; otherwise it reads
// and checks only), reporting progress on standard error as syn2mas does.
func runImport(ctx context.Context, g *globals, a *app.App, intoStore bool, src *sql.DB, schema string, dryRun bool) (importupstream.Summary, error) {
	opts := importupstream.Options{
		Source:   src,
		Schema:   schema,
		DryRun:   dryRun,
		Decrypt:  a.Encrypter.Decrypt,
		Progress: syn2mas.NewReporter(g.stderr, isTerminal(g.stderr), "importing", importupstream.Nouns),
		Logger:   g.logger,
	}
	if intoStore {
		opts.Dest = a.Store
	}
	if dryRun {
		g.logger.Info("Starting the import from upstream MAS (dry run: nothing will be kept)")
	} else {
		g.logger.Info("Starting the import from upstream MAS")
	}
	summary, err := importupstream.Import(ctx, opts)
	if err != nil {
		return summary, fmt.Errorf("import failed, nothing was imported: %w", err)
	}
	return summary, nil
}

func printImportSummary(w io.Writer, s importupstream.Summary) {
	skipped := ""
	if s.Skipped > 0 {
		skipped = fmt.Sprintf(" (%d skipped, reported above)", s.Skipped)
	}
	if s.DryRun {
		fmt.Fprintf(w, "Dry run completed in %.1fs, nothing kept: would have imported %d rows from upstream MAS%s.\n",
			s.Duration.Seconds(), s.Imported, skipped)
		return
	}
	fmt.Fprintf(w, "Import completed in %.1fs: %d rows imported from upstream MAS%s.\n", s.Duration.Seconds(), s.Imported, skipped)
}

// printRollback prints how to go back to upstream MAS after an in-place
// import (or a failed one).
func printRollback(ctx context.Context, w io.Writer, db *sql.DB, b *importupstream.Backup) error {
	stmts, err := b.Rollback(ctx, db)
	if err != nil {
		return fmt.Errorf("listing the rollback statements: %w (upstream's tables are in schema %q)", err, b.Schema)
	}
	fmt.Fprintf(w, "\nUpstream MAS's tables are kept, unchanged, in schema %q. To go back to upstream MAS, stop this\n"+
		"service and run these statements on the database (psql -v ON_ERROR_STOP=1 -f rollback.sql):\n\n", b.Schema)
	fmt.Fprintln(w, strings.Join(stmts, "\n"))
	fmt.Fprintf(w, "\nOnce this service runs as it should, the backup can go: DROP SCHEMA %q CASCADE;\n", b.Schema)
	return nil
}

// redactDSN hides a password in a connection URI for messages.
func redactDSN(s string) string {
	if i := strings.Index(s, "@"); i > 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "…@" + s[i+1:]
		}
	}
	return s
}
