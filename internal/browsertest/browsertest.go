// Package browsertest is the one browser the tests drive the service's
// pages with: an HTTP client with a cookie jar that, like a person without
// JavaScript, reads pages, fills in and submits their forms and follows
// redirects only when asked to. It is test support in plain .go files, so
// that the tests of several packages share it; no production package may
// import it.
package browsertest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// Browser is a cookie-keeping client bound to the service's public base.
type Browser struct {
	t      testing.TB
	base   *url.URL
	Client *http.Client
}

// New returns a browser for the service whose public base is base
// ("http://127.0.0.1:1234/auth/").
func New(t testing.TB, base string) *Browser {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		t.Fatalf("browsertest: %q is not an absolute URL", base)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Browser{t: t, base: u, Client: &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// Response is an answer with its body read.
type Response struct {
	Status   int
	Location string // the Location header, as sent
	Header   http.Header
	Body     string
	URL      *url.URL // what was requested
}

// URL resolves target: an absolute URL as it is, a path below the public
// base ("/login" is the login page even when the service lives under
// "/auth/"; a path already carrying the base's path is kept), or a path
// relative to from.
func (b *Browser) URL(from *url.URL, target string) *url.URL {
	b.t.Helper()
	ref, err := url.Parse(target)
	if err != nil {
		b.t.Fatalf("browsertest: bad URL %q: %v", target, err)
	}
	if ref.IsAbs() {
		return ref
	}
	prefix := strings.TrimSuffix(b.base.Path, "/")
	if strings.HasPrefix(ref.Path, "/") && !strings.HasPrefix(ref.Path, prefix+"/") {
		ref.Path = prefix + ref.Path
	}
	if from == nil {
		from = b.base
	}
	return from.ResolveReference(ref)
}

// Do sends req and reads the answer.
func (b *Browser) Do(req *http.Request) *Response {
	b.t.Helper()
	resp, err := b.Client.Do(req)
	if err != nil {
		b.t.Fatalf("browsertest: %s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("browsertest: reading %s: %v", req.URL, err)
	}
	return &Response{
		Status: resp.StatusCode, Location: resp.Header.Get("Location"),
		Header: resp.Header, Body: string(body), URL: req.URL,
	}
}

// Get fetches target without following redirects; header holds extra
// header names and values, in pairs.
func (b *Browser) Get(target string, header ...string) *Response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.URL(nil, target).String(), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.Do(req)
}

// Post posts form to target as a page of the service would: with the
// Origin and Sec-Fetch-Site a browser adds.
func (b *Browser) Post(target string, form url.Values) *Response {
	b.t.Helper()
	u := b.URL(nil, target)
	req, err := http.NewRequest(http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base.Scheme+"://"+b.base.Host)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.Do(req)
}

// Follow fetches target and follows the redirects that stay on the
// service, returning the first other answer.
func (b *Browser) Follow(target string) *Response {
	b.t.Helper()
	return b.Settle(b.Get(target))
}

// Settle follows the redirects from res that stay on the service; a
// redirect elsewhere (the client's redirect URI) is returned as it is.
func (b *Browser) Settle(res *Response) *Response {
	b.t.Helper()
	for range 10 {
		if res.Status < 300 || res.Status >= 400 || res.Location == "" {
			return res
		}
		next := b.URL(res.URL, res.Location)
		if next.Scheme != b.base.Scheme || next.Host != b.base.Host || !strings.HasPrefix(next.Path, b.base.Path) {
			return res
		}
		res = b.Get(next.String())
	}
	b.t.Fatal("browsertest: too many redirects")
	return nil
}

// Submit fills the first POST form of page (the one with the submit
// button of value button, when given) with fields, over what the page
// prefilled, and posts it; redirects are not followed.
func (b *Browser) Submit(page *Response, fields map[string]string, button string) *Response {
	b.t.Helper()
	action, values, err := FindForm(page.Body, button)
	if err != nil {
		b.t.Fatalf("browsertest: %s (status %d): %v\n%s", page.URL, page.Status, err, page.Body)
	}
	for k, v := range fields {
		values.Set(k, v)
	}
	return b.Post(b.URL(page.URL, action).String(), values)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// CSRF loads target and returns the CSRF token of its form.
func (b *Browser) CSRF(target string) string {
	b.t.Helper()
	return CSRFOf(b.t, b.Get(target))
}

// CSRFOf returns the CSRF token of the page's form.
func CSRFOf(t testing.TB, page *Response) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("browsertest: no CSRF field in %s (status %d):\n%s", page.URL, page.Status, page.Body)
	}
	return m[1]
}

// Cookie returns the browser's cookie of that name for the public base.
func (b *Browser) Cookie(name string) *http.Cookie {
	for _, c := range b.Client.Jar.Cookies(b.base) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// SetCookies gives the browser cookies for the public base, as if the
// service had set them.
func (b *Browser) SetCookies(cookies []*http.Cookie) {
	b.Client.Jar.SetCookies(b.base, cookies)
}

// FindForm returns the action and the prefilled values (hidden and text
// inputs, and the chosen submit button) of the first POST form of body,
// or of the one holding a submit button of value button when given.
func FindForm(body, button string) (string, url.Values, error) {
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
					name, typ := attr(n, "name"), strings.ToLower(attr(n, "type"))
					switch {
					case name == "" || typ == "submit":
					case typ == "checkbox" || typ == "radio":
						// As a browser: only when ticked, "on" without a value.
						if hasAttr(n, "checked") {
							v := attr(n, "value")
							if v == "" {
								v = "on"
							}
							values.Add(name, v)
						}
					default:
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

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
