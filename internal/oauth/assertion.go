package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"mas/internal/domain"
	"mas/internal/keys"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/store"
)

const (
	// assertionLeeway absorbs clock skew between the client and us.
	assertionLeeway = 30 * time.Second
	// maxAssertionLifetime bounds how far in the future an assertion may
	// expire: each accepted jti is remembered until then, and a long-lived
	// assertion is a long-lived credential if it leaks.
	maxAssertionLifetime = time.Hour
	// maxJTILength matches what the replay store accepts.
	maxJTILength = 512
)

// unverifiedAssertionSubject reads the sub claim of a compact JWT without
// checking anything: it only says which client claims to have signed it,
// so that its keys can be found. Everything is verified afterwards.
func unverifiedAssertionSubject(token string) (string, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var claims struct {
		Sub *string `json:"sub"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Sub == nil || *claims.Sub == "" {
		return "", false
	}
	return *claims.Sub, true
}

// assertionClaims are the claims RFC 7523 §3 requires of a client
// assertion. Dates are NumericDate: seconds, possibly fractional.
type assertionClaims struct {
	Iss *string         `json:"iss"`
	Sub *string         `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp *float64        `json:"exp"`
	Nbf *float64        `json:"nbf"`
	Iat *float64        `json:"iat"`
	Jti *string         `json:"jti"`
}

func numericDate(v float64) time.Time {
	// Beyond this the assertion is absurd anyway; clamping keeps the
	// conversion from overflowing.
	const limit = 1 << 40
	v = math.Max(math.Min(v, limit), -limit)
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func (c *assertionClaims) audiences() ([]string, bool) {
	if len(c.Aud) == 0 {
		return nil, false
	}
	var one string
	if err := json.Unmarshal(c.Aud, &one); err == nil {
		return []string{one}, true
	}
	var many []string
	if err := json.Unmarshal(c.Aud, &many); err == nil {
		return many, true
	}
	return nil, false
}

// assertionAudiences are the aud values this request accepts: the issuer,
// the token endpoint (RFC 7523 §3 names it whatever endpoint the assertion
// is used at) and the endpoint the request was sent to.
func (h *Handler) assertionAudiences(r *http.Request) []string {
	iss := h.URLs.Issuer()
	out := []string{iss, h.URLs.Absolute(routes.OAuth2Token)}
	if trimmed := strings.TrimSuffix(iss, "/"); trimmed != iss {
		out = append(out, trimmed)
	}
	switch r.URL.Path {
	case routes.OAuth2Introspection, routes.OAuth2Revocation, routes.OAuth2DeviceAuthorization:
		out = append(out, h.URLs.Absolute(r.URL.Path))
	}
	return out
}

// verifyClientAssertion checks a client_secret_jwt or private_key_jwt
// assertion: signature with the client's secret or keys (and its
// registered algorithm, if any), then the claims, then that the jti was
// not used before. The jti is only recorded once everything else passed,
// so that nobody but the client can use up its identifiers.
func (h *Handler) verifyClientAssertion(r *http.Request, client *domain.Client, token string) *Error {
	ctx := r.Context()
	log := requestctx.Logger(ctx)
	fail := func(desc string) *Error { return h.invalidClient(false, desc) }

	var algs []string
	if a := client.TokenEndpointAuthSigningAlg; a != "" {
		algs = []string{a}
	}
	var (
		payload []byte
		err     error
	)
	switch client.TokenEndpointAuthMethod {
	case authMethodClientSecretJWT:
		secret, e := h.clientSecret(r, client)
		if e != nil {
			return e
		}
		payload, _, err = keys.VerifyHMAC(token, secret, algs)
	case authMethodPrivateKeyJWT:
		payload, err = h.verifyWithClientKeys(ctx, client, token, algs)
		var unavailable *clientKeysError
		if errors.As(err, &unavailable) {
			log.Warn("getting the keys of a client", "client_id", client.ID.String(),
				"jwks_uri", client.JWKSURI, "error", unavailable.err)
			return fail("the client's JWK Set could not be fetched")
		}
	default:
		return fail("the client does not authenticate with a client assertion")
	}
	switch {
	case err == nil:
	case errors.Is(err, keys.ErrAlgNotAllowed):
		return fail("the client_assertion is not signed with an algorithm allowed for this client")
	case errors.Is(err, keys.ErrNoMatchingKey):
		return fail("no key of the client matches the client_assertion")
	case errors.Is(err, keys.ErrMalformedToken):
		return fail("the client_assertion is malformed")
	default:
		return fail("the client_assertion signature is invalid")
	}

	var c assertionClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return fail("the client_assertion claims are not a valid JSON object")
	}
	clientID := client.ID.String()
	if c.Iss == nil || *c.Iss != clientID {
		return fail("the client_assertion iss claim must be the client_id")
	}
	if c.Sub == nil || *c.Sub != clientID {
		return fail("the client_assertion sub claim must be the client_id")
	}
	auds, ok := c.audiences()
	if !ok {
		return fail("the client_assertion aud claim is missing or malformed")
	}
	accepted := h.assertionAudiences(r)
	if !slices.ContainsFunc(auds, func(a string) bool { return slices.Contains(accepted, a) }) {
		return fail("the client_assertion aud claim must contain " + h.URLs.Absolute(routes.OAuth2Token))
	}
	now := h.Clock.Now()
	if c.Exp == nil {
		return fail("the client_assertion has no exp claim")
	}
	exp := numericDate(*c.Exp)
	if !now.Before(exp.Add(assertionLeeway)) {
		return fail("the client_assertion has expired")
	}
	if exp.After(now.Add(maxAssertionLifetime + assertionLeeway)) {
		return fail(fmt.Sprintf("the client_assertion must expire within %s", maxAssertionLifetime))
	}
	if c.Nbf != nil && numericDate(*c.Nbf).After(now.Add(assertionLeeway)) {
		return fail("the client_assertion is not valid yet")
	}
	if c.Iat != nil && numericDate(*c.Iat).After(now.Add(assertionLeeway)) {
		return fail("the client_assertion was issued in the future")
	}
	if c.Jti == nil || *c.Jti == "" {
		return fail("the client_assertion has no jti claim")
	}
	if len(*c.Jti) > maxJTILength {
		return fail("the client_assertion jti claim is too long")
	}

	// Remembered until the last instant the assertion could be accepted.
	err = h.Store.ClientAssertions().Use(ctx, client.ID, *c.Jti, exp.Add(assertionLeeway))
	switch {
	case errors.Is(err, store.ErrConflict):
		log.Warn("replayed client assertion", "client_id", clientID)
		return fail("the client_assertion has already been used")
	case err != nil:
		log.Error("recording client assertion", "client_id", clientID, "error", err)
		return serverError()
	}
	return nil
}

// clientKeysError means the client's keys could not be had at all, as
// opposed to the assertion failing to verify with them.
type clientKeysError struct{ err error }

func (e *clientKeysError) Error() string { return "client keys unavailable: " + e.err.Error() }

// verifyWithClientKeys verifies with the client's inline jwks or the set
// at its jwks_uri. A key the cached set does not have triggers one fresh
// fetch, as the client may have rotated its keys. A failed fetch is
// remembered for jwksFailureTTL (see clientJWKSCache.get).
func (h *Handler) verifyWithClientKeys(ctx context.Context, client *domain.Client, token string, algs []string) ([]byte, error) {
	if client.JWKS != "" {
		pk, err := keys.ParseJWKS([]byte(client.JWKS))
		if err != nil {
			return nil, &clientKeysError{fmt.Errorf("stored jwks: %w", err)}
		}
		payload, _, err := pk.Verify(token, algs)
		return payload, err
	}
	if client.JWKSURI == "" {
		return nil, &clientKeysError{errors.New("the client has neither jwks nor jwks_uri")}
	}
	cache := h.jwksCache()
	if client.IsStatic || h.policyEngine().AllowInsecureURIs() {
		ctx = allowUnguardedFetch(ctx)
	}
	now := h.Clock.Now()
	pk, fetchedAt, err := cache.get(ctx, client.JWKSURI, now, jwksCacheTTL)
	if err != nil {
		return nil, &clientKeysError{err}
	}
	payload, _, err := pk.Verify(token, algs)
	if errors.Is(err, keys.ErrNoMatchingKey) && now.Sub(fetchedAt) >= jwksMinRefresh {
		fresh, _, ferr := cache.get(ctx, client.JWKSURI, now, jwksMinRefresh)
		if ferr != nil {
			return nil, &clientKeysError{ferr}
		}
		payload, _, err = fresh.Verify(token, algs)
	}
	return payload, err
}

const (
	// jwksCacheTTL is how long a fetched client JWK Set is used.
	jwksCacheTTL = 5 * time.Minute
	// jwksMinRefresh rate-limits refetches triggered by unknown keys, so
	// that assertions with made-up key IDs cannot make us hammer the
	// client's server.
	jwksMinRefresh = 30 * time.Second
	// jwksFailureTTL is how long a failed fetch is remembered: without it a
	// client whose jwks_uri fails or hangs would make every one of its
	// token requests fetch again (and wait up to jwksFetchTimeout), which
	// anyone can trigger with assertions naming that client.
	jwksFailureTTL   = 30 * time.Second
	jwksFetchTimeout = 5 * time.Second
	jwksMaxBytes     = 256 << 10
	jwksCacheEntries = 1024
)

// jwksCache returns the handler's cache of client JWK Sets, made on
// first use so that a Handler literal needs no constructor.
func (h *Handler) jwksCache() *clientJWKSCache {
	h.clientKeysOnce.Do(func() {
		// No proxy: a proxy would make the connection, out of reach of
		// the guard on the addresses the client may make us contact.
		transport := &http.Transport{
			DialContext:         newGuardedDialer(jwksFetchTimeout).DialContext,
			TLSHandshakeTimeout: jwksFetchTimeout,
			MaxIdleConns:        16,
			IdleConnTimeout:     time.Minute,
		}
		h.clientKeys = newClientJWKSCache(&http.Client{
			Transport:     transport,
			Timeout:       jwksFetchTimeout,
			CheckRedirect: jwksCheckRedirect,
		})
	})
	return h.clientKeys
}

// jwksCheckRedirect bounds redirects and holds their targets to the scheme
// rule of the original URI: a redirect must not downgrade to http.
func jwksCheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errors.New("too many redirects")
	}
	return checkJWKSScheme(req.Context(), req.URL)
}

// checkJWKSScheme requires https unless the URI is one the operator
// vouches for (a static client's, or any when the policy allows insecure
// URIs): over plain http anyone on the path could substitute their own
// keys and authenticate as the client.
func checkJWKSScheme(ctx context.Context, u *url.URL) error {
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && unguardedFetchAllowed(ctx):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("jwks_uri %q must use https", u.Redacted())
	default:
		return fmt.Errorf("jwks_uri %q is not an http(s) URL", u.Redacted())
	}
}

// clientJWKSCache fetches clients' jwks_uri documents, caches them (and
// failures to get them) in memory and collapses concurrent fetches of one
// URI into one request.
type clientJWKSCache struct {
	client   *http.Client
	mu       sync.Mutex
	entries  map[jwksKey]jwksEntry
	inflight map[jwksKey]*jwksFetch
}

// jwksKey separates fetches made under the SSRF guard from unguarded ones
// (static clients): the same URI may give a different answer under each,
// and a guarded refusal must not be served to a static client, nor a
// static client's keys to a dynamic one.
type jwksKey struct {
	uri       string
	unguarded bool
}

type jwksEntry struct {
	// keys is the last set fetched, at fetchedAt; nil if none was.
	keys      *keys.PublicKeys
	fetchedAt time.Time
	// err is the failure of the last fetch, at failedAt; nil when the last
	// fetch succeeded. A failed refresh keeps the earlier keys, which stay
	// good for their own lifetime.
	err      error
	failedAt time.Time
}

// stale reports whether the entry serves nothing any more.
func (e jwksEntry) stale(now time.Time) bool {
	return (e.keys == nil || now.Sub(e.fetchedAt) >= jwksCacheTTL) &&
		(e.err == nil || now.Sub(e.failedAt) >= jwksFailureTTL)
}

type jwksFetch struct {
	done      chan struct{}
	keys      *keys.PublicKeys
	fetchedAt time.Time
	err       error
}

func newClientJWKSCache(client *http.Client) *clientJWKSCache {
	return &clientJWKSCache{client: client, entries: map[jwksKey]jwksEntry{}, inflight: map[jwksKey]*jwksFetch{}}
}

// get returns the set at uri, fetched no longer than maxAge before now.
// When no such set is cached and a fetch failed less than jwksFailureTTL
// ago, that failure is returned without fetching again, so a failing or
// hanging jwks_uri costs one request (and one timeout) per window instead
// of one per token request.
func (c *clientJWKSCache) get(ctx context.Context, uri string, now time.Time, maxAge time.Duration) (*keys.PublicKeys, time.Time, error) {
	key := jwksKey{uri: uri, unguarded: unguardedFetchAllowed(ctx)}
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok && e.keys != nil && now.Sub(e.fetchedAt) < maxAge {
		c.mu.Unlock()
		return e.keys, e.fetchedAt, nil
	}
	if ok && e.err != nil && now.Sub(e.failedAt) < jwksFailureTTL {
		c.mu.Unlock()
		return nil, time.Time{}, fmt.Errorf("%w (failed at %s; not retried before %s)", e.err,
			e.failedAt.UTC().Format(time.RFC3339), e.failedAt.Add(jwksFailureTTL).UTC().Format(time.RFC3339))
	}
	f, running := c.inflight[key]
	if !running {
		f = &jwksFetch{done: make(chan struct{})}
		c.inflight[key] = f
		// The fetch outlives a requester that gives up, so that the
		// others waiting on it still get the result.
		go c.fetch(context.WithoutCancel(ctx), key, now, f)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.keys, f.fetchedAt, f.err
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	}
}

func (c *clientJWKSCache) fetch(ctx context.Context, key jwksKey, now time.Time, f *jwksFetch) {
	f.keys, f.err = c.download(ctx, key.uri)
	f.fetchedAt = now
	c.mu.Lock()
	delete(c.inflight, key)
	e, known := c.entries[key]
	if !known && len(c.entries) >= jwksCacheEntries {
		c.evict(now)
	}
	if f.err == nil {
		e = jwksEntry{keys: f.keys, fetchedAt: now}
	} else {
		e.err, e.failedAt = f.err, now
	}
	c.entries[key] = e
	c.mu.Unlock()
	close(f.done)
}

// evict drops stale entries, or an arbitrary one if none is stale.
func (c *clientJWKSCache) evict(now time.Time) {
	for key, e := range c.entries {
		if e.stale(now) {
			delete(c.entries, key)
		}
	}
	for key := range c.entries {
		if len(c.entries) < jwksCacheEntries {
			break
		}
		delete(c.entries, key)
	}
}

func (c *clientJWKSCache) download(ctx context.Context, uri string) (*keys.PublicKeys, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("jwks_uri %q is not an http(s) URL", uri)
	}
	if err := checkJWKSScheme(ctx, u); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks_uri answered HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading jwks_uri: %w", err)
	}
	if len(body) > jwksMaxBytes {
		return nil, fmt.Errorf("jwks_uri document is larger than %d bytes", jwksMaxBytes)
	}
	return keys.ParseJWKS(body)
}
