package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mas/internal/app"
)

func TestTemplatesCheck(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir)))

	r := run(t, "templates", "check", "-c", cfg)
	mustSucceed(t, r, "templates check")
	m := regexp.MustCompile(`^All (\d+) templates rendered successfully\n$`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("unexpected output:\n%s", r)
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 {
		t.Errorf("templates check rendered no template:\n%s", r)
	}
}

// An override directory with a broken page fails the check and names the
// file, rather than failing the first request that renders it.
func TestTemplatesCheckBrokenOverride(t *testing.T) {
	dir := t.TempDir()
	tpl := filepath.Join(dir, "templates")
	if err := os.MkdirAll(filepath.Join(tpl, "pages"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, tpl, app.TemplatesMarker, "")
	writeFile(t, filepath.Join(tpl, "pages"), "404.html", "{{template \"base\" .}}\n{{define \"content\"}}{{.NoSuchField}}{{end}}\n")
	cfg := writeFile(t, dir, "config.yaml", baseConfig(t, sqliteURI(dir))+"templates:\n  path: "+strconv.Quote(tpl)+"\n")

	r := run(t, "templates", "check", "-c", cfg)
	mustFail(t, r, "pages/404.html", "NoSuchField")
	if strings.Count(r.stderr, "templates:") != 1 {
		t.Errorf("the message repeats its prefix:\n%s", r)
	}
}
