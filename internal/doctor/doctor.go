// Package doctor diagnoses a deployment: it checks, from the outside, that
// the homeserver and this service are configured to work together, and
// prints one result line per check with a hint on how to fix a failure.
//
// The checks and their pass/fail rules follow upstream's `mas-cli doctor`,
// in the same order:
//
//  1. the issuer uses HTTPS;
//  2. the client well-known document of the server name is served (it
//     also tells which public C-S API URL clients use);
//  3. the homeserver's C-S API answers at matrix.endpoint;
//  4. the homeserver rejects an invalid access token with 401, which
//     proves it asked this service to introspect the token;
//  5. the homeserver accepts the shared secret on /_synapse/mas/*;
//  6. the compatibility login API, as clients reach it, is served by this
//     service rather than by the homeserver;
//  7. (ours) every listener resource the configuration names is served by
//     this version.
//  8. (ours) mail can be sent: the SMTP relay answers, upgrades to TLS and
//     accepts the login, or the sendmail command exists; the blackhole
//     fails when registration or recovery needs mail.
//  9. (ours) each enabled upstream provider that uses discovery serves its
//     discovery document, naming the configured issuer.
//
// Checks 4 and 5 only run when check 3 passed. Nothing the checks print
// contains the shared secret.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds each request the checks send.
const DefaultTimeout = 10 * time.Second

// Options describe the deployment to check.
type Options struct {
	// Issuer is the service's OIDC issuer (http.issuer, else
	// http.public_base). It is only inspected, never fetched.
	Issuer string
	// ServerName is the homeserver's server_name (matrix.homeserver): a
	// hostname, IPv4 address or bracketed IPv6 address, with an optional
	// port.
	ServerName string
	// Endpoint is the homeserver's base URL as seen by the service
	// (matrix.endpoint). It may carry a path prefix, which is kept.
	Endpoint string
	// Secret is the shared secret (matrix.secret). It is sent to the
	// homeserver but never printed.
	Secret string
	// WellKnownURL is the base URL under which the client well-known
	// document is looked up. Empty means https://<hostname of ServerName>,
	// where Matrix clients look for it.
	WellKnownURL string
	// Standalone says the service runs with matrix.kind: standalone, with
	// no homeserver at all: reported as a failure, homeserver checks skipped.
	Standalone bool
	// Timeout bounds each request. Default DefaultTimeout.
	Timeout time.Duration
	// Transport sends the requests. Default: a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
	// UserAgent is sent with every request when set.
	UserAgent string
	// Unserved are the listener resources of the configuration that this
	// version does not serve: each is a warning.
	Unserved []Unserved
	// Mail describes the mail settings; nil skips the mail check.
	Mail *Mail
	// Providers are the enabled upstream providers that use discovery;
	// each one's discovery document is fetched.
	Providers []Provider
}

// Unserved is a listener resource whose paths answer 404.
type Unserved struct {
	Listener, Resource string
	Paths              []string
}

// Summary counts the results of one run.
type Summary struct {
	Passed   int // ✅ lines
	Warnings int // ⚠️ lines
	Failures int // ❌ lines
}

// Intro is the first line of every run.
const Intro = "💡 Running diagnostics. Both this service and the homeserver (Synapse) must be " +
	"running, and this tool must read the same configuration files as the service."

// Run runs every check, writing the results to w. The error is only about
// unusable options, a failing writer or a cancelled context; failed checks
// are counted in the summary.
func Run(ctx context.Context, w io.Writer, opts Options) (Summary, error) {
	d, err := newDoctor(w, opts)
	if err != nil {
		return Summary{}, err
	}
	d.out.info(Intro)
	d.checkIssuer()
	if opts.Standalone {
		d.out.fail("matrix.kind is standalone: the service is not connected to any homeserver",
			"This mode is for trying the service out. Set matrix.kind to synapse and point",
			"matrix.endpoint and matrix.secret at your homeserver for a real deployment.")
		d.checkMail(ctx, opts.Mail)
		d.checkProviders(ctx, opts.Providers)
		return d.out.summary, ctx.Err()
	}
	discovered := d.checkWellKnown(ctx)
	if d.checkReachable(ctx) {
		d.checkTokenRejected(ctx)
		d.checkSharedSecret(ctx)
	}
	d.checkCompatLogin(ctx, discovered)
	d.checkUnserved(opts.Unserved)
	d.checkMail(ctx, opts.Mail)
	d.checkProviders(ctx, opts.Providers)
	if d.out.err != nil {
		return d.out.summary, d.out.err
	}
	// An interrupted run printed failures that say nothing about the
	// deployment; say so rather than leave them to be believed.
	return d.out.summary, ctx.Err()
}

// doctor holds the validated options of one run.
type doctor struct {
	out        *reporter
	issuer     string
	serverName string
	endpoint   *url.URL
	wellKnown  *url.URL
	timeout    time.Duration
	client     *http.Client
	userAgent  string
	secret     string
}

func newDoctor(w io.Writer, opts Options) (*doctor, error) {
	if opts.Issuer == "" {
		return nil, errors.New("doctor: the issuer (http.issuer or http.public_base) is required")
	}
	host, err := serverNameHost(opts.ServerName)
	if err != nil {
		return nil, fmt.Errorf("doctor: the homeserver name in the configuration (matrix.homeserver) "+
			"is not a valid server name: %w\nSee %s/setup/homeserver.html", err, docsBase)
	}
	endpoint, err := baseURL(opts.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("doctor: matrix.endpoint: %w", err)
	}
	wkBase := opts.WellKnownURL
	if wkBase == "" {
		wkBase = "https://" + host
	}
	wk, err := baseURL(wkBase)
	if err != nil {
		return nil, fmt.Errorf("doctor: well-known URL: %w", err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	transport := opts.Transport
	if transport == nil {
		transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &doctor{
		out:        &reporter{w: w, secret: opts.Secret},
		issuer:     opts.Issuer,
		serverName: opts.ServerName,
		endpoint:   endpoint,
		wellKnown:  wk,
		timeout:    timeout,
		client:     &http.Client{Transport: transport, CheckRedirect: checkRedirect},
		userAgent:  opts.UserAgent,
		secret:     opts.Secret,
	}, nil
}

// baseURL parses an absolute http(s) URL that paths get appended to.
func baseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the whole input, which may hold credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("invalid URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", u.Redacted())
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	return u, nil
}

// join appends an API path to a base URL, keeping the base's own path, the
// way the service itself builds homeserver URLs (reverse proxies that mount
// the homeserver under a prefix keep working).
func join(base *url.URL, path string) *url.URL {
	u := *base
	path = strings.TrimPrefix(path, "/")
	u.Path = strings.TrimSuffix(base.Path, "/") + "/" + path
	if base.RawPath != "" {
		// Keep escapes such as %2F in the prefix as they were written.
		u.RawPath = strings.TrimSuffix(base.RawPath, "/") + "/" + path
	}
	return &u
}

// serverNameHost validates a Matrix server name (hostname [":" port]) and
// returns its host part, brackets kept for IPv6. Clients look the
// well-known document up on the host alone, without the port.
func serverNameHost(name string) (string, error) {
	if name == "" {
		return "", errors.New("it is empty")
	}
	host, port := name, ""
	if strings.HasPrefix(name, "[") {
		end := strings.IndexByte(name, ']')
		if end < 0 {
			return "", fmt.Errorf("%q: unterminated IPv6 literal", name)
		}
		host, port = name[:end+1], name[end+1:]
		if ip := net.ParseIP(host[1 : len(host)-1]); ip == nil || ip.To4() != nil {
			return "", fmt.Errorf("%q: invalid IPv6 address", name)
		}
		if port != "" && !strings.HasPrefix(port, ":") {
			return "", fmt.Errorf("%q: unexpected characters after the IPv6 address", name)
		}
		port = strings.TrimPrefix(port, ":")
	} else if i := strings.LastIndexByte(name, ':'); i >= 0 {
		host, port = name[:i], name[i+1:]
		if port == "" {
			return "", fmt.Errorf("%q: empty port", name)
		}
	}
	if port != "" || strings.HasSuffix(name, ":") {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || len(port) > 5 {
			return "", fmt.Errorf("%q: invalid port %q", name, port)
		}
	}
	if strings.HasPrefix(host, "[") {
		return host, nil
	}
	if host == "" || len(host) > 255 {
		return "", fmt.Errorf("%q: the hostname must be 1 to 255 characters long", name)
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "", fmt.Errorf("%q: the hostname may only contain letters, digits, '-' and '.'", name)
		}
	}
	return host, nil
}
