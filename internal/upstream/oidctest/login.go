package oidctest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// maxSteps bounds the requests of one Login: a provider that loops is an
// error, not a hang.
const maxSteps = 20

// Callback is the provider's answer to the client, not yet delivered: a
// redirect (Method GET, the parameters in URL's query) or, with
// response_mode=form_post, a form the browser would post (Method POST,
// the parameters in Form).
type Callback struct {
	Method string
	URL    *url.URL
	Form   url.Values
}

// Params are the response parameters (code, state, error, iss...),
// wherever the response mode put them.
func (c *Callback) Params() url.Values {
	if c.Method == http.MethodPost {
		return c.Form
	}
	return c.URL.Query()
}

// Request is the request that delivers the callback, for the test's own
// browser to send.
func (c *Callback) Request(ctx context.Context) (*http.Request, error) {
	if c.Method != http.MethodPost {
		return http.NewRequestWithContext(ctx, http.MethodGet, c.URL.String(), nil)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL.String(), strings.NewReader(c.Form.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, err
}

// Login starts at authorizeURL (the provider's authorization URL, or a
// URL of the client that redirects there), logs in with the provider's own
// form (and presses Allow on a consent form), and returns the response to
// the client without delivering it. client is the test's browser: its
// cookie jar keeps the provider's session, so a second Login of the same
// browser goes straight through. The test fails if the provider does not
// answer the client.
func (p *Provider) Login(t testing.TB, client *http.Client, authorizeURL, username, password string) *Callback {
	t.Helper()
	cb, err := p.Authorize(client, authorizeURL, username, password)
	if err != nil {
		t.Fatalf("oidctest: %s login as %q: %v", p.Kind, username, err)
	}
	return cb
}

// Authorize is Login returning its error: a refused password, say.
func (p *Provider) Authorize(client *http.Client, authorizeURL, username, password string) (*Callback, error) {
	cb, pg, err := p.walk(client, authorizeURL, &credentials{username, password})
	if err == nil && cb == nil {
		err = fmt.Errorf("the provider answered %d without a form or a redirect: %s", pg.status, pg.text)
	}
	return cb, err
}

type credentials struct{ username, password string }

// walk goes through the provider's pages from start as a browser would:
// it follows redirects, submits each page's first form (filling in the
// login form with creds), and stops at the first request that leaves the
// provider after reaching it (returned as a Callback, not sent) or at a
// page without a form (returned as it is).
func (p *Provider) walk(client *http.Client, start string, creds *credentials) (*Callback, *page, error) {
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	issuer, err := url.Parse(p.issuer)
	if err != nil {
		return nil, nil, err
	}
	method, target, form := http.MethodGet, start, url.Values(nil)
	atProvider, loggedIn := false, false
	for range maxSteps {
		u, err := url.Parse(target)
		if err != nil {
			return nil, nil, fmt.Errorf("bad URL %q: %v", target, err)
		}
		if sameOrigin(u, issuer) {
			atProvider = true
		} else if atProvider {
			return &Callback{Method: method, URL: u, Form: form}, nil, nil
		}
		pg, err := fetch(&c, method, u, form)
		if err != nil {
			return nil, nil, err
		}
		if pg.location != nil {
			method, target, form = http.MethodGet, pg.location.String(), nil
			continue
		}
		f := pg.form
		if f == nil {
			return nil, pg, nil
		}
		if f.password != "" {
			switch {
			case creds == nil:
				return nil, nil, fmt.Errorf("%s %s asks for a password", method, u)
			case loggedIn:
				return nil, nil, fmt.Errorf("the provider refused the login (status %d): %s", pg.status, pg.text)
			case f.username == "":
				return nil, nil, fmt.Errorf("the login form at %s has no username field", u)
			}
			f.fields.Set(f.username, creds.username)
			f.fields.Set(f.password, creds.password)
			loggedIn = true
		}
		if f.method == http.MethodGet {
			// A GET form sends its fields as the query.
			f.action.RawQuery, f.fields = f.fields.Encode(), nil
		}
		method, target, form = f.method, f.action.String(), f.fields
	}
	return nil, nil, fmt.Errorf("the provider was still answering after %d requests", maxSteps)
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// page is what Authorize needs of a response.
type page struct {
	status   int
	location *url.URL // a redirect's target
	form     *form    // the first form on an HTML page
	text     string   // the page's text, for errors
}

func fetch(c *http.Client, method string, u *url.URL, form url.Values) (*page, error) {
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", method, u, err)
	}
	pg := &page{status: res.StatusCode}
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		loc, err := res.Location()
		if err != nil {
			return nil, fmt.Errorf("%s %s: redirect %d without a usable Location: %v", method, u, res.StatusCode, err)
		}
		pg.location = loc
		return pg, nil
	}
	pg.form, pg.text, err = parsePage(u, data)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", method, u, err)
	}
	return pg, nil
}
