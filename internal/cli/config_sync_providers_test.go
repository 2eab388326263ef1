package cli

import (
	"fmt"
	"strings"
	"testing"

	"mas/internal/store/postgres/pgtest"
)

const (
	syncProvA = "01HFVBY12TMNTYTBV8W921M5FA"
	syncProvB = "01HFVBY12TMNTYTBV8W921M5FB"
)

// onBothBackends runs fn with a fresh database URI on SQLite and on
// PostgreSQL (skipped loudly when no test server is configured).
func onBothBackends(t *testing.T, fn func(t *testing.T, dbURI string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteURI(t.TempDir())) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.NewDatabase(t)) })
}

// syncProviders is an upstream_oauth2 section with the named providers.
func syncProviders(ids ...string) string {
	names := map[string]string{syncProvA: "Alpha", syncProvB: "Beta"}
	var b strings.Builder
	b.WriteString("upstream_oauth2:\n  providers:\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "    - id: %s\n      human_name: %s\n      issuer: https://%s.example.com/\n      client_id: mas\n"+
			"      client_secret: secret-%s\n      token_endpoint_auth_method: client_secret_basic\n",
			id, names[id], strings.ToLower(names[id]), id)
	}
	return b.String()
}

func wantOut(t *testing.T, r result, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("standard output does not contain %q:\n%s", w, r)
		}
	}
}

func wantNotOut(t *testing.T, r result, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(r.stdout, w) {
			t.Errorf("standard output contains %q:\n%s", w, r)
		}
	}
}

// `config sync` mirrors the providers, naming each by id and human name:
// a dry run prints the plan and writes nothing, a removed provider is
// disabled, and deleted only with --prune.
func TestConfigSyncUpstreamProviders(t *testing.T) {
	onBothBackends(t, func(t *testing.T, dbURI string) {
		dir := t.TempDir()
		base := writeFile(t, dir, "config.yaml", baseConfig(t, dbURI))
		providers := writeFile(t, dir, "providers.yaml", syncProviders(syncProvA, syncProvB))
		mustSucceed(t, run(t, "database", "migrate", "-c", base), "database migrate")
		syncWith := func(args ...string) result {
			t.Helper()
			r := run(t, append(append([]string{"config", "sync"}, args...), "-c", base, "-c", providers)...)
			mustSucceed(t, r, "config sync "+strings.Join(args, " "))
			return r
		}

		r := syncWith("--dry-run")
		wantOut(t, r, "Upstream provider "+syncProvA+" (Alpha): would create", "Upstream provider "+syncProvB+" (Beta): would create",
			"Upstream providers: 2 created, 0 updated, 0 enabled again, 0 unchanged, 0 disabled, 0 deleted (dry run: nothing written)")
		// Nothing was written: the plan is the same again.
		r = syncWith("--dry-run")
		wantOut(t, r, "2 created")

		r = syncWith()
		wantOut(t, r, "Upstream provider "+syncProvA+" (Alpha): created", "Upstream providers: 2 created, 0 updated")
		wantNotOut(t, r, "dry run")
		r = syncWith()
		wantOut(t, r, "Upstream providers: 0 created, 0 updated, 0 enabled again, 2 unchanged, 0 disabled, 0 deleted\n")

		writeFile(t, dir, "providers.yaml", syncProviders(syncProvA))
		r = syncWith("--dry-run")
		wantOut(t, r, "Upstream provider "+syncProvB+" (Beta): would disable")
		r = syncWith()
		wantOut(t, r, "Upstream provider "+syncProvB+" (Beta): disabled", "1 unchanged, 1 disabled, 0 deleted",
			"1 upstream provider(s) no longer configured stay disabled; run `mas-cli config sync --prune`")
		r = syncWith()
		wantOut(t, r, "0 disabled", "1 upstream provider(s) no longer configured stay disabled")

		r = syncWith("--prune", "--dry-run")
		wantOut(t, r, "Upstream provider "+syncProvB+" (Beta): would delete", "1 deleted (dry run: nothing written)")
		r = syncWith("--prune")
		wantOut(t, r, "Upstream provider "+syncProvB+" (Beta): deleted")
		wantNotOut(t, r, "stay disabled")
		r = syncWith("--prune")
		wantOut(t, r, "1 unchanged, 0 disabled, 0 deleted\n")

		// Back again: created anew.
		writeFile(t, dir, "providers.yaml", syncProviders(syncProvA, syncProvB))
		wantOut(t, syncWith(), "Upstream provider "+syncProvB+" (Beta): created")
	})
}

// The playbook's documented provider example (every field) and upstream's
// full example both pass `config check` and sync.
func TestConfigSyncProviderExamples(t *testing.T) {
	for _, example := range []string{"playbook/provider-example.yaml", "upstream-provider.yaml"} {
		t.Run(example, func(t *testing.T) {
			dir := t.TempDir()
			base := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir)))
			cfg := []string{"-c", base, "-c", testdata(t, example)}
			mustSucceed(t, run(t, append([]string{"config", "check"}, cfg...)...), "config check")
			mustSucceed(t, run(t, append([]string{"database", "migrate"}, cfg...)...), "database migrate")
			r := run(t, append([]string{"config", "sync"}, cfg...)...)
			mustSucceed(t, r, "config sync")
			wantOut(t, r, "Upstream provider 01HFVBY12TMNTYTBV8W921M5FA (Example): created")
			r = run(t, append([]string{"config", "sync"}, cfg...)...)
			mustSucceed(t, r, "config sync again")
			wantOut(t, r, "0 created, 0 updated, 0 enabled again")
		})
	}
}
