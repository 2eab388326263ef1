package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configWithoutDatabase is baseConfig without its database section.
func configWithoutDatabase(t *testing.T) string {
	t.Helper()
	full := baseConfig(t, "sqlite:unused")
	i := strings.Index(full, "database:")
	return full[:i]
}

// A setting given only through a MAS_ variable is used; a file's value
// wins over the variable's, as upstream merges files over the environment.
func TestSettingsFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "config.yaml", configWithoutDatabase(t))
	envDB := filepath.Join(dir, "from-env.db")
	t.Setenv("MAS_DATABASE_URI", "sqlite:"+envDB)

	mustSucceed(t, run(t, "database", "migrate", "-c", cfg), "migrate with the database from MAS_DATABASE_URI")
	if _, err := os.Stat(envDB); err != nil {
		t.Fatalf("the database named by MAS_DATABASE_URI was not created: %v", err)
	}

	fileDB := filepath.Join(dir, "from-file.db")
	withDB := writeFile(t, dir, "with-db.yaml", baseConfig(t, "sqlite:"+fileDB))
	mustSucceed(t, run(t, "database", "migrate", "-c", withDB), "migrate with both")
	if _, err := os.Stat(fileDB); err != nil {
		t.Fatalf("the file's database was not used: %v", err)
	}

	// A variable that does not parse names itself, and nothing starts.
	t.Setenv("MAS_CLIENTS", "[{client_id: x")
	r := run(t, "database", "migrate", "-c", cfg)
	mustFail(t, r, "environment variable MAS_CLIENTS", "does not parse")
	if r.code != 1 {
		t.Errorf("exit code %d, want 1", r.code)
	}
}

// A .env file in the working directory is read at start, as upstream's
// dotenv does: its variables count as set unless the environment sets them
// already.
func TestDotEnvFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "config.yaml", configWithoutDatabase(t))
	t.Chdir(dir)
	t.Setenv("MAS_CONFIG", "")
	dotenvDB := filepath.Join(dir, "from-dotenv.db")
	writeFile(t, dir, ".env", "# settings for this host\nMAS_DATABASE_URI=\"sqlite:"+dotenvDB+"\"\nMAS_BRANDING_SERVICE_NAME=ignored\n")
	// Main sets what the file says; undo it after the test.
	t.Cleanup(func() { os.Unsetenv("MAS_DATABASE_URI"); os.Unsetenv("MAS_BRANDING_SERVICE_NAME") })

	r := run(t, "database", "migrate")
	mustSucceed(t, r, "migrate with the database from .env")
	if _, err := os.Stat(dotenvDB); err != nil {
		t.Fatalf("the database named in .env was not created: %v", err)
	}

	// The environment wins over the file.
	envDB := filepath.Join(dir, "from-env.db")
	t.Setenv("MAS_DATABASE_URI", "sqlite:"+envDB)
	mustSucceed(t, run(t, "database", "migrate"), "migrate with the variable set")
	if _, err := os.Stat(envDB); err != nil {
		t.Fatalf("the variable did not win over .env: %v", err)
	}

	// A malformed .env stops everything, naming its line.
	writeFile(t, dir, ".env", "GOOD=1\nthis line has no equals sign\n")
	r = run(t, "config", "check")
	mustFail(t, r, ".env:2: expected NAME=value")
	if r.code != 1 {
		t.Errorf("exit code %d, want 1", r.code)
	}
}
