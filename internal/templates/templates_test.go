package templates

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmbeddedCheck(t *testing.T) {
	tpl, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if err := tpl.Check(); err != nil {
		t.Fatal(err)
	}
	rendered, err := tpl.RenderSamples()
	if err != nil {
		t.Fatal(err)
	}
	if len(rendered) < len(registry) {
		t.Fatalf("got %d renderings for %d pages", len(rendered), len(registry))
	}
}

func TestEveryPageFileIsRegistered(t *testing.T) {
	err := fs.WalkDir(embedded, "files/pages", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := strings.TrimPrefix(p, "files/")
		if _, ok := lookup(name); !ok {
			t.Errorf("%s has no registry entry (add one in pages.go)", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNotFoundEscapesAndLinks(t *testing.T) {
	tpl := mustLoad(t, "")
	page := NotFoundPage{Common: sampleCommon(), Path: `/<b>"x"`}
	out, err := tpl.Render(PageNotFound, page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(out)
	for _, want := range []string{
		"<!DOCTYPE html>", `<html lang="en">`, "&lt;b&gt;&#34;x&#34;",
		`href="/prefix/"`, "Example Authentication Service",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("404 page lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<b>") {
		t.Error("path was not escaped")
	}
	// A pointer to the data works too.
	if _, err := tpl.Render(PageNotFound, &page); err != nil {
		t.Errorf("pointer data: %v", err)
	}
}

func TestRenderRejectsMistakes(t *testing.T) {
	tpl := mustLoad(t, "")
	if _, err := tpl.Render("pages/nope.html", nil); err == nil || !strings.Contains(err.Error(), "no page named") {
		t.Errorf("unknown page: %v", err)
	}
	if _, err := tpl.Render(PageNotFound, ErrorPage{}); err == nil || !strings.Contains(err.Error(), "templates.NotFoundPage") {
		t.Errorf("wrong data type: %v", err)
	}
}

func TestRespond(t *testing.T) {
	tpl := mustLoad(t, "")
	rec := httptest.NewRecorder()
	if err := tpl.Respond(rec, http.StatusNotFound, PageNotFound, NotFoundPage{Path: "/x"}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusNotFound {
		t.Errorf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}

	rec = httptest.NewRecorder()
	if err := tpl.Respond(rec, http.StatusOK, PageNotFound, 42); err == nil {
		t.Fatal("want an error for bad data")
	}
	if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
		t.Error("a failed render must not write anything")
	}
}

func TestOverrides(t *testing.T) {
	t.Run("missing directory is fine", func(t *testing.T) {
		mustLoad(t, filepath.Join(t.TempDir(), "absent"))
	})

	t.Run("file replaces embedded", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "pages/404.html", `{{template "base" .}}{{define "content"}}custom {{.Path}}{{end}}`)
		tpl := mustLoad(t, dir)
		out, err := tpl.Render(PageNotFound, NotFoundPage{Path: "/p"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "custom /p") {
			t.Errorf("override not used:\n%s", out)
		}
		// Pages that are not overridden still come from the binary.
		if _, err := tpl.Render(PageError, ErrorPage{}); err != nil {
			t.Error(err)
		}
	})

	t.Run("layout override reaches every page", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "base.html", `{{define "base"}}LAYOUT {{block "content" .}}{{end}}{{end}}`)
		tpl := mustLoad(t, dir)
		out, err := tpl.Render(PageError, ErrorPage{Description: Msg("errors.bad_form")})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(strings.TrimSpace(string(out)), "LAYOUT") {
			t.Errorf("layout override not used:\n%s", out)
		}
	})

	t.Run("parse error names the file", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "pages/error.html", `{{template "base" .}}{{define "content"}}{{if}}{{end}}`)
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "pages", "error.html")) {
			t.Fatalf("error %v does not name the file", err)
		}
	})

	t.Run("execution error names the file", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "pages/404.html", `{{.NoSuchField}}`)
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "pages", "404.html")) {
			t.Fatalf("error %v does not name the file", err)
		}
	})

	t.Run("not a directory", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "f")
		write(t, filepath.Dir(file), "f", "x")
		if _, err := Load(file); err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestReloadKeepsWorkingTemplates(t *testing.T) {
	dir := t.TempDir()
	tpl := mustLoad(t, dir)
	write(t, dir, "pages/404.html", `{{template "base" .}}{{define "content"}}{{end`)
	if err := tpl.Reload(); err == nil {
		t.Fatal("Reload accepted a broken template")
	}
	if _, err := tpl.Render(PageNotFound, NotFoundPage{}); err != nil {
		t.Fatalf("previous templates lost: %v", err)
	}
	write(t, dir, "pages/404.html", `{{template "base" .}}{{define "content"}}reloaded{{end}}`)
	if err := tpl.Reload(); err != nil {
		t.Fatal(err)
	}
	out, _ := tpl.Render(PageNotFound, NotFoundPage{})
	if !strings.Contains(string(out), "reloaded") {
		t.Errorf("reload not applied:\n%s", out)
	}
}

func TestNewCommonWithoutURLs(t *testing.T) {
	c := NewCommon(nil, Branding{ServiceName: "S"})
	if c.Links != (Links{}) || c.Lang != "en" || c.ServiceName != "S" {
		t.Errorf("NewCommon(nil) = %+v", c)
	}
}

func mustLoad(t *testing.T, dir string) *Templates {
	t.Helper()
	tpl, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The branding (logo, policy, terms, imprint) is on every page.
func TestBrandingOnEveryPage(t *testing.T) {
	tpl, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	pages, err := tpl.RenderSamples()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		html := string(p.HTML)
		if p.Name == PageFormPost || !strings.Contains(html, "Example Authentication Service") {
			continue // not of the layout, or a sample without branding
		}
		for _, want := range []string{`<img class="logo" src="https://example.com/logo.png"`, `href="https://example.com/privacy"`,
			`href="https://example.com/terms"`, "Example Ltd, 1 Example Street"} {
			if !strings.Contains(html, want) {
				t.Errorf("%s (sample %d) lacks %q", p.Name, p.Sample, want)
			}
		}
	}
}
