package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
)

// Migration is one embedded schema change.
type Migration struct {
	Version string // file name without .sql, e.g. "0001_users"
	SQL     string
}

// LoadMigrations reads every *.sql file of dir in fsys, ordered by name.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Version: strings.TrimSuffix(e.Name(), ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// ApplyMigrations applies the migrations not yet recorded in
// mas_migrations, each in its own transaction together with its record, on
// the given connection. Callers serialise concurrent runs (an advisory
// lock on PostgreSQL, the write lock on SQLite) before calling it. It
// returns the versions it applied.
func ApplyMigrations(ctx context.Context, conn *sql.Conn, d Dialect, migrations []Migration, now time.Time) ([]string, error) {
	create := `CREATE TABLE IF NOT EXISTS mas_migrations (
		version TEXT PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return nil, fmt.Errorf("creating mas_migrations: %w", err)
	}
	var applied []string
	for _, m := range migrations {
		done, err := applyOne(ctx, conn, m, now)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

func applyOne(ctx context.Context, conn *sql.Conn, m Migration, now time.Time) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migration %s: begin: %w", m.Version, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	var exists int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM mas_migrations WHERE version = $1`, m.Version).Scan(&exists)
	if err != nil {
		return false, fmt.Errorf("migration %s: %w", m.Version, err)
	}
	if exists > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("migration %s: %w", m.Version, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO mas_migrations (version, applied_at) VALUES ($1, $2)`, m.Version, now.Unix()); err != nil {
		return false, fmt.Errorf("migration %s: recording: %w", m.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migration %s: commit: %w", m.Version, err)
	}
	return true, nil
}

// MigrateRiver applies the job queue's own migrations and names the ones
// it applied "river_NNN", next to the versions ApplyMigrations returns.
func MigrateRiver(ctx context.Context, driver riverdriver.Driver[*sql.Tx]) ([]string, error) {
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return nil, err
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, err
	}
	applied := make([]string, 0, len(res.Versions))
	for _, v := range res.Versions {
		applied = append(applied, fmt.Sprintf("river_%03d", v.Version))
	}
	return applied, nil
}

// Pending lists the versions not yet applied (used by health checks and
// by `server --no-migrate` to refuse an outdated schema).
func Pending(ctx context.Context, db *sql.DB, migrations []Migration) ([]string, error) {
	var tableCount int
	rows, err := db.QueryContext(ctx, `SELECT version FROM mas_migrations`)
	if err != nil {
		// No table yet: everything is pending.
		out := make([]string, 0, len(migrations))
		for _, m := range migrations {
			out = append(out, m.Version)
		}
		return out, nil //nolint:nilerr // a missing table means nothing applied
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		have[v] = true
		tableCount++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []string
	for _, m := range migrations {
		if !have[m.Version] {
			out = append(out, m.Version)
		}
	}
	return out, nil
}
