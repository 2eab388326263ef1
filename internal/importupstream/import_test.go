package importupstream_test

import (
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/importupstream"
	"mas/internal/importupstream/upstreamtest"
	"mas/internal/logtest"
	"mas/internal/store"
	"mas/internal/store/postgres/pgtest"
	"mas/internal/syn2mas"
	"mas/internal/testdb"
	"mas/internal/testenv"
)

// TestImportKeepsTokensIntrospecting is the acceptance test: after an
// import into either backend, every token of a generated upstream
// database introspects through the running service as upstream answered
// for it (active or not, user, client, scope, device), and the
// confidential clients authenticate with the secrets upstream encrypted.
func TestImportKeepsTokensIntrospecting(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			env := testenv.New(t, testenv.Options{Postgres: backend == testdb.Postgres})
			src, _, f := upstreamDB(t, upstreamtest.Options{Users: 30, Seed: 7, Encrypt: env.App.Encrypter.Encrypt})
			logger, logs := logtest.New(t, slog.LevelWarn)
			summary, err := importupstream.Import(t.Context(), importupstream.Options{
				Source: src, Dest: env.App.Store, Decrypt: env.App.Encrypter.Decrypt, Logger: logger, BatchSize: 7,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range summary.Stages {
				if want := int64(f.Rows[s.Entity]); s.Migrated != want || s.SkippedTotal() != 0 {
					t.Errorf("%s (upstream has %d)", syn2mas.SummaryLine(s, importupstream.Nouns, "imported"), want)
				}
			}
			if len(summary.Stages) != len(importupstream.Tables()) {
				t.Errorf("%d stages, want one per table", len(summary.Stages))
			}
			if strings.Contains(logs.String(), "level=WARN") {
				t.Errorf("a clean upstream database gave warnings:\n%s", logs)
			}

			active := upstreamtest.CheckTokens(t, env.BaseURL, env.Config.Matrix.Secret, f, nil)
			if t.Failed() {
				return
			}
			for _, c := range f.Clients {
				if c.Secret == "" {
					continue
				}
				code, got := upstreamtest.Introspect(t, env.BaseURL, "", active, func(r *http.Request, form url.Values) {
					if c.AuthMethod == "client_secret_basic" {
						r.SetBasicAuth(c.ID.String(), c.Secret)
						return
					}
					form.Set("client_id", c.ID.String())
					form.Set("client_secret", c.Secret)
				})
				if code != http.StatusOK || got["active"] != true {
					t.Errorf("client %s (%s) could not introspect with its secret: %d %v", c.ID, c.AuthMethod, code, got)
				}
			}
			checkRows(t, env.App.Store, f)
		})
	}
}

// checkRows looks at some rows beyond the tokens: users' states and
// emails, and the providers' settings rebuilt from upstream's columns.
func checkRows(t *testing.T, s store.Store, f *upstreamtest.Fixture) {
	t.Helper()
	ctx := t.Context()
	for _, fu := range f.Users {
		u, err := s.Users().FindByUsername(ctx, fu.Username)
		if err != nil {
			t.Fatalf("user %s: %v", fu.Username, err)
		}
		if u.ID != fu.ID || u.IsValid() != fu.Valid {
			t.Errorf("user %s: id %s valid %v, upstream had %s valid %v", fu.Username, u.ID, u.IsValid(), fu.ID, fu.Valid)
		}
		emails, err := s.UserEmails().ListForUser(ctx, u.ID)
		if err != nil || len(emails) != len(fu.Emails) {
			t.Errorf("user %s: %d emails (%v), upstream had %v", fu.Username, len(emails), err, fu.Emails)
		}
	}
	providers, err := s.UpstreamProviders().List(ctx)
	if err != nil || len(providers) != 2 {
		t.Fatalf("providers: %d, %v", len(providers), err)
	}
	main, err := providers[0].DecodeSettings()
	if err != nil {
		t.Fatal(err)
	}
	if main.ClaimsImports.Localpart.Action != domain.UpstreamImportRequire || main.AdditionalAuthorizationParameters["prompt"] != "login" ||
		main.ResponseMode != domain.UpstreamResponseQuery || main.OnBackchannelLogout != domain.UpstreamBackchannelLogoutBrowserOnly {
		t.Errorf("main provider's settings: %+v", main)
	}
	old, err := providers[1].DecodeSettings()
	if err != nil {
		t.Fatal(err)
	}
	if providers[1].Enabled() || old.PKCEMethod != domain.UpstreamPKCEAlways || old.DiscoveryMode != domain.UpstreamDiscoveryDisabled ||
		old.TokenEndpoint != "https://old.example.com/token" || old.ResponseMode != domain.UpstreamResponseFormPost || !old.FetchUserinfo {
		t.Errorf("disabled provider: enabled=%v settings %+v", providers[1].Enabled(), old)
	}
}

// TestImportDryRunLeavesDestinationEmpty: a dry run reads, converts and
// loads everything, then leaves nothing behind.
func TestImportDryRunLeavesDestinationEmpty(t *testing.T) {
	src, _, f := upstreamDB(t, upstreamtest.Options{Users: 10, Seed: 3, Encrypt: testEncrypter().Encrypt})
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			s, _ := testdb.OpenBackend(t, backend, clock.System{})
			summary, err := importupstream.Import(t.Context(), importupstream.Options{Source: src, Dest: s, DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if !summary.DryRun || summary.Imported == 0 || summary.Stages[0].Migrated != int64(f.Rows["users"]) {
				t.Errorf("summary %+v", summary)
			}
			if table, err := s.(store.Bulk).FirstNonEmpty(t.Context(), importupstream.Tables()); err != nil || table != "" {
				t.Errorf("after the dry run %q holds rows (%v)", table, err)
			}
		})
	}
}

// TestImportRefusesNonEmptyDestination: a second import is refused with
// syn2mas's words, and so is a database with a client of its own; the
// rows config sync writes do not count, and the configured row is kept.
func TestImportRefusesNonEmptyDestination(t *testing.T) {
	src, _, f := upstreamDB(t, upstreamtest.Options{Users: 5, Seed: 5, Encrypt: testEncrypter().Encrypt})
	var static upstreamtest.Client
	for _, c := range f.Clients {
		if c.Static {
			static = c
		}
	}
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			ctx := t.Context()
			s, _ := testdb.OpenBackend(t, backend, clock.System{})
			configured := &domain.Client{ID: static.ID, ClientName: "from our configuration", TokenEndpointAuthMethod: "none"}
			if err := s.Clients().UpsertStatic(ctx, configured); err != nil {
				t.Fatal(err)
			}
			summary, err := importupstream.Import(ctx, importupstream.Options{Source: src, Dest: s})
			if err != nil {
				t.Fatalf("a database holding only configured rows was refused: %v", err)
			}
			if c, err := s.Clients().Lookup(ctx, static.ID); err != nil || c.ClientName != "from our configuration" {
				t.Errorf("the configured client was replaced: %+v, %v", c, err)
			}
			if line := clientsLine(summary); !strings.Contains(line, "1 already configured here, kept") {
				t.Errorf("summary line %q does not count the configured client", line)
			}

			_, err = importupstream.Import(ctx, importupstream.Options{Source: src, Dest: s})
			const want = "The MAS database is not empty: rows found in at least `users`. Please drop and recreate the database, then try again."
			var ne *importupstream.NotEmptyError
			if !errors.As(err, &ne) || err.Error() != want {
				t.Fatalf("second import: %v, want %q", err, want)
			}

			other, _ := testdb.OpenBackend(t, backend, clock.System{})
			if err := other.Clients().Add(ctx, &domain.Client{ClientName: "registered here", TokenEndpointAuthMethod: "none"}); err != nil {
				t.Fatal(err)
			}
			_, err = importupstream.Import(ctx, importupstream.Options{Source: src, Dest: other})
			if !errors.As(err, &ne) || ne.Table != "oauth2_clients" {
				t.Fatalf("import over a registered client: %v", err)
			}
		})
	}
}

func clientsLine(s importupstream.Summary) string {
	for _, st := range s.Stages {
		if st.Entity == "oauth2_clients" {
			return syn2mas.SummaryLine(st, importupstream.Nouns, "imported")
		}
	}
	return ""
}

// TestImportReportsCaseDuplicates: rows upstream allows and this service
// does not are reported one by one with the choice made, and the choice
// is applied: the lowercase username is kept, the older address is kept,
// the authentication without a method is left out, and the tokens of the
// user left out no longer work while everyone else's do.
func TestImportReportsCaseDuplicates(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			ctx := t.Context()
			env := testenv.New(t, testenv.Options{Postgres: backend == testdb.Postgres})
			src, _, f := upstreamDB(t, upstreamtest.Options{Users: 6, Seed: 11, Encrypt: env.App.Encrypter.Encrypt, Anomalies: true})
			a := f.Anomalies
			logger, logs := logtest.New(t, slog.LevelWarn)
			summary, err := importupstream.Import(ctx, importupstream.Options{Source: src, Dest: env.App.Store, Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{
				`level=WARN msg="user \"Casey\" (` + a.UserSkipped.ID.String() + `) not imported: its username differs only in case from \"casey\" (` + a.UserKept.ID.String() + `), which is kept`,
				`level=WARN msg="email \"USER0000@EXAMPLE.ORG\" (` + a.EmailSkipped.String() + `) of user \"user0001\"`,
				`differs only in case from \"user0000@example.org\" of user \"user0000\"`,
				`browser session authentication ` + a.AuthWithoutMethod.String() + ` of browser session`,
			} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("the log does not report %s:\n%s", want, logs)
				}
			}
			if got := summary.Stages[0].Skipped["username taken in another case"]; got != 1 {
				t.Errorf("users summary: %s", syn2mas.SummaryLine(summary.Stages[0], importupstream.Nouns, "imported"))
			}

			s := env.App.Store
			if u, err := s.Users().FindByUsername(ctx, "CASEY"); err != nil || u.ID != a.UserKept.ID {
				t.Errorf("casey is %v, %v; want %s", u, err, a.UserKept.ID)
			}
			if _, err := s.Users().Lookup(ctx, a.UserSkipped.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the user left out is there: %v", err)
			}
			if _, err := s.UserEmails().Lookup(ctx, a.EmailSkipped); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the address left out is there: %v", err)
			}
			if e, err := s.UserEmails().FindByEmail(ctx, "User0000@Example.org"); err != nil || e.ID != a.EmailKept {
				t.Errorf("the address kept is %v, %v; want %s", e, err, a.EmailKept)
			}

			upstreamtest.CheckTokens(t, env.BaseURL, env.Config.Matrix.Secret, f, func(tok upstreamtest.Token) upstreamtest.Answer {
				if tok.UserID == a.UserSkipped.ID {
					return upstreamtest.Answer{} // left out with its user
				}
				return tok.Want
			})
		})
	}
}

// TestImportRefusesOtherEncryptionKey: upstream's encrypted values are
// copied as they are, so a configuration with another secrets.encryption
// is refused before anything is written.
func TestImportRefusesOtherEncryptionKey(t *testing.T) {
	src, _, _ := upstreamDB(t, upstreamtest.Options{Users: 3, Encrypt: testEncrypter().Encrypt})
	s, _ := testdb.OpenBackend(t, testdb.SQLite, clock.System{})
	other := encrypt.New([32]byte{0xEE}, rand.Reader)
	_, err := importupstream.Import(t.Context(), importupstream.Options{Source: src, Dest: s, Decrypt: other.Decrypt})
	if err == nil || !strings.Contains(err.Error(), "secrets.encryption of this service's configuration does not decrypt upstream's encrypted values") {
		t.Fatalf("err = %v", err)
	}
	if table, _ := s.(store.Bulk).FirstNonEmpty(t.Context(), importupstream.Tables()); table != "" {
		t.Errorf("%s holds rows", table)
	}
}

// TestImportOlderUpstreamSchema: a column or table a later upstream
// release added is read as its default when missing; a column the import
// cannot do without is named.
func TestImportOlderUpstreamSchema(t *testing.T) {
	src, dsn, f := upstreamDB(t, upstreamtest.Options{Users: 4, Encrypt: testEncrypter().Encrypt})
	pgtest.Exec(t, dsn, `ALTER TABLE users DROP COLUMN is_guest; ALTER TABLE oauth2_sessions DROP COLUMN human_name;
		DROP TABLE policy_data; DROP TABLE user_unsupported_third_party_ids`)
	s, _ := testdb.OpenBackend(t, testdb.SQLite, clock.System{})
	summary, err := importupstream.Import(t.Context(), importupstream.Options{Source: src, Dest: s, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if summary.Stages[0].Migrated != int64(f.Rows["users"]) {
		t.Errorf("users: %+v", summary.Stages[0])
	}

	// Before 2025 upstream kept unconfirmed addresses too.
	pgtest.Exec(t, dsn, `ALTER TABLE user_emails ADD COLUMN confirmed_at TIMESTAMPTZ;
		UPDATE user_emails SET confirmed_at = created_at WHERE email LIKE 'user0000%'`)
	logger, logs := logtest.New(t, slog.LevelWarn)
	summary, err = importupstream.Import(t.Context(), importupstream.Options{Source: src, Dest: s, DryRun: true, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary.Stages[2].Skipped["never confirmed"], int64(f.Rows["user_emails"]-1); got != want {
		t.Errorf("%d unconfirmed addresses left out, want %d", got, want)
	}
	if !strings.Contains(logs.String(), "it was never confirmed") {
		t.Errorf("unconfirmed addresses not reported:\n%s", logs)
	}

	pgtest.Exec(t, dsn, `ALTER TABLE compat_sessions DROP COLUMN device_id`)
	_, err = importupstream.Import(t.Context(), importupstream.Options{Source: src, Dest: s, DryRun: true})
	if err == nil || !strings.Contains(err.Error(), "upstream's database lacks column compat_sessions.device_id") {
		t.Fatalf("err = %v", err)
	}
}
