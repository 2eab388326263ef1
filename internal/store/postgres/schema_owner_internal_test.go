package postgres

import (
	"errors"
	"strings"
	"testing"
)

// TestSchemaConflictDecision covers the decision table without a server;
// the PostgreSQL tests check the survey that feeds it.
func TestSchemaConflictDecision(t *testing.T) {
	upstreamTables := []string{"compat_sessions", "oauth2_clients", "oauth2_sessions", "queue_jobs", "user_emails", "user_passwords", "user_sessions", "users"}
	tests := []struct {
		name   string
		survey schemaSurvey
		want   error // nil, ErrUpstreamSchema or ErrForeignSchema
		says   []string
	}{
		{name: "no current schema", survey: schemaSurvey{}},
		{name: "empty schema", survey: schemaSurvey{schema: "public"}},
		{name: "our empty ledger only", survey: schemaSurvey{schema: "public", ours: &ledgerSummary{}}},
		{
			name:   "ours",
			survey: schemaSurvey{schema: "public", ours: &ledgerSummary{rows: 7, applied: 7}, tables: []string{"users", "user_sessions", "river_job"}},
		},
		{
			name:   "ours with upstream's empty ledger",
			survey: schemaSurvey{schema: "public", ours: &ledgerSummary{rows: 7, applied: 7}, upstream: &ledgerSummary{}, tables: []string{"users"}},
		},
		{
			name:   "ours with upstream's ledger recording only failures",
			survey: schemaSurvey{schema: "public", ours: &ledgerSummary{rows: 7, applied: 7}, upstream: &ledgerSummary{rows: 1}},
		},
		{
			name:   "ours with upstream's populated ledger",
			survey: schemaSurvey{schema: "public", ours: &ledgerSummary{rows: 7, applied: 7}, upstream: &ledgerSummary{rows: 3, applied: 3, latest: 20220530084123}},
			want:   ErrUpstreamSchema,
			says:   []string{"both have migrated", "recording 7 migration(s)", "latest 20220530084123"},
		},
		{
			name:   "ours with upstream's unreadable ledger",
			survey: schemaSurvey{schema: "public", ours: &ledgerSummary{rows: 7, applied: 7}, upstream: &ledgerSummary{readErr: errors.New("permission denied for table _sqlx_migrations")}},
			want:   ErrUpstreamSchema,
			says:   []string{"could not be read: permission denied"},
		},
		{
			name:   "upstream",
			survey: schemaSurvey{schema: "public", upstream: &ledgerSummary{rows: 167, applied: 167, latest: 20260701000000}, tables: upstreamTables},
			want:   ErrUpstreamSchema,
			says: []string{
				"cannot share a database with upstream MAS",
				`Found in schema "public": upstream's migration ledger _sqlx_migrations recording 167 applied migration(s), the latest 20260701000000, and 8 other table(s) (compat_sessions, oauth2_clients, oauth2_sessions, queue_jobs, user_emails and 3 more).`,
				nothingChanged,
				"`mas-cli database import-upstream`",
			},
		},
		{
			name:   "upstream with a failed migration",
			survey: schemaSurvey{schema: "public", upstream: &ledgerSummary{rows: 5, applied: 4, latest: 20241004075132}, tables: upstreamTables},
			want:   ErrUpstreamSchema,
			says:   []string{"recording 4 applied migration(s), the latest 20241004075132 (and 1 failed)"},
		},
		{
			name:   "upstream's ledger alone",
			survey: schemaSurvey{schema: "public", upstream: &ledgerSummary{}},
			want:   ErrUpstreamSchema,
			says:   []string{"_sqlx_migrations recording no applied migration."},
		},
		{
			name:   "upstream with our empty ledger",
			survey: schemaSurvey{schema: "public", ours: &ledgerSummary{}, upstream: &ledgerSummary{rows: 2, applied: 2, latest: 2}, tables: upstreamTables},
			want:   ErrUpstreamSchema,
			says:   []string{"The empty table mas_migrations was left by an earlier version"},
		},
		{
			name:   "upstream's tables without a ledger",
			survey: schemaSurvey{schema: "mas", tables: []string{"oauth2_sessions", "users"}},
			want:   ErrUpstreamSchema,
			says:   []string{`Found in schema "mas": upstream MAS's tables (oauth2_sessions, users) without a migration ledger`},
		},
		{
			name:   "a users table alone is not upstream's",
			survey: schemaSurvey{schema: "public", tables: []string{"users"}},
			want:   ErrForeignSchema,
			says:   []string{"another application (users)"},
		},
		{
			name:   "foreign tables",
			survey: schemaSurvey{schema: "public", tables: []string{"a", "b", "c", "d", "e", "f", "g"}},
			want:   ErrForeignSchema,
			says:   []string{`schema "public" of this database already holds tables of another application (a, b, c, d, e and 2 more)`, nothingChanged},
		},
		{
			name:   "foreign tables with our empty ledger",
			survey: schemaSurvey{schema: "public", ours: &ledgerSummary{}, tables: []string{"widgets"}},
			want:   ErrForeignSchema,
			says:   []string{"The empty table mas_migrations"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.survey.conflict()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want an error wrapping %q", err, tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("the error does not say %q:\n%v", s, err)
				}
			}
		})
	}
}
