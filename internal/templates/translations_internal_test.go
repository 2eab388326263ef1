package templates

import (
	"io/fs"
	"regexp"
	"slices"
	"testing"

	"mas/internal/i18n"
)

// Ways a template names a catalog key: {{.T "key" …}} or {{$.T "key" …}};
// as a component's argument ((dict … "label" "login.password" …)); through
// msg ((msg "login.heading_server" …)); kept in a variable
// ({{$title := "index.heading"}}).
var (
	translationCall = regexp.MustCompile(`\.T\s+"([^"]+)"`)
	componentKey    = regexp.MustCompile(`(?:"(?:label|hint|link|title|subtitle)"\s+|\bmsg\s+|:=\s*|=\s*)"([a-z_]+(?:\.[a-z_]+)+)"`)
)

// TestTemplatesUseKnownMessages: every message a template names exists in
// the English catalog, including those on branches the samples do not
// render (which fail at run time only).
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
		for _, re := range []*regexp.Regexp{translationCall, componentKey} {
			for _, m := range re.FindAllStringSubmatch(string(text), -1) {
				if _, found := slices.BinarySearch(known, m[1]); !found {
					t.Errorf("%s uses %q, which no catalog has", p, m[1])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
