package i18n_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mas/internal/i18n"
)

func TestFallbackAndArguments(t *testing.T) {
	en := i18n.Default.Match("")
	if en.Lang() != "en" {
		t.Fatalf("default language %q", en.Lang())
	}
	got, err := en.T("common.signed_in_as", "username", "alice")
	if err != nil || got != "Signed in as alice" {
		t.Fatalf("T = %q, %v", got, err)
	}
	for _, tc := range []struct {
		count any
		want  string
	}{{1, "1 session"}, {0, "0 sessions"}, {"2", "2 sessions"}} {
		if got, err := en.T("common.sessions.count", "count", tc.count); err != nil || got != tc.want {
			t.Errorf("count %v: %q, %v", tc.count, got, err)
		}
	}
	for name, call := range map[string]func() (string, error){
		"unknown key":          func() (string, error) { return en.T("no.such.key") },
		"missing argument":     func() (string, error) { return en.T("common.signed_in_as") },
		"odd arguments":        func() (string, error) { return en.T("common.signed_in_as", "username") },
		"non-string name":      func() (string, error) { return en.T("common.signed_in_as", 1, "x") },
		"plural without count": func() (string, error) { return en.T("common.sessions.count") },
	} {
		if got, err := call(); err == nil {
			t.Errorf("%s: %q, want an error", name, got)
		}
	}
}

// A language added from the translations directory is chosen by
// Accept-Language, falls back to English key by key, and uses its own
// plural rules.
func TestDirectoryAddsLanguages(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("fr.json", `{"common.sign_in": "Se connecter", "common.sessions.count": {"one": "{count} session", "other": "{count} sessions (fr)"}}`)
	write("en.json", `{"common.cancel": "Never mind"}`)
	write("notes.txt", "not a catalog")
	c, err := i18n.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Languages(), ","); got != "en,fr" {
		t.Fatalf("languages %s", got)
	}
	fr := c.Match("fr-CA, en;q=0.5")
	if fr.Lang() != "fr" {
		t.Fatalf("matched %s", fr.Lang())
	}
	check := func(loc *i18n.Locale, key, want string, args ...any) {
		t.Helper()
		if got, err := loc.T(key, args...); err != nil || got != want {
			t.Errorf("%s %s = %q, %v; want %q", loc.Lang(), key, got, err, want)
		}
	}
	check(fr, "common.sign_in", "Se connecter")
	check(fr, "common.sign_out", "Sign out") // from English
	// French counts 0 as singular; English does not.
	check(fr, "common.sessions.count", "0 session", "count", 0)
	check(c.Match("en"), "common.sessions.count", "0 sessions", "count", 0)
	check(c.Match("de"), "common.cancel", "Never mind") // overridden, and the fallback language
	if c.Match("xx-invalid-!!").Lang() != "en" {
		t.Error("garbage Accept-Language did not fall back")
	}
}

// Files that are not catalogs of ours (upstream's nested translation
// files, say) are skipped with a reason instead of stopping the service.
func TestLoadSkipsForeignFiles(t *testing.T) {
	files := map[string]string{
		"en.json":     `{"common.cancel": 1}`,
		"fr.json":     `{"x": {"one": "a"}}`,
		"de.json":     `{"action": {"continue": "Weiter", "@continue": {"context": "x"}}}`,
		"!!.json":     `{}`,
		"broken.json": `{`,
	}
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := i18n.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Skipped) != len(files) {
		t.Fatalf("skipped %q, want every file", c.Skipped)
	}
	if got := strings.Join(c.Languages(), ","); got != "en" {
		t.Fatalf("languages %s", got)
	}
	if got, err := c.Match("en").T("common.cancel"); err != nil || got != "Cancel" {
		t.Fatalf("the English catalog was disturbed: %q, %v", got, err)
	}
	if _, err := i18n.Load(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Fatalf("a missing directory: %v", err)
	}
}
