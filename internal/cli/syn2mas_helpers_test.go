package cli

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mas/internal/store/postgres/pgtest"
	"mas/internal/syn2mas/synapsedb/synapsegen"
)

// The generated homeservers' settings, which the configurations below
// repeat on the service's side.
const (
	syn2masServerName = "example.org" // baseConfig's matrix.homeserver
	syn2masPepper     = "syn2mas-cli-test-pepper"
	syn2masIdpID      = "oidc-github" // Synapse's idp_id "github"
	syn2masProviderID = "01HFVBY12TMNTYTBV8W921M5FA"
)

// syn2masHomeserver is a generated Synapse: its database and what was
// written into it.
type syn2masHomeserver struct {
	driver, dsn string
	sum         *synapsegen.Summary
}

// syn2masOptions is synapsegen's realistic mix of users minus what makes
// the checks warn (guests, phone numbers), so that a matching
// configuration checks clean.
func syn2masOptions(users int) synapsegen.Options {
	o := synapsegen.Default(users)
	o.ServerName, o.Pepper, o.AuthProviders = syn2masServerName, syn2masPepper, []string{syn2masIdpID}
	o.Guests, o.Phones = 0, 0
	return o
}

// generateHomeserver writes opts into a new SQLite file or a new
// PostgreSQL database with C collation, as Synapse wants it (dropped when
// the test ends).
func generateHomeserver(tb testing.TB, driver string, opts synapsegen.Options) syn2masHomeserver {
	tb.Helper()
	h := syn2masHomeserver{driver: driver, dsn: filepath.Join(tb.TempDir(), "homeserver.db")}
	if driver == "postgres" {
		pgtest.Require(tb)
		dsn, drop, err := pgtest.Create("TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() {
			if err := drop(); err != nil {
				tb.Log(err)
			}
		})
		h.dsn = dsn
	}
	sum, err := synapsegen.Generate(context.Background(), synapsegen.Target{Driver: driver, DSN: h.dsn}, opts)
	if err != nil {
		tb.Fatalf("generating the Synapse homeserver: %v", err)
	}
	h.sum = sum
	return h
}

// databaseSection is homeserver.yaml's database section for h, as an
// operator writes it: sqlite3 with the file, or psycopg2 with libpq's
// parameters.
func (h syn2masHomeserver) databaseSection(tb testing.TB) string {
	tb.Helper()
	if h.driver == "sqlite" {
		return fmt.Sprintf("database:\n  name: sqlite3\n  args:\n    database: %q\n", h.dsn)
	}
	u, err := url.Parse(h.dsn)
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("database:\n  name: psycopg2\n  args:\n")
	fmt.Fprintf(&b, "    user: %q\n", u.User.Username())
	if pw, ok := u.User.Password(); ok {
		fmt.Fprintf(&b, "    password: %q\n", pw)
	}
	fmt.Fprintf(&b, "    dbname: %q\n    host: %q\n", strings.TrimPrefix(u.Path, "/"), u.Hostname())
	if p := u.Port(); p != "" {
		fmt.Fprintf(&b, "    port: %s\n", p)
	}
	for k, vs := range u.Query() {
		fmt.Fprintf(&b, "    %s: %q\n", k, vs[0])
	}
	b.WriteString("    cp_min: 5\n    cp_max: 10\n")
	return b.String()
}

// synapseConfig writes a homeserver.yaml for h: its server_name and
// pepper, the GitHub provider its external IDs belong to, and its
// database.
func (h syn2masHomeserver) synapseConfig(tb testing.TB, dir string) string {
	tb.Helper()
	return writeTestFile(tb, filepath.Join(dir, "homeserver.yaml"), fmt.Sprintf(`server_name: %q
report_stats: false
password_config:
  pepper: %q
oidc_providers:
  - idp_id: github
    idp_name: GitHub
    issuer: "https://github.com/"
    client_id: syn2mas-cli-test
    discover: false
%s`, syn2masServerName, syn2masPepper, h.databaseSection(tb)))
}

// syn2masServiceConfig writes the service's configuration for a
// migration into destination: what baseConfig has (benchmarks cannot
// call it), Synapse's hashes as scheme 1 and the GitHub provider mapped.
func syn2masServiceConfig(tb testing.TB, dir, destination string) string {
	tb.Helper()
	key, err := filepath.Abs(filepath.Join("testdata", "rsa.pem"))
	if err != nil {
		tb.Fatal(err)
	}
	return writeTestFile(tb, filepath.Join(dir, "config.yaml"), fmt.Sprintf(`secrets:
  encryption: %s
  keys:
    - kid: rsa
      key_file: %q
matrix:
  homeserver: %s
  secret: test-matrix-secret
database:
  uri: %q
passwords:
  schemes:
    - version: 1
      algorithm: bcrypt
      cost: 4
      secret: %q
      unicode_normalization: true
    - version: 2
      algorithm: argon2id
upstream_oauth2:
  providers:
    - id: %s
      synapse_idp_id: %s
      human_name: GitHub
      client_id: syn2mas-cli-test
      token_endpoint_auth_method: none
      scope: "read:user"
      discovery_mode: disabled
      fetch_userinfo: true
      authorization_endpoint: https://github.com/login/oauth/authorize
      token_endpoint: https://github.com/login/oauth/access_token
      userinfo_endpoint: https://api.github.com/user
`, testEncryption, key, syn2masServerName, destination, syn2masPepper, syn2masProviderID, syn2masIdpID))
}

func writeTestFile(tb testing.TB, path, content string) string {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// syn2masDestinationTables are the tables the migration fills.
var syn2masDestinationTables = []string{
	"users", "user_passwords", "user_emails", "user_unsupported_third_party_ids", "upstream_oauth_links",
	"compat_sessions", "compat_access_tokens", "compat_refresh_tokens",
}

// destinationCounts counts the rows of each table the migration fills, in
// the service's database uri (sqlite:PATH or postgres://).
func destinationCounts(tb testing.TB, uri string) map[string]int64 {
	tb.Helper()
	driver, dsn := "pgx", uri
	if path, ok := strings.CutPrefix(uri, "sqlite:"); ok {
		driver, dsn = "sqlite", "file:"+path+"?mode=ro"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	counts := map[string]int64{}
	for _, table := range syn2masDestinationTables {
		var n int64
		if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			tb.Fatalf("counting %s: %v", table, err)
		}
		counts[table] = n
	}
	return counts
}

// isEmpty says whether none of the tables holds a row.
func isEmpty(counts map[string]int64) bool {
	for _, n := range counts {
		if n != 0 {
			return false
		}
	}
	return true
}

// stageLine is one per-stage summary line of a migration, e.g. "12 users
// migrated (2 skipped: 2 application service user) in 0.3s".
type stageLine struct {
	migrated, skipped int64
	line              string
}

var stageLineRE = regexp.MustCompile(`(?m)^(\d+) (.+) migrated \((\d+) skipped(?:: [^)]*)?\) in \d+\.\ds$`)

// stageLines reads the summary lines from a migration's standard error,
// by noun ("users", "third-party IDs", ...).
func stageLines(stderr string) map[string]stageLine {
	out := map[string]stageLine{}
	for _, m := range stageLineRE.FindAllStringSubmatch(stderr, -1) {
		migrated, _ := strconv.ParseInt(m[1], 10, 64)
		skipped, _ := strconv.ParseInt(m[3], 10, 64)
		out[m[2]] = stageLine{migrated: migrated, skipped: skipped, line: m[0]}
	}
	return out
}

// The nouns of the stages in the summary lines, in their order.
var syn2masStageNouns = []string{
	"users", "third-party IDs", "upstream links (external IDs)",
	"non-refreshable access tokens", "refreshable token pairs", "devices",
}

// checkMigrated holds a migration's summary lines to what the generator
// wrote (every row migrated or skipped) and to what arrived in the
// destination.
func checkMigrated(tb testing.TB, sum *synapsegen.Summary, stderr string, dest map[string]int64) {
	tb.Helper()
	lines := stageLines(stderr)
	var externalIDs int64
	for _, n := range sum.ExternalIDs {
		externalIDs += n
	}
	for _, c := range []struct {
		noun          string
		read, written int64
	}{
		{"users", sum.Users, dest["users"]},
		{"third-party IDs", sum.Emails + sum.Phones, dest["user_emails"] + dest["user_unsupported_third_party_ids"]},
		{"upstream links (external IDs)", externalIDs, dest["upstream_oauth_links"]},
		{"non-refreshable access tokens", sum.Unrefreshable, dest["compat_access_tokens"] - dest["compat_refresh_tokens"]},
		{"refreshable token pairs", sum.RefreshablePairs, dest["compat_refresh_tokens"]},
		{"devices", sum.Devices, -1},
	} {
		l, ok := lines[c.noun]
		switch {
		case !ok:
			tb.Errorf("no summary line for the %s:\n%s", c.noun, stderr)
		case l.migrated+l.skipped != c.read:
			tb.Errorf("%q: %d migrated and %d skipped, but the homeserver has %d", l.line, l.migrated, l.skipped, c.read)
		case c.written >= 0 && l.migrated != c.written:
			tb.Errorf("%q: %d migrated, but the destination holds %d", l.line, l.migrated, c.written)
		case l.migrated == 0:
			tb.Errorf("%q: nothing migrated", l.line)
		}
	}
	// Devices become sessions, alongside the sessions of deviceless
	// tokens and of devices the listing leaves out.
	if l := lines["devices"]; l.migrated > dest["compat_sessions"] {
		tb.Errorf("%q, but the destination holds only %d sessions", l.line, dest["compat_sessions"])
	}
	if got, want := dest["user_passwords"], sum.WithPassword; got != want {
		tb.Errorf("%d passwords migrated, the homeserver has %d", got, want)
	}
}
