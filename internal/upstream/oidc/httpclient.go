package oidc

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

const (
	// requestTimeout bounds every exchange with the provider, whatever
	// client the caller passed.
	requestTimeout = 10 * time.Second
	// maxRedirects is how many redirects a request may follow. Providers
	// are configured by the operator, so private addresses are allowed
	// (unlike clients' jwks_uri), but a redirect loop is not.
	maxRedirects = 3
	// maxBodyBytes bounds what we read of any reply.
	maxBodyBytes = 1 << 20
	userAgent    = "mas-upstream-oidc"
)

// NewHTTPClient returns the client used to talk to providers: bounded
// connection, handshake and response times, at most a few redirects and
// none from https to http.
func NewHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: requestTimeout,
		MaxIdleConns:          32,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: transport, Timeout: requestTimeout, CheckRedirect: checkRedirect}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("more than %d redirects", maxRedirects)
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("refusing a redirect from https to %s", req.URL.Scheme)
	}
	return nil
}

// reply is a provider's answer, read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// send performs req with the request timeout, detached from the caller's
// cancellation: a browser that goes away must not turn into a cached
// "provider unreachable". Transport failures and 5xx answers are
// KindUnreachable; what the status means otherwise is the caller's call.
func (p *Provider) send(ctx context.Context, req *http.Request, what string) (*reply, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
	defer cancel()
	req = req.WithContext(ctx)
	req.Header.Set("User-Agent", userAgent)
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, p.fail(KindUnreachable, err, "%s request failed", what)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return nil, p.fail(KindUnreachable, err, "reading the %s response", what)
	}
	if len(body) > maxBodyBytes {
		return nil, p.fail(KindBadResponse, nil, "%s response is larger than %d bytes", what, maxBodyBytes)
	}
	if resp.StatusCode >= 500 {
		return nil, p.fail(KindUnreachable, nil, "%s endpoint answered HTTP %d", what, resp.StatusCode)
	}
	return &reply{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// get fetches a JSON document (discovery, JWK Set) and requires 200.
func (p *Provider) get(ctx context.Context, uri, what string, badKind Kind) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, uri, nil)
	if err != nil {
		return nil, p.fail(KindConfig, err, "invalid %s URL", what)
	}
	req.Header.Set("Accept", "application/json")
	r, err := p.send(ctx, req, what)
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusOK {
		return nil, p.fail(badKind, nil, "%s endpoint answered HTTP %d", what, r.status)
	}
	return r.body, nil
}
