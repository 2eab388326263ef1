package templates

import (
	"io/fs"
	"regexp"
	"slices"
	"testing"

	"mas/internal/i18n"
)

// translationCall finds {{.T "key" …}} and {{$.T "key" …}} in a template.
var translationCall = regexp.MustCompile(`\.T\s+"([^"]+)"`)

// TestTemplatesUseKnownMessages: every message a template names exists in
// the English catalog, including those on branches the samples do not
// render.
func TestTemplatesUseKnownMessages(t *testing.T) {
	known := i18n.Default.Keys()
	err := fs.WalkDir(embedded, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text, err := fs.ReadFile(embedded, p)
		if err != nil {
			return err
		}
		for _, m := range translationCall.FindAllStringSubmatch(string(text), -1) {
			if _, found := slices.BinarySearch(known, m[1]); !found {
				t.Errorf("%s uses %q, which locales/en.json lacks", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
