package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mas/internal/app"
	"mas/internal/config"
)

const looksGood = "Configuration file looks good"

// loadBack parses YAML printed by a command the way the server would.
func loadBack(t *testing.T, name string, data []byte) *config.Config {
	t.Helper()
	cfg, err := config.LoadBytes(name, data)
	if err != nil {
		t.Fatalf("%s does not load back: %v\n%s", name, err, data)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("%s does not validate: %v", name, err)
	}
	return cfg
}

func TestConfigGenerateThenCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")

	r := run(t, "config", "generate", "-o", path)
	mustSucceed(t, r, "config generate -o")
	if r.stdout != "" {
		t.Errorf("config generate -o also printed to standard output:\n%s", r)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// The file holds the encryption key and the signing keys.
	if mode := st.Mode().Perm(); mode&0o077 != 0 {
		t.Errorf("generated configuration has mode %o, want it private to its owner", mode)
	}

	r = run(t, "config", "check", "-c", path)
	mustSucceed(t, r, "config check of a generated configuration")
	if !strings.Contains(r.stdout, looksGood) || !strings.Contains(r.stdout, path) {
		t.Errorf("config check does not say that %s looks good:\n%s", path, r)
	}

	// Generation leaves no temporary file behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want only c.yaml", names)
	}
}

func TestConfigGenerateToStdout(t *testing.T) {
	first := run(t, "config", "generate")
	mustSucceed(t, first, "config generate")
	cfg := loadBack(t, "generated", []byte(first.stdout))
	if err := app.CheckSecrets(cfg); err != nil {
		t.Errorf("generated secrets do not load: %v", err)
	}
	if n := len(cfg.Secrets.Keys); n != 4 {
		t.Errorf("generated %d signing keys, want 4 (RSA, P-256, P-384, secp256k1)", n)
	}
	if cfg.Database.Backend() != config.BackendSQLite {
		t.Errorf("generated database.uri %q, want the embedded SQLite database", cfg.Database.URI)
	}

	second := run(t, "config", "generate")
	mustSucceed(t, second, "config generate")
	again := loadBack(t, "generated again", []byte(second.stdout))
	if cfg.Secrets.Encryption == again.Secrets.Encryption || cfg.Matrix.Secret == again.Matrix.Secret {
		t.Error("two runs of config generate produced the same secrets")
	}
}

func TestConfigGenerateUnwritableOutput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "c.yaml")
	r := run(t, "config", "generate", "-o", path)
	mustFail(t, r, path)
}

// twoConfigs writes a base configuration and a second file overriding some
// of it, returning both paths.
func twoConfigs(t *testing.T) (a, b string) {
	t.Helper()
	dir := t.TempDir()
	a = writeFile(t, dir, "a.yaml", baseConfig(t, sqliteURI(dir))+`branding:
  service_name: From A
  policy_uri: https://a.example.com/policy
`+listenersConfig(map[string]int{"web": 8080}, "web"))
	b = writeFile(t, dir, "b.yaml", `branding:
  service_name: From B
matrix:
  homeserver: b.example.org
`)
	return a, b
}

func checkMerged(t *testing.T, what string, out []byte) {
	t.Helper()
	cfg := loadBack(t, what, out)
	if got := cfg.Branding.ServiceName; got != "From B" {
		t.Errorf("%s: branding.service_name = %q, want the later file's %q", what, got, "From B")
	}
	if got := cfg.Branding.PolicyURI; got != "https://a.example.com/policy" {
		t.Errorf("%s: branding.policy_uri = %q, want the earlier file's value kept", what, got)
	}
	if got := cfg.Matrix.Homeserver; got != "b.example.org" {
		t.Errorf("%s: matrix.homeserver = %q, want b.example.org", what, got)
	}
	if got := cfg.Matrix.Secret; got != "test-matrix-secret" {
		t.Errorf("%s: matrix.secret = %q, want the earlier file's value kept", what, got)
	}
	// Effective configuration: required sections the files never mention
	// are shown with their defaults. (Like upstream, optional sections
	// left at their defaults are omitted.)
	for _, key := range []string{"passwords:", "argon2id", "email:", "trusted_proxies:"} {
		if !strings.Contains(string(out), key) {
			t.Errorf("%s does not show the default %q", what, key)
		}
	}
}

func TestConfigDumpMergesFiles(t *testing.T) {
	a, b := twoConfigs(t)

	r := run(t, "config", "dump", "-c", a, "-c", b)
	mustSucceed(t, r, "config dump")
	checkMerged(t, "config dump", []byte(r.stdout))

	// The order of -c decides who wins.
	rev := run(t, "config", "dump", "-c", b, "-c", a)
	mustSucceed(t, rev, "config dump (reversed)")
	if cfg := loadBack(t, "reversed dump", []byte(rev.stdout)); cfg.Branding.ServiceName != "From A" {
		t.Errorf("with a.yaml last, branding.service_name = %q, want From A", cfg.Branding.ServiceName)
	}

	out := filepath.Join(t.TempDir(), "dump.yaml")
	w := run(t, "config", "dump", "-c", a, "-c", b, "-o", out)
	mustSucceed(t, w, "config dump -o")
	if w.stdout != "" {
		t.Errorf("config dump -o also printed to standard output:\n%s", w)
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(written) != r.stdout {
		t.Errorf("config dump -o wrote something else than config dump prints:\n%s\n---\n%s", written, r.stdout)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if mode := st.Mode().Perm(); mode&0o077 != 0 {
		t.Errorf("dumped configuration (with secrets) has mode %o", mode)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	a, b := twoConfigs(t)
	t.Setenv("MAS_CONFIG", a+":"+b)

	r := run(t, "config", "dump")
	mustSucceed(t, r, "config dump with MAS_CONFIG")
	checkMerged(t, "config dump with MAS_CONFIG", []byte(r.stdout))

	r = run(t, "config", "check")
	mustSucceed(t, r, "config check with MAS_CONFIG")
	if !strings.Contains(r.stdout, looksGood) || !strings.Contains(r.stdout, a) || !strings.Contains(r.stdout, b) {
		t.Errorf("config check does not name both files from MAS_CONFIG:\n%s", r)
	}

	// -c wins over MAS_CONFIG.
	t.Setenv("MAS_CONFIG", filepath.Join(t.TempDir(), "does-not-exist.yaml"))
	r = run(t, "config", "check", "-c", a)
	mustSucceed(t, r, "config check -c with a broken MAS_CONFIG")
}

func TestConfigDefaultFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir)))
	t.Setenv("MAS_CONFIG", "")
	t.Chdir(dir)

	r := run(t, "config", "check")
	mustSucceed(t, r, "config check with ./config.yaml")
	if !strings.Contains(r.stdout, "config.yaml") {
		t.Errorf("config check does not name config.yaml:\n%s", r)
	}

	if err := os.Remove("config.yaml"); err != nil {
		t.Fatal(err)
	}
	r = run(t, "config", "check")
	mustFail(t, r, "secrets: required section is missing")
	if !strings.Contains(r.stdout, "config.yaml does not exist") {
		t.Errorf("the missing default file was not named:\n%s", r)
	}
}

func TestConfigCheckFailures(t *testing.T) {
	encryptedKey, err := os.ReadFile(testdata(t, "rsa_encrypted.pem"))
	if err != nil {
		t.Fatal(err)
	}
	indentedKey := "        " + strings.ReplaceAll(strings.TrimSpace(string(encryptedKey)), "\n", "\n        ")

	for _, tc := range []struct {
		name string
		// extra is a second configuration file after the valid base; with
		// alone, it is the only file.
		extra string
		alone bool
		// strict is --strict, which makes unknown keys errors.
		strict bool
		// want are substrings of the message; "FILE" stands for the extra
		// file's name.
		want []string
	}{
		{
			name:   "unknown key",
			strict: true,
			extra: `http:
  public_base: http://127.0.0.1/
  listeners:
    - name: web
      resourcez: [{name: health}]
      resources: [{name: health}]
      binds: [{address: "127.0.0.1:0"}]
`,
			want: []string{"FILE:5:", "http.listeners[0].resourcez", "unknown key", `did you mean "resources"`},
		},
		{
			name:   "several unknown keys",
			strict: true,
			extra: `http:
  public_base: http://127.0.0.1/
  listeners:
    - name: web
      resourcez: [{name: health}]
      resources: [{name: health}]
      binds: [{adress: "127.0.0.1:0"}]
matrix:
  secrett: x
databse:
  uri: "sqlite::memory:"
`,
			want: []string{
				"FILE:5: http.listeners[0].resourcez: unknown key",
				"FILE:7: http.listeners[0].binds[0].adress: unknown key",
				"FILE:9: matrix.secrett: unknown key",
				"FILE:10: databse: unknown key",
			},
		},
		{
			name:  "wrong type",
			extra: "passwords:\n  minimum_complexity: high\n",
			want:  []string{"FILE:2:", "passwords.minimum_complexity", "integer", `"high"`},
		},
		{
			name:  "wrong type for a list",
			extra: "http:\n  public_base: http://127.0.0.1/\n  listeners: web\n",
			want:  []string{"FILE:3:", "http.listeners"},
		},
		{
			name:  "malformed YAML: unterminated string",
			extra: "branding:\n  service_name: ok\n  policy_uri: \"https://example.com/\n",
			want:  []string{"FILE:3:", "invalid YAML"},
		},
		{
			name:  "malformed YAML: tab indentation",
			extra: "branding:\n  service_name: ok\n\tpolicy_uri: x\n",
			want:  []string{"FILE:3:", "invalid YAML"},
		},
		{
			name:  "malformed YAML: duplicate key",
			extra: "branding:\n  service_name: ok\n  service_name: again\n",
			want:  []string{"FILE:3:", "service_name"},
		},
		{
			name:  "encryption key too short",
			extra: "secrets:\n  encryption: 0123abcd\n",
			want:  []string{"secrets.encryption", "64 hexadecimal characters"},
		},
		{
			name:  "encryption key not hex",
			extra: "secrets:\n  encryption: " + strings.Repeat("zz", 32) + "\n",
			want:  []string{"secrets.encryption", "hexadecimal"},
		},
		{
			name:  "both matrix.secret and matrix.secret_file",
			extra: "matrix:\n  secret_file: " + testdata(t, "rsa.pem") + "\n",
			want:  []string{"matrix", "`secret`", "`secret_file`"},
		},
		{
			name:  "encrypted key file with a wrong password",
			extra: "secrets:\n  keys:\n    - key_file: " + testdata(t, "rsa_encrypted.pem") + "\n      password: wrong-horse\n",
			want:  []string{"secrets", "rsa_encrypted.pem", "wrong password"},
		},
		{
			name:  "inline encrypted key with a wrong password",
			extra: "secrets:\n  keys:\n    - key: |\n" + indentedKey + "\n      password: wrong-horse\n",
			want:  []string{"secrets.keys[1]", "wrong password"},
		},
		{
			name:  "encrypted key without a password",
			extra: "secrets:\n  keys:\n    - key_file: " + testdata(t, "rsa_encrypted.pem") + "\n",
			want:  []string{"secrets", "rsa_encrypted.pem", "password"},
		},
		{
			name:  "missing key file",
			extra: "secrets:\n  keys:\n    - key_file: /nonexistent/mas-test/key.pem\n",
			want:  []string{"secrets.keys[1].key_file", "/nonexistent/mas-test/key.pem"},
		},
		{
			name:  "missing secrets and matrix sections",
			extra: "branding:\n  service_name: x\n",
			alone: true,
			want:  []string{"secrets", "matrix"},
		},
		{
			name:  "several validation problems at once",
			extra: "secrets:\n  encryption: 0123abcd\nmatrix:\n  secret_file: " + testdata(t, "rsa.pem") + "\n",
			want:  []string{"secrets.encryption", "`secret_file`"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			extra := writeFile(t, dir, "extra.yaml", tc.extra)
			args := []string{"config", "check", "-c", extra}
			if !tc.alone {
				base := writeFile(t, dir, "base.yaml", baseConfig(t, sqliteURI(dir)))
				args = []string{"config", "check", "-c", base, "-c", extra}
			}
			if tc.strict {
				args = append(args, "--strict")
			}
			r := run(t, args...)
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = strings.ReplaceAll(w, "FILE", extra)
			}
			mustFail(t, r, want...)
			if strings.Contains(r.stdout, looksGood) {
				t.Errorf("a failing check printed %q:\n%s", looksGood, r)
			}
		})
	}
}

// The positive control for the wrong-password cases: the same key and the
// right password pass.
func TestConfigCheckEncryptedKey(t *testing.T) {
	dir := t.TempDir()
	base := writeFile(t, dir, "base.yaml", baseConfig(t, sqliteURI(dir)))
	pw := writeFile(t, dir, "password", "correct-horse\n")
	for name, extra := range map[string]string{
		"password":      "secrets:\n  keys:\n    - key_file: " + testdata(t, "rsa_encrypted.pem") + "\n      password: correct-horse\n",
		"password_file": "secrets:\n  keys:\n    - key_file: " + testdata(t, "rsa_encrypted.pem") + "\n      password_file: " + pw + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			extra := writeFile(t, dir, name+".yaml", extra)
			r := run(t, "config", "check", "-c", base, "-c", extra)
			mustSucceed(t, r, "config check with the right password")
			if !strings.Contains(r.stdout, looksGood) {
				t.Errorf("no %q:\n%s", looksGood, r)
			}
		})
	}
}

// A file that does not exist reads as empty, as upstream's; config check
// says so, and here the empty configuration lacks its required sections.
func TestConfigCheckMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	r := run(t, "config", "check", "-c", path)
	mustFail(t, r, "secrets", "matrix")
	if !strings.Contains(r.stdout, "warning: "+path+" does not exist; read as empty") {
		t.Errorf("the missing file was not reported:\n%s", r)
	}
	// A file that exists but cannot be read is an error of its own.
	dir := filepath.Join(t.TempDir(), "dir.yaml")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	mustFail(t, run(t, "config", "check", "-c", dir), dir, "cannot read")
}

// Unknown keys are warnings, as upstream ignores them: config check names
// each with its place and a suggestion and passes; --strict and
// MAS_CONFIG_STRICT=1 make them errors; the server logs each at start.
func TestUnknownKeysAreWarnings(t *testing.T) {
	dir := t.TempDir()
	base := writeFile(t, dir, "base.yaml", baseConfig(t, sqliteURI(dir)))
	extra := writeFile(t, dir, "extra.yaml", "matrix:\n  secrett: x\nsome_future_section: {}\n")
	r := run(t, "config", "check", "-c", base, "-c", extra)
	mustSucceed(t, r, "config check with unknown keys")
	for _, want := range []string{
		"warning: " + extra + `:2: matrix.secrett: unknown key (did you mean "secret"?); ignored`,
		"warning: " + extra + ":3: some_future_section: unknown key; ignored",
		looksGood,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r)
		}
	}
	mustFail(t, run(t, "config", "check", "--strict", "-c", base, "-c", extra), "matrix.secrett: unknown key")
	t.Setenv("MAS_CONFIG_STRICT", "1")
	mustFail(t, run(t, "config", "check", "-c", base, "-c", extra), "some_future_section: unknown key")
}

// TestConfigCheckUpstreamProviderExample: upstream's documented provider
// example, every field set, passes `config check` on top of a generated
// configuration.
func TestConfigCheckUpstreamProviderExample(t *testing.T) {
	dir := t.TempDir()
	generated := filepath.Join(dir, "config.yaml")
	mustSucceed(t, run(t, "config", "generate", "-o", generated), "config generate")
	r := run(t, "config", "check", "-c", generated, "-c", testdata(t, "upstream-provider.yaml"))
	mustSucceed(t, r, "config check with the upstream provider example")
	if !strings.Contains(r.stdout, "looks good") {
		t.Fatalf("unexpected output: %s", r)
	}
}
