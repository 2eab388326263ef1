package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"

	"mas/internal/routes"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// Browser is one user agent with a browser session (cookies), logged in
// once through the login page.
type Browser struct {
	c    *http.Client
	base string
	// from is the X-Forwarded-For address of the next request: each flow
	// comes from an address of its own, as from many users behind one
	// proxy, or the per-address limit on new authorization grants (200
	// at once, then 1/s, not configurable) would be what is measured.
	from string
}

// NewBrowser logs user in through the login form.
func NewBrowser(ctx context.Context, transport http.RoundTripper, base, user, password string) (*Browser, error) {
	jar, _ := cookiejar.New(nil)
	b := &Browser{base: base, c: &http.Client{Transport: transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	csrf, err := b.csrf(ctx, base+routes.Login)
	if err != nil {
		return nil, err
	}
	res, err := b.form(ctx, base+routes.Login, url.Values{"csrf": {csrf}, "username": {user}, "password": {password}})
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("login page: HTTP %d", res.StatusCode)
	}
	return b, nil
}

func (b *Browser) get(ctx context.Context, u string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	b.forwarded(req)
	res, err := b.c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res, body, err
}

func (b *Browser) form(ctx context.Context, u string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	b.forwarded(req)
	res, err := b.c.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res, nil
}

func (b *Browser) forwarded(req *http.Request) {
	if b.from != "" {
		req.Header.Set("X-Forwarded-For", b.from)
	}
}

// csrf loads a page and returns its form's CSRF token.
func (b *Browser) csrf(ctx context.Context, u string) (string, error) {
	res, body, err := b.get(ctx, u)
	if err != nil {
		return "", err
	}
	m := csrfField.FindSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil {
		return "", statusError("GET "+u+" (no form)", res.StatusCode, body)
	}
	return html.UnescapeString(string(m[1])), nil
}

// tokenAnswer is the token endpoint's answer.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// CodeFlow runs one authorization-code flow with the browser's session:
// authorize, the consent page and its allow, and the code exchange for
// tokens with an RS256 ID token.
func (b *Browser) CodeFlow(ctx context.Context, token *http.Client, from string) (tokenAnswer, error) {
	b.from = from
	var ans tokenAnswer
	q := url.Values{
		"response_type": {"code"}, "client_id": {benchClientID}, "redirect_uri": {benchRedirectURI},
		"scope": {"openid"}, "state": {rand.Text()}, "nonce": {rand.Text()},
	}
	res, body, err := b.get(ctx, b.base+routes.Authorize+"?"+q.Encode())
	if err != nil {
		return ans, err
	}
	consent := res.Header.Get("Location")
	if res.StatusCode/100 != 3 || consent == "" {
		return ans, statusError("authorize", res.StatusCode, body)
	}
	consentURL, err := res.Request.URL.Parse(consent)
	if err != nil {
		return ans, err
	}
	csrf, err := b.csrf(ctx, consentURL.String())
	if err != nil {
		return ans, err
	}
	res, err = b.form(ctx, consentURL.String(), url.Values{"csrf": {csrf}, "action": {"allow"}})
	if err != nil {
		return ans, err
	}
	cb, err := url.Parse(res.Header.Get("Location"))
	if err != nil || cb.Query().Get("code") == "" {
		return ans, fmt.Errorf("consent: HTTP %d, no code in %q", res.StatusCode, res.Header.Get("Location"))
	}
	return exchange(ctx, token, b.base, url.Values{
		"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")}, "redirect_uri": {benchRedirectURI},
	})
}

// exchange calls the token endpoint as the bench client.
func exchange(ctx context.Context, c *http.Client, base string, form url.Values) (tokenAnswer, error) {
	var ans tokenAnswer
	form.Set("client_id", benchClientID)
	form.Set("client_secret", benchClientSecret)
	data, err := post(ctx, c, base+routes.OAuth2Token, "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
	if err != nil {
		return ans, err
	}
	if err := json.Unmarshal(data, &ans); err != nil || ans.AccessToken == "" {
		return ans, fmt.Errorf("token endpoint: unexpected answer %s", data)
	}
	return ans, nil
}

// CodeFlowOp runs flows, one browser (logged in on first use) per worker.
// Each flow's refresh token is kept for OAuthRefreshOp.
func CodeFlowOp(c *http.Client, base string, seed *Seed, workers int, refresh []string) func(ctx context.Context, worker, seq int) error {
	browsers := make([]*Browser, workers)
	return func(ctx context.Context, worker, seq int) error {
		if browsers[worker] == nil {
			b, err := NewBrowser(ctx, c.Transport, base, seed.Users[worker%len(seed.Users)], seed.Password)
			if err != nil {
				return err
			}
			browsers[worker] = b
		}
		from := fmt.Sprintf("10.%d.%d.%d", worker%256, seq/256%256, seq%256)
		ans, err := browsers[worker].CodeFlow(ctx, c, from)
		if err != nil {
			return err
		}
		if alg := idTokenAlg(ans.IDToken); alg != "RS256" {
			return fmt.Errorf("token endpoint: ID token signed with %q, want RS256", alg)
		}
		if ans.RefreshToken != "" {
			refresh[worker] = ans.RefreshToken
		}
		return nil
	}
}

// idTokenAlg reads the alg of a JWS's protected header ("" if it has
// none).
func idTokenAlg(jws string) string {
	header, _, _ := strings.Cut(jws, ".")
	data, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return ""
	}
	var h struct {
		Alg string `json:"alg"`
	}
	_ = json.Unmarshal(data, &h)
	return h.Alg
}

// OAuthRefreshOp rotates the worker's OAuth refresh token (from a code
// flow) with the refresh_token grant.
func OAuthRefreshOp(c *http.Client, base string, refresh []string) func(ctx context.Context, worker, seq int) error {
	return func(ctx context.Context, worker, _ int) error {
		if refresh[worker] == "" {
			return fmt.Errorf("no refresh token for worker %d", worker)
		}
		ans, err := exchange(ctx, c, base, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh[worker]}})
		if err != nil {
			return err
		}
		refresh[worker] = ans.RefreshToken
		return nil
	}
}
