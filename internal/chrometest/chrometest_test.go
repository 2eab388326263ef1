package chrometest_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"mas/internal/chrometest"
)

// TestFormRoundTrip drives a form that posts back to its own address (the
// case Submit must tell apart) and saves screenshots.
func TestFormRoundTrip(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		name := r.PostFormValue("name")
		fmt.Fprintf(w, `<!DOCTYPE html><html><head><style>@media (prefers-color-scheme: dark) { body { background: #000; color: #fff } }</style></head>
<body><p id="greeting">Hello %s</p><form method="post"><input id="name" name="name"><input id="ok" type="checkbox" name="ok">
<button id="go" type="submit">Go</button></form></body></html>`, html.EscapeString(name))
	}))
	defer srv.Close()

	b := chrometest.New(t)
	b.Open(srv.URL)
	if got := b.Text("#greeting"); got != "Hello" {
		t.Fatalf("greeting %q", got)
	}
	b.Fill("#name", "Alice <3")
	b.Check("#ok")
	b.Submit("#go")
	if got := b.Text("#greeting"); got != "Hello Alice <3" {
		t.Fatalf("after submit: %q", got)
	}
	if !b.Has("#go") || b.Has("#nothing") {
		t.Fatal("Has")
	}
	if dark := chrometest.Eval[bool](b, `matchMedia("(prefers-color-scheme: dark)").matches`); dark {
		t.Fatal("dark before emulation")
	}
	b.Shots("form")
	for _, f := range []string{"form-light-desktop.png", "form-dark-desktop.png", "form-light-phone.png", "form-dark-phone.png"} {
		if st, err := os.Stat(filepath.Join(b.Dir(), f)); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s: %v", f, err)
		}
	}
}
