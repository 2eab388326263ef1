package importupstream

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"mas/internal/store"
	"mas/internal/syn2mas"
)

// Options configure Import.
type Options struct {
	// Source is upstream MAS's database (PostgreSQL, through pgx).
	Source *sql.DB
	// Schema is the schema that holds upstream's tables; "" means the
	// connection's current schema.
	Schema string
	// Dest is this service's store, migrated; it must implement
	// store.Bulk. Nil only checks: every row is read, converted and
	// checked, and nothing is written (the in-place form's dry run, for
	// which no destination exists yet).
	Dest store.Store
	// DryRun does everything, then rolls the destination back.
	DryRun bool
	// Decrypt opens a value encrypted with this service's
	// secrets.encryption. Upstream's encrypted values are copied as they
	// are, so they must open with it: one is tried before anything is
	// written. Nil skips the check.
	Decrypt func(string) ([]byte, error)
	// Progress hears how the import goes (nil: nothing).
	Progress syn2mas.Progress
	Logger   *slog.Logger
	// BatchSize is the number of rows per write (default 2000).
	BatchSize int
}

// Summary is what an import did (or, in a dry run, would have done).
type Summary struct {
	Stages   []syn2mas.StageSummary
	Imported int64
	Skipped  int64
	Duration time.Duration
	DryRun   bool
}

// NotEmptyError is Import's refusal of a destination that holds data,
// in syn2mas's words.
type NotEmptyError = syn2mas.NotEmptyError

// Import copies upstream's data into the destination, in one snapshot of
// the source and one transaction of the destination.
func Import(ctx context.Context, opts Options) (Summary, error) {
	start := time.Now()
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Progress == nil {
		opts.Progress = syn2mas.NopProgress{}
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 2000
	}
	r := &run{opts: opts, log: opts.Logger, decided: map[string]string{}, skipped: map[string]struct{}{},
		configured: map[string]map[string]bool{}}
	var dest destination = discard{}
	if opts.Dest != nil {
		bulk, ok := opts.Dest.(store.Bulk)
		if !ok {
			return Summary{}, fmt.Errorf("the %s store cannot load in bulk", opts.Dest.Backend())
		}
		dest = bulk
		if err := r.checkDestination(ctx, bulk); err != nil {
			return Summary{}, err
		}
	}

	conn, err := opts.Source.Conn(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("connecting to upstream's database: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("upstream's database must be PostgreSQL (pgx), not %T", dc)
		}
		return r.importFrom(ctx, pc.Conn(), dest)
	})
	r.summary.Duration = time.Since(start)
	r.summary.DryRun = opts.DryRun || opts.Dest == nil
	return r.summary, err
}

// run is one import.
type run struct {
	opts Options
	log  *slog.Logger
	src  *source
	// decided holds the rows ruled out before the load (reported
	// already), by ID, with the reason.
	decided map[string]string
	// skipped holds the IDs of every row not imported: rows pointing at
	// them are not imported either.
	skipped map[string]struct{}
	// configured holds, per table, the IDs of rows config sync already
	// wrote here: the destination's row is kept.
	configured map[string]map[string]bool
	summary    Summary
}

func (r *run) decide(id, reason string) { r.decided[id] = reason }

// checkDestination refuses a destination that holds data, as syn2mas
// does, except what config sync writes there (static clients and
// upstream providers), which is kept.
func (r *run) checkDestination(ctx context.Context, bulk store.Bulk) error {
	var check []string
	for _, t := range tables {
		if t.name != "oauth2_clients" && t.name != "upstream_oauth_providers" {
			check = append(check, t.name)
		}
	}
	table, err := bulk.FirstNonEmpty(ctx, check)
	if err != nil {
		return fmt.Errorf("checking that the MAS database is empty: %w", err)
	}
	if table == "" {
		if table, err = dynamicClients(ctx, r.opts.Dest); err != nil {
			return err
		}
	}
	if table != "" {
		return &NotEmptyError{Table: table}
	}
	clients, err := r.opts.Dest.Clients().ListStatic(ctx)
	if err != nil {
		return fmt.Errorf("reading the configured clients: %w", err)
	}
	providers, err := r.opts.Dest.UpstreamProviders().List(ctx)
	if err != nil {
		return fmt.Errorf("reading the configured upstream providers: %w", err)
	}
	r.configured["oauth2_clients"] = map[string]bool{}
	for _, c := range clients {
		r.configured["oauth2_clients"][c.ID.String()] = true
	}
	r.configured["upstream_oauth_providers"] = map[string]bool{}
	for _, p := range providers {
		r.configured["upstream_oauth_providers"][p.ID.String()] = true
	}
	return nil
}

// dynamicClients returns "oauth2_clients" when the destination holds a
// client that config sync did not write.
func dynamicClients(ctx context.Context, s store.Store) (string, error) {
	h, ok := s.(interface{ DB() *sql.DB })
	if !ok {
		return "", nil
	}
	var one int
	err := h.DB().QueryRowContext(ctx, `SELECT 1 FROM oauth2_clients WHERE is_static = FALSE LIMIT 1`).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("checking that the MAS database is empty: %w", err)
	}
	return "oauth2_clients", nil
}

func (r *run) importFrom(ctx context.Context, conn *pgx.Conn, dest destination) error {
	src, err := openSnapshot(ctx, conn, r.opts.Schema)
	if err != nil {
		return err
	}
	defer src.close(ctx)
	r.src = src
	if err := src.check(ctx); err != nil {
		return err
	}
	if err := r.checkEncryption(ctx); err != nil {
		return err
	}
	for _, decide := range []func(context.Context) error{r.decideUsernames, r.decideEmails, r.decidePersonalTokens} {
		if err := decide(ctx); err != nil {
			return err
		}
	}
	opts := store.BulkOptions{Tables: Tables(), DryRun: r.opts.DryRun, LockName: syn2mas.LockName, Progress: r.opts.Progress.Step}
	err = dest.BulkLoad(ctx, opts, func(w store.BulkWriter) error {
		for _, t := range tables {
			if err := r.load(ctx, t, w); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrLocked) {
		return errors.New("another import (syn2mas or import-upstream) is writing to the MAS database; try again once it has finished")
	}
	return err
}

// checkEncryption opens one of upstream's encrypted values with this
// service's secret.
func (r *run) checkEncryption(ctx context.Context) error {
	if r.opts.Decrypt == nil {
		return nil
	}
	for _, t := range []string{"oauth2_clients", "upstream_oauth_providers"} {
		var id uuid
		var value string
		err := r.src.tx.QueryRow(ctx, `SELECT `+pgx.Identifier{tableNamed(t).cols[0].src}.Sanitize()+`, encrypted_client_secret FROM `+
			r.src.qualified(t)+` WHERE encrypted_client_secret IS NOT NULL LIMIT 1`).Scan(&id, &value)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading an encrypted value of %s: %w", t, err)
		}
		if _, err := r.opts.Decrypt(value); err != nil {
			return fmt.Errorf("secrets.encryption of this service's configuration does not decrypt upstream's encrypted values "+
				"(the client secret of %s %s: %v): configure upstream MAS's secrets.encryption here, or confidential clients and "+
				"upstream providers stop working; nothing was imported", tableNamed(t).one, id, err)
		}
		return nil
	}
	return nil
}

// load copies one table.
func (r *run) load(ctx context.Context, t *table, w store.BulkWriter) error {
	stage := syn2mas.StageSummary{Entity: t.name, Skipped: map[string]int64{}}
	started := time.Now()
	if !r.src.has(t.name) {
		r.log.Info(fmt.Sprintf("upstream's database has no %s table (an older release): nothing to import there", t.name))
		r.done(stage, started)
		return nil
	}
	approx, err := r.src.estimate(ctx, t.name)
	if err != nil {
		return err
	}
	r.opts.Progress.Stage(t.name, approx)
	cols := t.dsts()
	batch := make([][]any, 0, r.opts.BatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := w.Write(ctx, t.name, cols, batch); err != nil {
			return err
		}
		batch = make([][]any, 0, r.opts.BatchSize)
		r.opts.Progress.Update(t.name, stage.Migrated, stage.SkippedTotal())
		return nil
	}
	err = r.src.each(ctx, t, func(v []any) error {
		row, reason, err := r.row(t, v)
		if err != nil {
			return err
		}
		if reason != "" {
			stage.Skipped[reason]++
			return nil
		}
		stage.Migrated++
		batch = append(batch, row)
		if len(batch) == r.opts.BatchSize {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	r.done(stage, started)
	return nil
}

func (r *run) done(stage syn2mas.StageSummary, started time.Time) {
	stage.Duration = time.Since(started)
	r.opts.Progress.Done(stage)
	r.summary.Stages = append(r.summary.Stages, stage)
	r.summary.Imported += stage.Migrated
	r.summary.Skipped += stage.SkippedTotal()
}

// row decides the fate of one row: the row to write, or why it is not
// imported.
func (r *run) row(t *table, v []any) ([]any, string, error) {
	var pk string
	if t.pk {
		pk, _ = v[0].(string)
		if reason, ok := r.decided[pk]; ok {
			r.skipped[pk] = struct{}{}
			return nil, reason, nil
		}
	}
	for i, c := range t.cols {
		if c.ref == "" || v[i] == nil {
			continue
		}
		if _, out := r.skipped[v[i].(string)]; out {
			parent := tableNamed(c.ref).one
			r.skip(pk)
			r.log.Debug("row not imported: it belongs to a row that is not imported", "table", t.name, "id", pk,
				"column", c.dst, "parent", parent, "parent_id", v[i])
			return nil, reasonParentSkipped + parent, nil
		}
	}
	if check := rowChecks[t.name]; check != nil {
		if reason, report := check(v); reason != "" {
			r.skip(pk)
			r.log.Warn(report, "table", t.name, "id", pk)
			return nil, reason, nil
		}
	}
	if r.configured[t.name][pk] {
		r.log.Info(fmt.Sprintf("%s %s is already configured here: the configured one is kept", t.one, pk), "table", t.name)
		return nil, reasonConfigured, nil
	}
	if t.build == nil {
		return values{t.cols, v}.written(), "", nil
	}
	row, warnings, err := t.build(values{t.cols, v})
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", t.one, pk, err)
	}
	for _, w := range warnings {
		r.log.Warn(fmt.Sprintf("%s %s imported, but %s", t.one, pk, w), "table", t.name, "id", pk)
	}
	return row, "", nil
}

func (r *run) skip(pk string) {
	if pk != "" {
		r.skipped[pk] = struct{}{}
	}
}

// destination is where rows go: a store.Bulk, or nowhere (discard).
type destination interface {
	BulkLoad(ctx context.Context, opts store.BulkOptions, fn func(store.BulkWriter) error) error
}

// discard reads and checks everything and writes nothing.
type discard struct{}

func (discard) BulkLoad(_ context.Context, _ store.BulkOptions, fn func(store.BulkWriter) error) error {
	return fn(discard{})
}

func (discard) Write(context.Context, string, []string, [][]any) error { return nil }

func (discard) Exec(context.Context, string, ...any) error { return nil }
