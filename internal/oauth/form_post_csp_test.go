package oauth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"mas/internal/browsertest"
)

// TestFormPostPageOwnPolicy: the form_post page is served with a policy of
// its own that lets its inline script run (by the hash of the script the
// response really holds, not of some copy) and lets its form reach the
// redirect URI's origin, while the no-script fallback stays.
func TestFormPostPageOwnPolicy(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	web := "https://client.example:8443/cb?tenant=a"
	native := "com.example.app:/callback"
	loopback := "http://127.0.0.1:49152/cb"
	c := e.client(web, native, loopback)
	b := loggedIn(t, e, "alice")

	tests := []struct{ redirectURI, formAction string }{
		{web, "'self' https://client.example:8443"},
		{native, "'self' com.example.app:"},
		// CSP host sources cannot name an IP address; the scheme can.
		{loopback, "'self' http:"},
	}
	for _, tt := range tests {
		t.Run(tt.redirectURI, func(t *testing.T) {
			params := codeParams(c, tt.redirectURI)
			params.Set("response_mode", "form_post")
			consent := startGrant(t, b, params)
			res := b.Post(consent, url.Values{"csrf": {browsertest.CSRFOf(t, b.Get(consent))}, "action": {"allow"}})
			if res.Status != http.StatusOK {
				t.Fatalf("form_post: %d\n%s", res.Status, res.Body)
			}
			policies := res.Header.Values("Content-Security-Policy")
			if len(policies) != 1 {
				t.Fatalf("Content-Security-Policy %q, want one", policies)
			}
			d := map[string]string{}
			for dir := range strings.SplitSeq(policies[0], ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(dir), " ")
				d[name] = value
			}

			scripts := scriptsOf(t, res.Body)
			if len(scripts) != 1 {
				t.Fatalf("scripts %q, want one", scripts)
			}
			sum := sha256.Sum256([]byte(scripts[0]))
			if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; d["script-src"] != want {
				t.Errorf("script-src %q, want %q, the hash of %q", d["script-src"], want, scripts[0])
			}
			if d["form-action"] != tt.formAction {
				t.Errorf("form-action %q, want %q", d["form-action"], tt.formAction)
			}
			if d["default-src"] != "'none'" || d["frame-ancestors"] != "'none'" || d["base-uri"] != "'none'" {
				t.Errorf("policy %q", policies[0])
			}
			if !strings.Contains(res.Body, `<noscript>`) || !strings.Contains(res.Body, `<button type="submit">`) {
				t.Errorf("no fallback without scripts:\n%s", res.Body)
			}
		})
	}
}

// scriptsOf returns the text of each <script> element of page, as the
// browser hashes it.
func scriptsOf(t *testing.T, page string) []string {
	t.Helper()
	var out []string
	z := html.NewTokenizer(strings.NewReader(page))
	inScript := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			name, _ := z.TagName()
			inScript = string(name) == "script"
			if inScript {
				out = append(out, "")
			}
		case html.TextToken:
			if inScript {
				out[len(out)-1] += string(z.Text())
			}
		case html.EndTagToken:
			inScript = false
		}
	}
}
