package oidc

import (
	"context"
	"errors"
	"sync"
	"time"

	"mas/internal/keys"
)

const (
	// jwksTTL is how long a fetched JWK Set is used.
	jwksTTL = time.Hour
	// jwksMinRefetch spaces the refetches that an unknown kid triggers,
	// so that tokens with made-up key IDs cannot make us hammer the
	// provider; a genuine key rotation costs at most this long.
	jwksMinRefetch = 10 * time.Second
)

// jwksCache holds the provider's last JWK Set and last fetch failure.
// Like metadataCache, its lock is held during a fetch.
type jwksCache struct {
	mu      sync.Mutex
	uri     string
	set     *keys.PublicKeys
	setAt   time.Time
	failed  error
	failAt  time.Time
	fetches int // for tests
}

// keySet returns the key set at uri, fetched when the cached one is older
// than maxAge (or was fetched from another URI).
func (p *Provider) keySet(ctx context.Context, uri string, maxAge time.Duration) (*keys.PublicKeys, time.Time, error) {
	c := &p.jwks
	c.mu.Lock()
	defer c.mu.Unlock()
	now := p.clock.Now()
	if c.uri != uri {
		c.uri, c.set, c.failed = uri, nil, nil
	}
	if c.set != nil && now.Sub(c.setAt) < maxAge {
		return c.set, c.setAt, nil
	}
	if c.failed != nil && now.Sub(c.failAt) < failureTTL {
		return nil, time.Time{}, c.failed
	}
	c.fetches++
	body, err := p.get(ctx, uri, "jwks_uri", KindBadResponse)
	var set *keys.PublicKeys
	if err == nil {
		set, err = keys.ParseJWKS(body)
		if err != nil {
			err = p.fail(KindBadResponse, err, "the provider's JWK Set does not parse")
		}
	}
	if err != nil {
		c.failed, c.failAt = err, now
		return nil, time.Time{}, err
	}
	c.set, c.setAt, c.failed = set, now, nil
	return set, now, nil
}

// verifyJWS checks a compact JWS signed by the provider with alg (HS*
// with the client secret, others with the provider's JWK Set) and returns
// its payload. When no published key matches, the key set is fetched
// again once (the provider may have rotated its keys), unless it was
// fetched less than jwksMinRefetch ago.
func (p *Provider) verifyJWS(ctx context.Context, m *Metadata, token, alg, what string) ([]byte, error) {
	if isHMAC(alg) {
		payload, hdr, err := keys.VerifyHMAC(token, []byte(p.opts.ClientSecret), []string{alg})
		return payload, p.signatureError(err, hdr, alg, what)
	}
	if m.JWKSURI == "" {
		return nil, p.fail(KindConfig, nil, "no jwks_uri to verify the %s with", what)
	}
	set, fetchedAt, err := p.keySet(ctx, m.JWKSURI, jwksTTL)
	if err != nil {
		return nil, err
	}
	payload, hdr, err := set.Verify(token, []string{alg})
	if errors.Is(err, keys.ErrNoMatchingKey) && p.clock.Now().Sub(fetchedAt) >= jwksMinRefetch {
		set, _, ferr := p.keySet(ctx, m.JWKSURI, 0)
		if ferr != nil {
			return nil, ferr
		}
		payload, hdr, err = set.Verify(token, []string{alg})
	}
	return payload, p.signatureError(err, hdr, alg, what)
}

func (p *Provider) signatureError(err error, hdr keys.Header, alg, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keys.ErrMalformedToken):
		return p.fail(KindBadResponse, err, "the %s is not a signed JWT", what)
	case errors.Is(err, keys.ErrAlgNotAllowed):
		return p.fail(KindBadSignature, nil, "the %s is signed with %q, but %s is configured", what, hdr.Alg, alg)
	case errors.Is(err, keys.ErrNoMatchingKey):
		return p.fail(KindBadSignature, err, "no key of the provider's JWK Set matches the %s", what)
	default:
		return p.fail(KindBadSignature, err, "the %s signature does not verify", what)
	}
}
