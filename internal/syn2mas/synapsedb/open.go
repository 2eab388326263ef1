package synapsedb

import (
	"context"
	"fmt"
)

// applicationName is how the snapshot shows in pg_stat_activity, as
// upstream's reader.
const applicationName = "syn2mas-synapse"

// Open starts the snapshot: one read-only transaction, with every table of
// Tables locked (shared or exclusive, see Options.Shared) before the first
// row is read. Close releases it.
//
// A Source runs one query at a time: fn must not call the Source.
func Open(ctx context.Context, opts Options) (Source, error) {
	switch opts.Driver {
	case "postgres":
		return openPostgres(ctx, opts)
	case "sqlite":
		return openSQLite(ctx, opts)
	default:
		return nil, fmt.Errorf("synapsedb: unsupported driver %q (want postgres or sqlite)", opts.Driver)
	}
}

// lockError is upstream's text for a table that could not be locked; on
// SQLite, where locks cover the whole file, it names the first table.
func lockError(table string, err error) error {
	return fmt.Errorf("database error whilst locking Synapse table `%s`: %w", table, err)
}

// knownTable guards the table names spliced into statements.
func knownTable(table string) error {
	for _, t := range Tables {
		if t == table {
			return nil
		}
	}
	return fmt.Errorf("synapsedb: %q is not a table syn2mas reads", table)
}

// lockedColumnMissing explains a Synapse schema from before the users.locked
// column (schema 80), which upstream's users query needs.
func lockedColumnMissing() error {
	return fmt.Errorf("the Synapse database has no users.locked column: its schema is older than this migration supports; " +
		"upgrade Synapse to a current release and start it once, so that it updates its database, then try again")
}
