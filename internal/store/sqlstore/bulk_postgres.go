package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"mas/internal/store"
)

// pgBulk writes rows with COPY, through the pgx connection under the
// load's database/sql connection: the same session, so the same
// transaction.
type pgBulk struct {
	conn *sql.Conn
	tx   *sql.Tx
}

// start takes an advisory lock for the transaction, released by the
// commit or rollback (being transaction-scoped, it also holds behind a
// transaction-mode pooler, unlike the migration lock). It also gives the index builds at least 256 MB
// of memory for the transaction: with the default 64 MB, sorting a few
// million keys spills to disk and takes over twice as long.
func (p *pgBulk) start(ctx context.Context, name string) error {
	var ok bool
	if err := p.tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock(hashtext($1))`, name).Scan(&ok); err != nil {
		return fmt.Errorf("bulk load: taking the lock %q: %w", name, err)
	}
	if !ok {
		return fmt.Errorf("bulk load: %w: %q", store.ErrLocked, name)
	}
	_, err := p.tx.ExecContext(ctx, `SELECT set_config('maintenance_work_mem', '256MB', true)
		FROM pg_settings WHERE name = 'maintenance_work_mem' AND setting::bigint < 256 * 1024`)
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	return nil
}

// indexes reads the indexes of table in the current schema that no
// constraint owns or depends on: a primary key or unique constraint owns
// its index (conindid), and a foreign key names the unique index on the
// referenced columns there too.
func (p *pgBulk) indexes(ctx context.Context, table string) ([]bulkObject, error) {
	return catalogObjects(ctx, p.tx, "index", `
		SELECT ic.relname, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		JOIN pg_class ic ON ic.oid = i.indexrelid
		JOIN pg_class tc ON tc.oid = i.indrelid
		JOIN pg_namespace n ON n.oid = tc.relnamespace
		WHERE n.nspname = current_schema() AND tc.relname = $1
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY ic.relname`, table,
		func(name, def string) (string, string) { return `DROP INDEX ` + quoteIdent(name), def })
}

// deferForeignKeys reads the foreign keys of table in the current schema,
// for the load to drop and add back.
func (p *pgBulk) deferForeignKeys(ctx context.Context, table string) ([]bulkObject, error) {
	return catalogObjects(ctx, p.tx, "constraint", `
		SELECT c.conname, pg_get_constraintdef(c.oid)
		FROM pg_constraint c
		JOIN pg_class tc ON tc.oid = c.conrelid
		JOIN pg_namespace n ON n.oid = tc.relnamespace
		WHERE n.nspname = current_schema() AND tc.relname = $1 AND c.contype = 'f'
		ORDER BY c.conname`, table,
		func(name, def string) (string, string) {
			alter := `ALTER TABLE ` + table + ` `
			return alter + `DROP CONSTRAINT ` + quoteIdent(name), alter + `ADD CONSTRAINT ` + quoteIdent(name) + ` ` + def
		})
}

// write sends the rows with COPY FROM STDIN in pgx's binary format, which
// encodes time.Time for timestamptz itself (at microsecond precision, as
// the repositories bind them).
func (p *pgBulk) write(ctx context.Context, table string, columns []string, rows [][]any) error {
	return p.conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", driverConn)
		}
		n, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		if err != nil {
			return err
		}
		if n != int64(len(rows)) {
			return fmt.Errorf("COPY wrote %d rows of %d", n, len(rows))
		}
		return nil
	})
}

// checkForeignKeys has nothing left to do: adding a key back checked it.
func (*pgBulk) checkForeignKeys(context.Context, string, func(string)) error { return nil }

func (*pgBulk) close() {}
