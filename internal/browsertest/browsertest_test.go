package browsertest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestURLResolution(t *testing.T) {
	b := New(t, "http://127.0.0.1:1/auth/")
	for target, want := range map[string]string{
		"/login":                    "http://127.0.0.1:1/auth/login",
		"/auth/consent/1":           "http://127.0.0.1:1/auth/consent/1",
		"login?x=1":                 "http://127.0.0.1:1/auth/login?x=1",
		"https://client.example/cb": "https://client.example/cb",
	} {
		if got := b.URL(nil, target).String(); got != want {
			t.Errorf("URL(%q) = %s, want %s", target, got, want)
		}
	}
}

func TestFindForm(t *testing.T) {
	body := `<form method="get" action="/search"><input name="q"></form>
<form method="post" action="/deny"><input type="hidden" name="csrf" value="t1"><button name="action" value="deny">No</button></form>
<form method="POST" action="/allow"><input type="hidden" name="csrf" value="t2"><input name="n" value="v">
<button name="action" value="allow">Yes</button><input type="submit" name="go" value="Go"></form>`
	action, values, err := FindForm(body, "allow")
	if err != nil || action != "/allow" || values.Get("csrf") != "t2" || values.Get("action") != "allow" || values.Get("n") != "v" || values.Has("go") {
		t.Fatalf("FindForm(allow) = %q %v %v", action, values, err)
	}
	if action, _, err := FindForm(body, ""); err != nil || action != "/deny" {
		t.Fatalf("FindForm() = %q %v, want the first POST form", action, err)
	}
	if _, _, err := FindForm(body, "missing"); err == nil {
		t.Fatal("FindForm found a button that is not there")
	}

	// Checkboxes and radio buttons count only when ticked, as in a browser.
	boxes := `<form method="post" action="/terms"><input type="checkbox" name="accept">
<input type="checkbox" name="news" checked><input type="checkbox" name="tag" value="a" checked>
<input type="checkbox" name="tag" value="b" checked><input type="radio" name="r" value="x"><input type="radio" name="r" value="y" checked></form>`
	_, values, err = FindForm(boxes, "")
	if err != nil || values.Has("accept") || values.Get("news") != "on" || len(values["tag"]) != 2 || values.Get("r") != "y" {
		t.Fatalf("FindForm(checkboxes) = %v %v", values, err)
	}
}

// Settle follows redirects on the service and stops at one leaving it.
func TestSettle(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/auth/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/auth/b", http.StatusSeeOther) })
	mux.HandleFunc("/auth/b", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://client.example/cb?code=1", http.StatusSeeOther)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res := New(t, srv.URL+"/auth/").Follow("/a")
	if res.Status != http.StatusSeeOther || res.Location != "https://client.example/cb?code=1" || res.URL.Path != "/auth/b" {
		t.Fatalf("Follow = %d %q from %s", res.Status, res.Location, res.URL)
	}
}
