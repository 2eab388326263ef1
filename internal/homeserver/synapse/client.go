package synapse

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"mas/internal/homeserver"
)

// Client talks to Synapse's /_synapse/mas/* API. It is safe for concurrent
// use.
type Client struct {
	base              *url.URL
	serverName        string
	secret            string
	http              *http.Client
	timeout           time.Duration
	deleteUserTimeout time.Duration
	userAgent         string
}

var _ homeserver.Connection = (*Client)(nil)

// Limits on how much of a response is read. Synapse's answers are tiny; the
// limits only protect against a misrouted endpoint streaming something big.
const (
	maxBodyBytes  = 1 << 20
	quotedBodyLen = 200
)

// New validates opts and returns a client. It does not contact the
// homeserver.
func New(opts Options) (*Client, error) {
	if opts.Endpoint == "" {
		return nil, errors.New("synapse: endpoint is required")
	}
	base, err := url.Parse(opts.Endpoint)
	if err != nil {
		// url.Parse quotes the input; an endpoint never holds the secret.
		return nil, fmt.Errorf("synapse: invalid endpoint: %w", err)
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("synapse: endpoint %q must be an absolute http(s) URL", base.Redacted())
	}
	if opts.ServerName == "" {
		return nil, errors.New("synapse: server name is required")
	}
	if opts.Secret == "" {
		// An empty secret would make VerifyToken accept an empty bearer.
		return nil, errors.New("synapse: shared secret is required")
	}
	c := &Client{
		base:              base,
		serverName:        opts.ServerName,
		secret:            opts.Secret,
		http:              opts.HTTPClient,
		timeout:           opts.Timeout,
		deleteUserTimeout: opts.DeleteUserTimeout,
		userAgent:         opts.UserAgent,
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.deleteUserTimeout <= 0 {
		c.deleteUserTimeout = DefaultDeleteUserTimeout
	}
	return c, nil
}

// ServerName implements homeserver.Connection.
func (c *Client) ServerName() string { return c.serverName }

// MXID implements homeserver.Connection.
func (c *Client) MXID(localpart string) string { return homeserver.MXID(localpart, c.serverName) }

// VerifyToken implements homeserver.Connection. The comparison takes the
// same time wherever the first difference is, so the secret cannot be
// guessed byte by byte from response times.
func (c *Client) VerifyToken(token string) bool {
	if token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(c.secret)) == 1
}

// request is one call to the MAS API.
type request struct {
	method  string
	path    string // relative to the endpoint, e.g. "_synapse/mas/query_user"
	query   url.Values
	body    any // JSON-encoded when non-nil
	timeout time.Duration
}

// response is a successful (2xx) answer.
type response struct {
	status int
	body   []byte
}

// do sends req and returns its 2xx answer. Non-2xx answers become
// *homeserver.Error; transport failures are wrapped with the method and path.
func (c *Client) do(ctx context.Context, req request) (*response, error) {
	ref := &url.URL{Path: req.path}
	if len(req.query) > 0 {
		ref.RawQuery = req.query.Encode()
	}
	target := c.base.ResolveReference(ref)
	endpoint := target.Path

	var body io.Reader
	if req.body != nil {
		encoded, err := encodeJSON(req.body)
		if err != nil {
			return nil, fmt.Errorf("homeserver: %s %s: encoding request: %w", req.method, endpoint, err)
		}
		body = bytes.NewReader(encoded)
	}

	timeout := req.timeout
	if timeout <= 0 {
		timeout = c.timeout
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	httpReq, err := http.NewRequestWithContext(callCtx, req.method, target.String(), body)
	if err != nil {
		return nil, fmt.Errorf("homeserver: %s %s: %w", req.method, endpoint, err)
	}
	httpReq.Header.Set("Authorization", "Bearer "+c.secret)
	httpReq.Header.Set("Accept", "application/json")
	if body != nil {
		httpReq.Header.Set("Content-Type", "application/json")
	}
	if c.userAgent != "" {
		httpReq.Header.Set("User-Agent", c.userAgent)
	}

	resp, err := c.http.Do(httpReq)
	if err != nil {
		return nil, c.transportError(ctx, req.method, endpoint, timeout, err)
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return nil, c.transportError(ctx, req.method, endpoint, timeout, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.statusError(resp.StatusCode, endpoint, raw)
	}
	return &response{status: resp.StatusCode, body: raw}, nil
}

// transportError describes a failure to get an answer at all. The URL is left
// out (the net/http error repeats it), and a deadline that this client set is
// named as a timeout so that operators are not pointed at their own code.
func (c *Client) transportError(parent context.Context, method, endpoint string, timeout time.Duration, err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	if errors.Is(err, context.DeadlineExceeded) && parent.Err() == nil {
		return fmt.Errorf("homeserver: %s %s: no answer within %s: %w", method, endpoint, timeout, err)
	}
	return fmt.Errorf("homeserver: %s %s: %w", method, endpoint, err)
}

// statusError turns a non-2xx answer into a *homeserver.Error, keeping the
// Matrix errcode when the body is a Matrix error.
func (c *Client) statusError(status int, endpoint string, raw []byte) error {
	e := &homeserver.Error{Status: status, Endpoint: endpoint}
	var matrixErr struct {
		ErrCode string `json:"errcode"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(raw, &matrixErr) == nil && matrixErr.ErrCode != "" {
		e.ErrCode = matrixErr.ErrCode
		e.Message = c.redact(matrixErr.Error)
		return e
	}
	e.Message = "unexpected response body " + quoteBody(c.redact(string(raw)))
	if len(bytes.TrimSpace(raw)) == 0 {
		e.Message = "empty response body"
	}
	return e
}

// redact removes the shared secret from text that came back from the
// network: a misbehaving proxy may echo request headers in its error page.
func (c *Client) redact(s string) string {
	return strings.ReplaceAll(s, c.secret, "[redacted]")
}

// quoteBody quotes the start of a body for an error message.
func quoteBody(s string) string {
	if len(s) <= quotedBodyLen {
		return fmt.Sprintf("%q", s)
	}
	cut := quotedBodyLen
	// Back off to a rune boundary so the quote stays readable.
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q (truncated, %d bytes)", s[:cut], len(s))
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// encodeJSON marshals like serde_json does: no HTML escaping and no trailing
// newline, so the homeserver sees the same bytes upstream would send.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// errEmptyLocalpart guards every per-user call: an empty localpart would
// address "@:server", which can only be a bug in the caller.
var errEmptyLocalpart = errors.New("homeserver: empty localpart")
