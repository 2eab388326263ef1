package synapsegen

import (
	"context"
	"embed"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Target is the database Generate fills.
type Target struct {
	// Driver is "postgres" or "sqlite", as synapsedb.Options.
	Driver string
	// DSN is a postgres:// URI of a database without these tables, or
	// the path of an SQLite file that does not exist yet.
	DSN string
	// Log, when set, hears about each phase and how long it took.
	Log func(format string, args ...any)
}

// Generate creates the six tables in the target and fills them with the
// homeserver opts describe: the rows of Plan(0) … Plan(opts.Users-1).
// Tables are created bare, loaded by several workers at once (COPY on
// PostgreSQL, multi-row INSERTs in one transaction on SQLite), and only
// then given their constraints and indexes; PostgreSQL's are then
// ANALYZEd, as autovacuum would have done on a live homeserver.
func Generate(ctx context.Context, t Target, opts Options) (*Summary, error) {
	g, err := New(opts)
	if err != nil {
		return nil, err
	}
	if t.Log == nil {
		t.Log = func(string, ...any) {}
	}
	switch t.Driver {
	case "postgres":
		return g.postgres(ctx, t)
	case "sqlite":
		return g.sqlite(ctx, t)
	default:
		return nil, fmt.Errorf("synapsegen: unsupported driver %q (want postgres or sqlite)", t.Driver)
	}
}

//go:embed schema/postgres.sql schema/sqlite.sql
var schemaFiles embed.FS

// Schema is the fixture's DDL for driver ("postgres" or "sqlite"): the six
// tables as Synapse has them, with their constraints and indexes.
func Schema(driver string) (string, error) {
	b, err := schemaFiles.ReadFile("schema/" + driver + ".sql")
	if err != nil {
		return "", fmt.Errorf("synapsegen: no schema for driver %q", driver)
	}
	return string(b), nil
}

// phases splits the schema into its "-- phase:" sections, as statements.
func phases(driver string) (map[string][]string, error) {
	text, err := Schema(driver)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	phase := ""
	var stmt strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if p, ok := strings.CutPrefix(line, "-- phase: "); ok {
			phase = p
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		stmt.WriteString(line)
		stmt.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			out[phase] = append(out[phase], strings.TrimSpace(stmt.String()))
			stmt.Reset()
		}
	}
	return out, nil
}

// chunkUsers is how many users a worker plans before loading them.
const chunkUsers = 4000

// loader loads the chunks of one worker.
type loader interface {
	// encoders returns the worker's encoders, empty.
	encoders() [6]encoder
	// load writes what the encoders hold.
	load(ctx context.Context, enc [6]encoder) error
}

// fillAll plans every user, on as many workers as loaders, and has each
// worker's loader write its chunks.
func (g *Generator) fillAll(ctx context.Context, loaders []loader) (*Summary, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		total    Summary
	)
	for _, l := range loaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var st state
			var rows Rows
			var sum Summary
			err := func() error {
				for {
					start := int(next.Add(1)-1) * chunkUsers
					if start >= g.opts.Users {
						return nil
					}
					if err := ctx.Err(); err != nil {
						return err
					}
					enc := l.encoders()
					for i := start; i < min(start+chunkUsers, g.opts.Users); i++ {
						g.fill(&st, i, &rows)
						sum.add(&rows)
						encode(&rows, enc)
					}
					if err := l.load(ctx, enc); err != nil {
						return err
					}
				}
			}()
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
				cancel()
			}
			total.merge(&sum)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if total.ExternalIDs == nil {
		total.ExternalIDs = map[string]int64{}
	}
	return &total, nil
}

// workers is how many chunks are planned (and, on PostgreSQL, loaded) at
// once: planning and loading take turns on each, so twice the CPUs.
func workers() int { return min(2*runtime.GOMAXPROCS(0), 8) }

// timed runs a phase and logs its duration.
func timed(t Target, what string, fn func() error) error {
	began := time.Now()
	if err := fn(); err != nil {
		return fmt.Errorf("synapsegen: %s: %w", what, err)
	}
	t.Log("%s: %s", what, time.Since(began).Round(time.Millisecond))
	return nil
}
