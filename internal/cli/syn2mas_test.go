package cli

import (
	"maps"
	"strings"
	"testing"

	"mas/internal/store/postgres/pgtest"
)

// Upstream's texts, which operators search for.
const (
	noSynapseConfigText      = "Please specify the path to the Synapse configuration file(s)."
	checkCleanText           = "Check completed successfully with no errors or warnings."
	registrationEnabledText  = "Synapse config has registration enabled. This must be disabled after migration before bringing Synapse back online."
	serverNameMismatchFormat = "MAS configuration has the wrong `matrix.homeserver` set (\"example.org\"), it should match Synapse's `server_name` (\"other.example\")"
	destinationNotEmptyText  = "The MAS database is not empty: rows found in at least `users`. Please drop and recreate the database, then try again."
)

// syn2masArgs is a syn2mas command line: the Synapse configuration
// files, the subcommand with its flags, and the service's configuration.
func syn2masArgs(serviceConfig string, synapseConfigs []string, sub ...string) []string {
	args := []string{"syn2mas"}
	for _, f := range synapseConfigs {
		args = append(args, "--synapse-config", f)
	}
	return append(append(args, sub...), "-c", serviceConfig)
}

// Without --synapse-config neither subcommand starts, with upstream's
// text and exit code 1.
func TestSyn2masNeedsSynapseConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := syn2masServiceConfig(t, dir, sqliteURI(dir))
	for _, sub := range []string{"check", "migrate"} {
		r := run(t, syn2masArgs(cfg, nil, sub)...)
		mustFail(t, r, noSynapseConfigText)
		if r.code != 1 {
			t.Errorf("syn2mas %s without --synapse-config: exit %d, want 1", sub, r.code)
		}
	}
}

// check exits 0 for a homeserver and configuration that match, 11 when
// there are only warnings and 10 with errors, listing each problem with
// upstream's text under its heading. The Synapse configuration is read
// from several files, later ones overriding earlier ones.
func TestSyn2masCheck(t *testing.T) {
	dir := t.TempDir()
	hs := generateHomeserver(t, "sqlite", syn2masOptions(200))
	synapse := hs.synapseConfig(t, dir)
	cfg := syn2masServiceConfig(t, dir, sqliteURI(dir))
	override := func(name, yaml string) []string {
		return []string{synapse, writeFile(t, dir, name, yaml)}
	}

	t.Run("Clean", func(t *testing.T) {
		r := run(t, syn2masArgs(cfg, []string{synapse}, "check")...)
		mustSucceed(t, r, "syn2mas check")
		if !strings.Contains(r.stdout, checkCleanText) {
			t.Errorf("standard output lacks %q:\n%s", checkCleanText, r)
		}
		if strings.Contains(r.stderr, "=====") {
			t.Errorf("problems listed for a clean homeserver:\n%s", r)
		}
	})

	t.Run("WarningsOnly", func(t *testing.T) {
		r := run(t, syn2masArgs(cfg, override("registration.yaml", "enable_registration: true\n"), "check")...)
		wantListed(t, r, 11, "===== Warnings =====", registrationEnabledText)
		if strings.Contains(r.stderr, "===== Errors =====") || strings.Contains(r.stdout, checkCleanText) {
			t.Errorf("a warning-only check lists errors or reports success:\n%s", r)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		r := run(t, syn2masArgs(cfg, override("server-name.yaml", "server_name: other.example\n"), "check")...)
		wantListed(t, r, 10, "===== Errors =====", serverNameMismatchFormat)
	})

	t.Run("UnsupportedDriver", func(t *testing.T) {
		r := run(t, syn2masArgs(cfg, override("mysql.yaml", "database:\n  name: mysql\n"), "check")...)
		mustFail(t, r, "syn2mas does not support the mysql database driver")
		if r.code != 1 {
			t.Errorf("exit %d, want 1:\n%s", r.code, r)
		}
	})
}

// wantListed checks a check's exit code and that text is the only bullet
// under heading.
func wantListed(t *testing.T, r result, code int, heading, text string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d:\n%s", r.code, code, r)
	}
	_, after, found := strings.Cut(r.stderr, heading+"\n")
	if !found {
		t.Fatalf("no %q:\n%s", heading, r)
	}
	var bullets []string
	for _, line := range strings.Split(after, "\n") {
		b, ok := strings.CutPrefix(line, "• ")
		if !ok {
			break
		}
		bullets = append(bullets, b)
	}
	if len(bullets) != 1 || bullets[0] != text {
		t.Errorf("under %q: %q, want exactly %q\n%s", heading, bullets, text, r)
	}
}

// A dry run leaves the destination empty; the migration then fills it,
// with a summary line per stage that accounts for every row of the
// homeserver, and a second migration refuses the database it filled.
// Synapse and the service are both on SQLite, then both on PostgreSQL.
func TestSyn2masMigrate(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			hs := generateHomeserver(t, backend, syn2masOptions(300))
			dest := sqliteURI(dir)
			if backend == "postgres" {
				dest = pgtest.NewDatabase(t)
			}
			synapse := []string{hs.synapseConfig(t, dir)}
			cfg := syn2masServiceConfig(t, dir, dest)

			r := run(t, syn2masArgs(cfg, synapse, "migrate", "--dry-run")...)
			mustSucceed(t, r, "syn2mas migrate --dry-run")
			if !strings.Contains(r.stdout, "Dry run completed") {
				t.Errorf("the dry run does not say so:\n%s", r)
			}
			if counts := destinationCounts(t, dest); !isEmpty(counts) {
				t.Fatalf("the dry run left rows behind: %v\n%s", counts, r)
			}

			r = run(t, syn2masArgs(cfg, synapse, "migrate")...)
			mustSucceed(t, r, "syn2mas migrate")
			if !strings.Contains(r.stderr, "Starting new syn2mas migration") {
				t.Errorf("no start logged:\n%s", r)
			}
			if !strings.HasPrefix(r.stdout, "Migration completed in ") {
				t.Errorf("standard output does not end the migration with upstream's line:\n%s", r)
			}
			counts := destinationCounts(t, dest)
			checkMigrated(t, hs.sum, r.stderr, counts)
			if t.Failed() {
				t.Logf("%s\ndestination: %v", r, counts)
			}

			r = run(t, syn2masArgs(cfg, synapse, "migrate")...)
			mustFail(t, r, destinationNotEmptyText)
			if after := destinationCounts(t, dest); !maps.Equal(after, counts) {
				t.Errorf("the refused migration changed the destination: %v, was %v", after, counts)
			}
		})
	}
}
