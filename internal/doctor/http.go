package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxBody bounds what is read of an answer: the checks only need small
// JSON documents, and a misrouted URL may stream something big.
const maxBody = 1 << 20

// maxRedirects is how many same-host redirects a request follows.
const maxRedirects = 10

// response is what a check needs of an answer.
type response struct {
	status int
	body   []byte
	// final is the URL that answered, which differs from the requested
	// one after same-host redirects.
	final *url.URL
}

// redirectError stops a redirect the checks must not follow silently: to
// another host (the answer would not be about the configured server, and
// the shared secret must not travel there) or from HTTPS to plain HTTP.
type redirectError struct {
	to        *url.URL
	downgrade bool
}

func (e *redirectError) Error() string {
	if e.downgrade {
		return fmt.Sprintf("redirected from HTTPS to plain HTTP (%s); not followed", e.to.Redacted())
	}
	return fmt.Sprintf("redirected to another host (%s); not followed", e.to.Redacted())
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects, at %s", maxRedirects, req.URL.Redacted())
	}
	first := via[0].URL
	if !strings.EqualFold(req.URL.Hostname(), first.Hostname()) {
		return &redirectError{to: req.URL}
	}
	if first.Scheme == "https" && req.URL.Scheme != "https" {
		return &redirectError{to: req.URL, downgrade: true}
	}
	return nil
}

// get sends one GET request, bounded by the per-request timeout. bearer,
// when set, goes in the Authorization header. The error is ready to print:
// it names neither the URL (the caller does) nor the secret.
func (d *doctor) get(ctx context.Context, target *url.URL, bearer string) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if d.userAgent != "" {
		req.Header.Set("User-Agent", d.userAgent)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, d.describe(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, d.describe(ctx, fmt.Errorf("reading the answer: %w", err))
	}
	return &response{status: resp.StatusCode, body: body, final: resp.Request.URL}, nil
}

// describe turns a transport error into a short explanation.
func (d *doctor) describe(ctx context.Context, err error) error {
	var re *redirectError
	if errors.As(err, &re) {
		return re
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s", d.timeout)
	}
	// The URL is printed by the caller; url.Error would repeat it.
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// status formats an HTTP status for messages: "404 Not Found".
func status(code int) string {
	if text := http.StatusText(code); text != "" {
		return fmt.Sprintf("%d %s", code, text)
	}
	return fmt.Sprint(code)
}

// redirectedHint tells where the answer actually came from when redirects
// were followed, so that a failure is not blamed on the wrong URL.
func redirectedHint(requested *url.URL, resp *response) []string {
	if resp.final == nil || resp.final.String() == requested.String() {
		return nil
	}
	return []string{"(The request was redirected; the answer came from " + resp.final.Redacted() + ")"}
}

// excerpt returns a body for printing: trimmed and cut to a few lines'
// worth.
func excerpt(body []byte) string {
	const limit = 1000
	s := strings.TrimSpace(string(body))
	if s == "" {
		return "(empty body)"
	}
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + " […]"
	}
	return s
}
