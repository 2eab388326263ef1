package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrUpstreamSchema is wrapped by the error Migrate and CheckSchemaOwner
// return when the database holds upstream MAS's schema (the Rust service).
// Both services use the same table names with different column types and
// different migration ledgers, so neither can run on the other's schema.
var ErrUpstreamSchema = errors.New("the database holds upstream MAS's schema")

// ErrForeignSchema is wrapped by the error Migrate and CheckSchemaOwner
// return when the schema holds another application's tables and nothing of
// this service's.
var ErrForeignSchema = errors.New("the database holds another application's tables")

const (
	ourLedger      = "mas_migrations"
	upstreamLedger = "_sqlx_migrations"
)

// upstreamMarkers are tables that, next to a "users" table and without a
// ledger of ours, mark upstream's schema even when its ledger is gone
// (a partial dump, a restore of the data tables only).
var upstreamMarkers = []string{"user_sessions", "oauth2_sessions", "oauth2_clients", "compat_sessions", "queue_jobs"}

// CheckSchemaOwner tells, without changing anything, whether the database
// belongs to upstream MAS or to another application (an error wrapping
// ErrUpstreamSchema or ErrForeignSchema). `server --no-migrate` needs it:
// on such a database every migration looks pending, and "run `mas-cli
// database migrate`" would be the wrong advice.
func (s *Store) CheckSchemaOwner(ctx context.Context) error {
	sv, err := surveySchema(ctx, s.DB())
	if err != nil {
		return err
	}
	return sv.conflict()
}

// ledgerSummary is what a migration ledger records.
type ledgerSummary struct {
	rows    int64
	applied int64 // rows that record a successful migration
	latest  int64 // highest successful version; 0 when none
	readErr error // the ledger exists but could not be read
}

// schemaSurvey is what the current schema holds. Only the current schema
// counts: it is where our migrations create their tables and where their
// names would collide, so another application in another schema of the
// same database is not in the way.
type schemaSurvey struct {
	schema   string // "" when no schema of the search_path exists
	ours     *ledgerSummary
	upstream *ledgerSummary
	tables   []string // every other table or view, sorted
}

// beginner is *sql.Conn (the migration connection, which holds the
// advisory lock) or *sql.DB.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// surveySchema reads the catalog and the ledgers in a read-only
// transaction, so that the survey itself cannot create or alter anything
// even by mistake: on a database that is not ours, the promise is that
// nothing was changed.
func surveySchema(ctx context.Context, db beginner) (schemaSurvey, error) {
	var sv schemaSurvey
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return sv, fmt.Errorf("postgres: inspecting the schema: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep

	var schema sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return sv, fmt.Errorf("postgres: inspecting the schema: %w", err)
	}
	if !schema.Valid {
		// Nothing to inspect; the first CREATE TABLE reports the
		// search_path problem better than we could.
		return sv, nil
	}
	sv.schema = schema.String

	// Relations that belong to an extension (PostGIS's spatial_ref_sys,
	// say) come with CREATE EXTENSION, not with another application.
	rows, err := tx.QueryContext(ctx, `
		SELECT c.relname
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1
		  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		  AND NOT EXISTS (
		      SELECT 1 FROM pg_catalog.pg_depend d
		      WHERE d.classid = 'pg_catalog.pg_class'::regclass
		        AND d.objid = c.oid AND d.deptype = 'e')
		ORDER BY c.relname`, sv.schema)
	if err != nil {
		return sv, fmt.Errorf("postgres: listing the tables of schema %q: %w", sv.schema, err)
	}
	var hasOurs, hasUpstream bool
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return sv, fmt.Errorf("postgres: listing the tables of schema %q: %w", sv.schema, err)
		}
		switch name {
		case ourLedger:
			hasOurs = true
		case upstreamLedger:
			hasUpstream = true
		default:
			sv.tables = append(sv.tables, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sv, fmt.Errorf("postgres: listing the tables of schema %q: %w", sv.schema, err)
	}

	if hasOurs {
		sv.ours = &ledgerSummary{}
		q := `SELECT count(*) FROM ` + pgx.Identifier{sv.schema, ourLedger}.Sanitize()
		if err := tx.QueryRowContext(ctx, q).Scan(&sv.ours.rows); err != nil {
			return sv, fmt.Errorf("postgres: reading %s: %w", ourLedger, err)
		}
		sv.ours.applied = sv.ours.rows
	}
	// Read last: a failure aborts the transaction, and the ledger's
	// existence is already known, which is what the decision rests on.
	if hasUpstream {
		sv.upstream = &ledgerSummary{}
		q := `SELECT count(*), count(*) FILTER (WHERE success), coalesce(max(version) FILTER (WHERE success), 0)
			FROM ` + pgx.Identifier{sv.schema, upstreamLedger}.Sanitize()
		err := tx.QueryRowContext(ctx, q).Scan(&sv.upstream.rows, &sv.upstream.applied, &sv.upstream.latest)
		if err != nil {
			if ctx.Err() != nil {
				return sv, fmt.Errorf("postgres: reading %s: %w", upstreamLedger, err)
			}
			sv.upstream.readErr = err
		}
	}
	return sv, nil
}

// conflict decides whether migrating may go on. Nil means it may: the
// schema is empty (extensions aside) or holds this service's ledger.
//
// Without a ledger of ours, any table in the schema means the schema is
// someone else's, and we refuse rather than add our tables next to them:
// the first CREATE TABLE would either collide half-way through (leaving a
// ledger behind, the failure this check exists to prevent) or succeed and
// mix two applications' tables in one namespace, where a later migration
// of either could collide or a clean-up job could delete the other's rows.
// An operator who really wants to share a database can give this service
// a schema of its own through the search_path; only the current schema is
// looked at.
func (sv schemaSurvey) conflict() error {
	oursInUse := sv.ours != nil && sv.ours.rows > 0
	upstreamInUse := sv.upstream != nil && (sv.upstream.readErr != nil || sv.upstream.applied > 0)
	switch {
	case oursInUse && !upstreamInUse:
		// An upstream ledger that records nothing next to ours is what
		// upstream leaves when it is started on our database by mistake:
		// it creates its ledger, then fails its first migration. Nothing
		// of upstream's is there, and the table is not ours to drop.
		return nil
	case oursInUse:
		return &schemaConflictError{kind: ErrUpstreamSchema, survey: sv}
	case sv.upstream != nil || sv.upstreamShaped():
		return &schemaConflictError{kind: ErrUpstreamSchema, survey: sv}
	case len(sv.tables) > 0:
		return &schemaConflictError{kind: ErrForeignSchema, survey: sv}
	}
	return nil
}

func (sv schemaSurvey) upstreamShaped() bool {
	if !sv.has("users") {
		return false
	}
	for _, m := range upstreamMarkers {
		if sv.has(m) {
			return true
		}
	}
	return false
}

func (sv schemaSurvey) has(table string) bool {
	for _, t := range sv.tables {
		if t == table {
			return true
		}
	}
	return false
}

// schemaConflictError is the operator-facing refusal: what was found, why
// it stops, that nothing changed, and what to do instead.
type schemaConflictError struct {
	kind   error
	survey schemaSurvey
}

func (e *schemaConflictError) Unwrap() error { return e.kind }

const nothingChanged = "Nothing was changed: no table, schema, extension or migration record was created or altered."

func (e *schemaConflictError) Error() string {
	sv := e.survey
	var b strings.Builder
	if e.kind == ErrForeignSchema {
		fmt.Fprintf(&b, "schema %q of this database already holds tables of another application (%s) and no record of this service's migrations (%s)", sv.schema, nameSome(sv.tables, 5), ourLedger)
		b.WriteString("; this service only creates its tables in an empty schema, so that it can never collide with or change another application's data.\n")
		b.WriteString(nothingChanged + "\n")
		b.WriteString("Give this service a new, empty database of its own (database.uri).")
		e.writeOurDebris(&b)
		return b.String()
	}

	b.WriteString("this database is used by upstream MAS (the Rust Matrix Authentication Service), and this service cannot share a database with upstream MAS.\n")
	fmt.Fprintf(&b, "Found in schema %q: ", sv.schema)
	switch {
	case sv.upstream != nil && sv.ours != nil && sv.ours.rows > 0:
		fmt.Fprintf(&b, "upstream's migration ledger %s %s, and this service's own ledger %s recording %d migration(s): both have migrated this database.\n",
			upstreamLedger, describeUpstreamLedger(sv.upstream), ourLedger, sv.ours.rows)
	case sv.upstream != nil:
		fmt.Fprintf(&b, "upstream's migration ledger %s %s", upstreamLedger, describeUpstreamLedger(sv.upstream))
		if len(sv.tables) > 0 {
			fmt.Fprintf(&b, ", and %d other table(s) (%s)", len(sv.tables), nameSome(sv.tables, 5))
		}
		b.WriteString(".\n")
	default:
		fmt.Fprintf(&b, "upstream MAS's tables (%s) without a migration ledger, neither upstream's (%s) nor this service's (%s).\n",
			nameSome(sv.tables, 5), upstreamLedger, ourLedger)
	}
	b.WriteString(nothingChanged + "\n")
	b.WriteString("Give this service a new, empty database (database.uri) and copy this one into it with `mas-cli database import-upstream` (--from <this database's URI>), or convert this one where it is (--in-place).")
	e.writeOurDebris(&b)
	return b.String()
}

// writeOurDebris explains an empty ledger of ours: earlier versions of
// this service created it before failing on such a database, and an
// operator would otherwise wonder whether it matters.
func (e *schemaConflictError) writeOurDebris(b *strings.Builder) {
	if e.survey.ours != nil && e.survey.ours.rows == 0 {
		fmt.Fprintf(b, "\nThe empty table %s was left by an earlier version of this service that failed on this database; it records nothing and may be dropped.", ourLedger)
	}
}

func describeUpstreamLedger(l *ledgerSummary) string {
	switch {
	case l.readErr != nil:
		return fmt.Sprintf("(which could not be read: %v)", l.readErr)
	case l.applied == 0:
		return "recording no applied migration"
	case l.rows != l.applied:
		return fmt.Sprintf("recording %d applied migration(s), the latest %d (and %d failed)", l.applied, l.latest, l.rows-l.applied)
	default:
		return fmt.Sprintf("recording %d applied migration(s), the latest %d", l.applied, l.latest)
	}
}

// nameSome lists up to n names and counts the rest.
func nameSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
