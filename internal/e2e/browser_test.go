package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"mas/internal/testenv"
)

// browser drives the HTML pages like a person with a cookie-keeping browser
// that does not run JavaScript.
type browser struct {
	t   *testing.T
	env *testenv.Env
	c   *http.Client
}

func newBrowser(t *testing.T, env *testenv.Env) *browser {
	return &browser{t: t, env: env, c: env.Browser()}
}

// page is a fetched HTML page.
type page struct {
	url    *url.URL
	status int
	body   string
}

// get fetches a URL (absolute, or a path on the service) without following
// redirects.
func (b *browser) get(raw string) *http.Response {
	b.t.Helper()
	u := b.resolve(nil, raw)
	resp, err := b.c.Get(u.String())
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	return resp
}

func (b *browser) resolve(base *url.URL, raw string) *url.URL {
	b.t.Helper()
	if base == nil {
		var err error
		if base, err = url.Parse(b.env.BaseURL); err != nil {
			b.t.Fatal(err)
		}
	}
	ref, err := url.Parse(raw)
	if err != nil {
		b.t.Fatalf("bad URL %q: %v", raw, err)
	}
	return base.ResolveReference(ref)
}

// follow fetches raw and follows redirects that stay on the service,
// returning the first response that is not such a redirect.
func (b *browser) follow(raw string) (*http.Response, *page) {
	b.t.Helper()
	resp := b.get(raw)
	return b.settle(resp)
}

// settle follows same-origin redirects from resp.
func (b *browser) settle(resp *http.Response) (*http.Response, *page) {
	b.t.Helper()
	for i := 0; i < 10; i++ {
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode >= 400 || loc == "" {
			return resp, b.read(resp)
		}
		next := b.resolve(resp.Request.URL, loc)
		if !strings.HasPrefix(next.String(), b.env.BaseURL) {
			return resp, b.read(resp) // leaving the service (the client's redirect URI)
		}
		resp.Body.Close()
		resp = b.get(next.String())
	}
	b.t.Fatal("too many redirects")
	return nil, nil
}

func (b *browser) read(resp *http.Response) *page {
	b.t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return &page{url: resp.Request.URL, status: resp.StatusCode, body: string(body)}
}

// submit fills the page's first POST form (the one containing button
// value `button` when given) with fields and posts it, returning the raw
// response (redirects not followed).
func (b *browser) submit(p *page, fields map[string]string, button string) *http.Response {
	b.t.Helper()
	action, values, err := findForm(p.body, button)
	if err != nil {
		b.t.Fatalf("%s (status %d): %v\n%s", p.url, p.status, err, p.body)
	}
	for k, v := range fields {
		values.Set(k, v)
	}
	target := b.resolve(p.url, action)
	req, err := http.NewRequest(http.MethodPost, target.String(), strings.NewReader(values.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// A browser says where the form came from.
	req.Header.Set("Origin", strings.TrimSuffix(b.env.BaseURL, "/"))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("POST %s: %v", target, err)
	}
	return resp
}

// findForm returns the action and the prefilled values (hidden inputs,
// text values, and the chosen submit button) of a POST form.
func findForm(body, button string) (string, url.Values, error) {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return "", nil, err
	}
	var forms []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "form" && strings.EqualFold(attr(n, "method"), "post") {
			forms = append(forms, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, f := range forms {
		values := url.Values{}
		found := button == ""
		var collect func(*html.Node)
		collect = func(n *html.Node) {
			if n.Type == html.ElementNode {
				switch n.Data {
				case "input":
					if name := attr(n, "name"); name != "" && attr(n, "type") != "submit" {
						values.Set(name, attr(n, "value"))
					}
				case "button":
					if button != "" && attr(n, "value") == button && attr(n, "name") != "" {
						values.Set(attr(n, "name"), button)
						found = true
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				collect(c)
			}
		}
		collect(f)
		if found {
			return attr(f, "action"), values, nil
		}
	}
	return "", nil, fmt.Errorf("no POST form with button %q", button)
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
