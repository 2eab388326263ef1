package homeservertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// introspectionCacheTTL is how long Synapse keeps an introspection answer,
// active or not.
const introspectionCacheTTL = 2 * time.Minute

// maxIntrospectionResponse is the response size Synapse's client accepts.
const maxIntrospectionResponse = 1 << 20

// tokenInfo is the part of an introspection answer Synapse reads.
type tokenInfo struct {
	active      bool
	scope       *string
	username    *string
	deviceID    *string
	expiresIn   *int64
	retrievedAt time.Time
}

// isActive applies Synapse's expiry rule: a token without expires_in never
// expires on Synapse's side (compat tokens), otherwise it expires
// expires_in seconds after it was introspected, even if cached.
func (t *tokenInfo) isActive(now time.Time) bool {
	if !t.active {
		return false
	}
	if t.expiresIn == nil {
		return true
	}
	if *t.expiresIn > math.MaxInt64/int64(time.Second) {
		return true // further away than a Duration can say
	}
	return now.Before(t.retrievedAt.Add(time.Duration(*t.expiresIn) * time.Second))
}

type cachedToken struct {
	info     *tokenInfo
	storedAt time.Time
}

// flight is an introspection in progress that later lookups of the same
// token wait for, as Synapse coalesces them.
type flight struct {
	done chan struct{}
	info *tokenInfo
	err  error
}

// introspector calls the service's introspection endpoint and caches the
// answers per raw token.
type introspector struct {
	// base is cancelled when the server closes, so that Close never waits
	// on a slow introspection endpoint.
	base   context.Context
	client *http.Client
	secret string
	now    func() time.Time

	mu       sync.Mutex
	url      string
	cache    map[string]cachedToken
	inflight map[string]*flight
	calls    int
}

func newIntrospector(base context.Context, client *http.Client, secret string, now func() time.Time, u string) *introspector {
	return &introspector{
		base:     base,
		client:   client,
		secret:   secret,
		now:      now,
		url:      u,
		cache:    map[string]cachedToken{},
		inflight: map[string]*flight{},
	}
}

func (in *introspector) setURL(u string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.url = u
}

// lookup returns the cached answer for token or introspects it. Failures are
// not cached, so the next request retries.
func (in *introspector) lookup(token string) (*tokenInfo, error) {
	in.mu.Lock()
	if c, ok := in.cache[token]; ok {
		if in.now().Before(c.storedAt.Add(introspectionCacheTTL)) {
			in.mu.Unlock()
			return c.info, nil
		}
		delete(in.cache, token)
	}
	if f, ok := in.inflight[token]; ok {
		in.mu.Unlock()
		<-f.done
		return f.info, f.err
	}
	f := &flight{done: make(chan struct{})}
	in.inflight[token] = f
	target := in.url
	in.calls++
	in.mu.Unlock()

	f.info, f.err = in.fetch(target, token)

	in.mu.Lock()
	delete(in.inflight, token)
	if f.err == nil {
		in.cache[token] = cachedToken{info: f.info, storedAt: in.now()}
	}
	in.mu.Unlock()
	close(f.done)
	return f.info, f.err
}

func (in *introspector) evict(token string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	delete(in.cache, token)
}

func (in *introspector) flush() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.cache = map[string]cachedToken{}
}

func (in *introspector) callCount() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.calls
}

// fetch performs one introspection request exactly as Synapse sends it.
func (in *introspector) fetch(target, token string) (*tokenInfo, error) {
	if target == "" {
		return nil, errors.New("no introspection URL configured")
	}
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	ctx, cancel := context.WithTimeout(in.base, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+in.secret)
	req.Header.Set("X-MAS-Supports-Device-Id", "1")
	resp, err := in.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIntrospectionResponse+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxIntrospectionResponse {
		return nil, errors.New("introspection response too large")
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("introspection answered HTTP %d", resp.StatusCode)
	}
	info, err := parseIntrospection(body)
	if err != nil {
		return nil, err
	}
	info.retrievedAt = in.now()
	return info, nil
}

// parseIntrospection validates the answer as strictly as Synapse's pydantic
// model: active is a required boolean, the other fields are strings or
// null, expires_in an integer or null; unknown fields are ignored.
func parseIntrospection(body []byte) (*tokenInfo, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, errors.New("the introspection endpoint returned an invalid JSON response")
	}
	info := &tokenInfo{}
	switch string(bytes.TrimSpace(raw["active"])) {
	case "true":
		info.active = true
	case "false":
	default:
		return nil, errors.New("introspection response: active must be a boolean")
	}
	for name, dst := range map[string]**string{
		"scope":     &info.scope,
		"username":  &info.username,
		"device_id": &info.deviceID,
		"sub":       new(*string),
	} {
		v, err := optionalString(raw[name])
		if err != nil {
			return nil, fmt.Errorf("introspection response: %s: %w", name, err)
		}
		*dst = v
	}
	if v := bytes.TrimSpace(raw["expires_in"]); len(v) > 0 && string(v) != "null" {
		if bytes.ContainsAny(v, ".eE") {
			return nil, errors.New("introspection response: expires_in must be an integer")
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return nil, errors.New("introspection response: expires_in must be an integer")
		}
		info.expiresIn = &n
	}
	return info, nil
}

func optionalString(v json.RawMessage) (*string, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, errors.New("must be a string")
	}
	return &s, nil
}

// IntrospectionCalls counts the introspection requests the fake has sent
// (cache hits and coalesced lookups excluded).
func (s *Server) IntrospectionCalls() int { return s.introspect.callCount() }

// FlushIntrospectionCache forgets every cached introspection answer, like
// restarting Synapse.
func (s *Server) FlushIntrospectionCache() { s.introspect.flush() }
