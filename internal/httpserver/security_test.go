package httpserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"mas/internal/routes"
	"mas/internal/templates"
)

func hashSource(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// directives splits a CSP into its directives' source lists, by name.
func directives(t *testing.T, csp string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for d := range strings.SplitSeq(csp, ";") {
		fields := strings.Fields(d)
		if len(fields) == 0 {
			continue
		}
		if _, dup := out[fields[0]]; dup {
			t.Errorf("directive %s appears twice in %q", fields[0], csp)
		}
		out[fields[0]] = fields[1:]
	}
	return out
}

// checkStylesAllowed fails unless every <style> element of page is allowed
// by csp's style-src, as a browser would judge it.
func checkStylesAllowed(t *testing.T, name, csp string, page []byte) {
	t.Helper()
	styleSrc := directives(t, csp)["style-src"]
	if slices.Contains(styleSrc, "'unsafe-inline'") {
		t.Errorf("%s: style-src allows any inline style: %q", name, csp)
	}
	styles := inlineElements(page, "style")
	if len(styles) == 0 && strings.Contains(string(page), "<style") {
		t.Errorf("%s: <style> present but not found by the tokenizer", name)
	}
	for _, s := range styles {
		if !slices.Contains(styleSrc, hashSource(s)) {
			t.Errorf("%s: a <style> element (%s) is not allowed by %q", name, hashSource(s), csp)
		}
	}
}

// wantCommonHeaders checks the headers every response carries.
func wantCommonHeaders(t *testing.T, name string, h http.Header) {
	t.Helper()
	for key, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
	} {
		if got := h.Values(key); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s %q, want %q", name, key, got, want)
		}
	}
	if got := h.Values("Content-Security-Policy"); len(got) != 1 {
		t.Errorf("%s: Content-Security-Policy %q, want one", name, got)
	}
}

// TestSecurityHeadersOnEveryResponse covers each kind of answer a listener
// gives: pages of a resource, JSON, the server's own 404, 405 and 500
// pages, health, metrics, the prefix redirect and a CORS preflight.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	tpl, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{
			Name:   "web",
			Prefix: "/auth",
			Resources: []Resource{
				{Name: ResourceHuman}, {Name: ResourceOAuth}, {Name: ResourceHealth}, {Name: ResourcePrometheus},
			},
			Binds: tcpBind(),
		}},
		Templates: tpl,
		Mounts: map[string]MountFunc{
			ResourceHuman: func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("GET /login", func(w http.ResponseWriter, _ *http.Request) {
					page := templates.LoginPage{}.Sample()[0]
					if err := tpl.Respond(w, http.StatusOK, templates.PageLogin, page); err != nil {
						t.Error(err)
					}
				})
				mux.HandleFunc("GET "+routes.ConsentPattern, func(w http.ResponseWriter, _ *http.Request) {
					page := templates.ConsentPage{}.Sample()[0]
					if err := tpl.Respond(w, http.StatusOK, templates.PageConsent, page); err != nil {
						t.Error(err)
					}
				})
				mux.HandleFunc("GET /boom", func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Security-Policy", "script-src *")
					panic("kaboom")
				})
			},
			ResourceOAuth: func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("GET /oauth2/keys.json", func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, `{"keys":[]}`)
				})
				mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, _ *http.Request) {})
			},
		},
	})
	base := baseURL(t, srv, "web")
	pagePolicy := srv.listeners[0].handler.(*listenerHandler).security.pagePolicies()
	if len(pagePolicy.styles) == 0 {
		t.Fatal("no inline style found in the templates")
	}
	wantPage := "default-src 'none'; style-src 'self' " + strings.Join(pagePolicy.styles, " ") +
		"; img-src 'self' https: data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
	wantConsent := strings.Replace(wantPage, "; form-action 'self'", "", 1)

	tests := []struct {
		name, method, path string
		header             http.Header
		status             int
		csp                string
	}{
		{"html page", "GET", "/auth/login", nil, http.StatusOK, wantPage},
		{"consent page", "GET", "/auth" + routes.Consent("01ARZ3NDEKTSV4RRFFQ69G5FAV"), nil, http.StatusOK, wantConsent},
		{"json", "GET", "/auth/oauth2/keys.json", nil, http.StatusOK, apiPolicy},
		{"404 page", "GET", "/auth/nope", nil, http.StatusNotFound, wantPage},
		{"404 outside the prefix", "GET", "/nope", nil, http.StatusNotFound, wantPage},
		{"405", "GET", "/auth/oauth2/token", nil, http.StatusMethodNotAllowed, apiPolicy},
		{"500 page after a panic", "GET", "/auth/boom", nil, http.StatusInternalServerError, wantPage},
		{"health", "GET", "/auth/health", nil, http.StatusOK, apiPolicy},
		{"metrics", "GET", "/auth/metrics", nil, http.StatusOK, apiPolicy},
		{"prefix redirect", "GET", "/auth", nil, http.StatusTemporaryRedirect, wantPage},
		{"cors preflight", "OPTIONS", "/auth/oauth2/token", http.Header{
			"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"POST"},
		}, http.StatusOK, apiPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, nil, tt.method, base+tt.path, tt.header)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d\n%s", res.status, tt.status, res.body)
			}
			wantCommonHeaders(t, tt.name, res.header)
			if got := res.header.Get("Content-Security-Policy"); got != tt.csp {
				t.Errorf("Content-Security-Policy\n got %q\nwant %q", got, tt.csp)
			}
			if isHTML(res.header.Get("Content-Type")) {
				checkStylesAllowed(t, tt.name, res.header.Get("Content-Security-Policy"), []byte(res.body))
			}
		})
	}
}

// TestHandlerSecurityHeadersKept: a handler's own value of any of the
// headers is sent as it is, once, however it was set.
func TestHandlerSecurityHeadersKept(t *testing.T) {
	const own = "default-src 'none'; script-src 'sha256-abc'"
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{Name: "web", Resources: []Resource{{Name: ResourceHuman}, {Name: ResourceOAuth}}, Binds: tcpBind()}},
		Mounts: map[string]MountFunc{
			ResourceHuman: func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("GET /set", func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					w.Header().Set("Content-Security-Policy", own)
					w.Header().Set("X-Frame-Options", "SAMEORIGIN")
					w.Header().Set("Referrer-Policy", "origin")
					w.WriteHeader(http.StatusOK)
				})
				mux.HandleFunc("GET /add", func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					w.Header().Add("Content-Security-Policy", own)
					io.WriteString(w, "<p>hi")
				})
				mux.HandleFunc("GET /flush", func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					w.Header().Set("Content-Security-Policy", own)
					http.NewResponseController(w).Flush()
					io.WriteString(w, "streamed")
				})
			},
			ResourceOAuth: func(mux *http.ServeMux, _ Resource) {
				mux.HandleFunc("GET /json", func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.Header().Set("X-Content-Type-Options", "nosniff")
					io.WriteString(w, "{}")
				})
			},
		},
	})
	base := baseURL(t, srv, "web")
	tests := []struct {
		path string
		want map[string]string
	}{
		{"/set", map[string]string{
			"Content-Security-Policy": own, "X-Frame-Options": "SAMEORIGIN",
			"Referrer-Policy": "origin", "X-Content-Type-Options": "nosniff",
		}},
		{"/add", map[string]string{"Content-Security-Policy": own, "X-Frame-Options": "DENY"}},
		{"/flush", map[string]string{"Content-Security-Policy": own, "Referrer-Policy": "no-referrer"}},
		{"/json", map[string]string{"X-Content-Type-Options": "nosniff", "Content-Security-Policy": apiPolicy}},
	}
	for _, tt := range tests {
		res := get(t, base+tt.path)
		for key, want := range tt.want {
			if got := res.header.Values(key); len(got) != 1 || got[0] != want {
				t.Errorf("%s: %s %q, want [%q]", tt.path, key, got, want)
			}
		}
	}
}

// TestPageStylesFollowTemplateReload: an operator's base.html with other
// CSS, reloaded on SIGHUP, is allowed once the refresh interval has passed
// (and not a request later).
func TestPageStylesFollowTemplateReload(t *testing.T) {
	embedded, err := os.ReadFile(filepath.Join("..", "templates", "files", "base.html"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeBase := func(css string) {
		t.Helper()
		text := bytes.Replace(embedded, []byte("<style>\n"), []byte("<style>\n"+css+"\n"), 1)
		if bytes.Equal(text, embedded) {
			t.Fatal("base.html has no <style> element to change")
		}
		if err := os.WriteFile(filepath.Join(dir, "base.html"), text, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeBase("h1 { color: red; }")
	tpl, err := templates.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{Name: "web", Binds: tcpBind()}},
		Templates: tpl,
	})
	notFound := baseURL(t, srv, "web") + "/nope"

	first := get(t, notFound)
	checkStylesAllowed(t, "override", first.header.Get("Content-Security-Policy"), []byte(first.body))

	writeBase("h1 { color: blue; }")
	if err := tpl.Reload(); err != nil {
		t.Fatal(err)
	}
	second := get(t, notFound)
	if first.header.Get("Content-Security-Policy") == second.header.Get("Content-Security-Policy") {
		t.Error("the policy did not change with the styles")
	}
	checkStylesAllowed(t, "reloaded override", second.header.Get("Content-Security-Policy"), []byte(second.body))
}

// TestPagesFitThePolicy renders every sample of every template and checks
// that the page policy lets it work: its inline styles are allowed by
// hash, and it has no script, event handler attribute, style attribute or
// javascript: URL, which the policy would block. The form_post page is the
// exception: its one script is allowed by its own policy.
func TestPagesFitThePolicy(t *testing.T) {
	tpl, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	policy, err := newSecurityPolicy(tpl, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	pageCSP := policy.pagePolicies().withFormCheck
	rendered, err := tpl.RenderSamples()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rendered {
		name := r.Name + " sample " + strconv.Itoa(r.Sample)
		scripts := inlineElements(r.HTML, "script")
		if r.Name == templates.PageFormPost {
			if len(scripts) != 1 {
				t.Errorf("%s: %d scripts, want 1", name, len(scripts))
			}
		} else {
			// The registration form's captcha script is external (empty);
			// its handler adds its origins to that page's policy
			// (TestPageSourcesExtendOnlyThatPage).
			if r.Name == templates.PageRegisterPassword {
				scripts = slices.DeleteFunc(scripts, func(s string) bool { return s == "" })
			}
			if len(scripts) != 0 {
				t.Errorf("%s: has a <script>, which the page policy blocks", name)
			}
			checkStylesAllowed(t, name, pageCSP, r.HTML)
		}
		z := html.NewTokenizer(bytes.NewReader(r.HTML))
		for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			tag, hasAttr := z.TagName()
			for hasAttr {
				var key, val []byte
				key, val, hasAttr = z.TagAttr()
				k, v := string(key), strings.TrimSpace(strings.ToLower(string(val)))
				switch {
				case strings.HasPrefix(k, "on"):
					t.Errorf("%s: <%s %s=…> is an inline event handler", name, tag, k)
				case k == "style":
					t.Errorf("%s: <%s style=…> is an inline style the policy blocks", name, tag)
				case strings.HasPrefix(v, "javascript:"):
					t.Errorf("%s: <%s %s=%q>", name, tag, k, v)
				case string(tag) == "img" && k == "src" && !sameOrigin(v) &&
					!strings.HasPrefix(v, "https:") && !strings.HasPrefix(v, "data:"):
					t.Errorf("%s: image %q is not allowed by img-src", name, v)
				case string(tag) == "form" && k == "action" && r.Name != templates.PageFormPost && !sameOrigin(v):
					t.Errorf("%s: form posts to %q, which form-action 'self' blocks", name, v)
				}
			}
		}
	}
}

// sameOrigin reports whether a URL in a page is relative to it, and so
// matches 'self' (html/template turns unsafe URLs into "#ZgotmplZ", which
// is).
func sameOrigin(ref string) bool {
	u, err := url.Parse(ref)
	return err == nil && u.Scheme == "" && u.Host == ""
}

// TestFormPostPolicy: the form_post page's own policy allows exactly the
// script the template renders, and forms to us and to the redirect URI.
func TestFormPostPolicy(t *testing.T) {
	tpl, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ action, formAction string }{
		{"https://client.example/callback?x=1", "'self' https://client.example"},
		{"https://Client.Example:8443/cb", "'self' https://client.example:8443"},
		{"http://localhost:3000/cb", "'self' http://localhost:3000"},
		// CSP host sources never match IP literals: only the scheme can.
		{"http://127.0.0.1:49152/cb", "'self' http:"},
		{"http://[::1]:49152/cb", "'self' http:"},
		{"com.example.app:/callback", "'self' com.example.app:"},
		// Nothing but a plain host name reaches the header.
		{"https://a;b/cb", "'self' https:"},
		{"https://a,b/cb", "'self' https:"},
		{"https://exa_mple.com/cb", "'self' https:"},
	}
	for _, tt := range tests {
		page := templates.FormPostPage{}.Sample()[0]
		page.Action = template.URL(tt.action)
		csp := page.ContentSecurityPolicy()
		d := directives(t, csp)
		if got := strings.Join(d["form-action"], " "); got != tt.formAction {
			t.Errorf("%s: form-action %q, want %q", tt.action, got, tt.formAction)
		}
		for name, want := range map[string]string{
			"default-src": "'none'", "frame-ancestors": "'none'", "base-uri": "'none'",
		} {
			if got := strings.Join(d[name], " "); got != want {
				t.Errorf("%s: %s %q, want %q", tt.action, name, got, want)
			}
		}
		if _, ok := d["style-src"]; ok {
			t.Errorf("%s: the page has no style to allow: %q", tt.action, csp)
		}

		body, err := tpl.Render(templates.PageFormPost, page)
		if err != nil {
			t.Fatal(err)
		}
		scripts := inlineElements(body, "script")
		if len(scripts) != 1 || !strings.Contains(scripts[0], "submit()") {
			t.Fatalf("%s: scripts %q", tt.action, scripts)
		}
		if got, want := d["script-src"], []string{hashSource(scripts[0])}; !slices.Equal(got, want) {
			t.Errorf("%s: script-src %q, want %q (the rendered script's hash)", tt.action, got, want)
		}
		if !bytes.Contains(body, []byte("<noscript>")) || !bytes.Contains(body, []byte(`<button type="submit">`)) {
			t.Errorf("%s: no fallback button without scripts", tt.action)
		}
	}
}
