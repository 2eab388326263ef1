package oauth

// The introspection cache: what an active access token's introspection
// answered, kept until the token expires, an invalidation names its token,
// session or user, or the cache's age bound (see internal/tokencache for
// why it never answers with stale facts). Only active answers are cached:
// an unknown or dead token always costs a lookup.

import (
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/tokencache"
)

// cachedIntrospection is an active answer, encoded without the fields
// that depend on the time of the question, and the session whose activity
// a hit records.
type cachedIntrospection struct {
	// answer is a compat token's answer with the device in the scope; its
	// zero value stands for "inactive", when the device cannot be written
	// so. deviceField, for compat tokens only, is the answer for callers
	// that take the device in device_id.
	answer      encodedAnswer
	deviceField *encodedAnswer
	expiresAt   *time.Time
	activity    store.ActivityKind // "" records nothing
	sessionID   domain.ID
	// seen is when a hit last handed a sighting to the activity tracker
	// (Unix nanoseconds): one a second is plenty for a time shown to the
	// minute, and spares every other hit the tracker's lock.
	seen atomic.Int64
}

// IntrospectionCache is the cache the Handler answers introspection from.
type IntrospectionCache = tokencache.Cache[*cachedIntrospection]

// NewIntrospectionCache builds a cache following feed.
func NewIntrospectionCache(feed store.InvalidationFeed, clk clock.Clock, opts tokencache.Options) *IntrospectionCache {
	return tokencache.New[*cachedIntrospection](feed, clk, opts)
}

// cacheable reports whether a question may be a cached access token's:
// refresh tokens, and hints naming them, never are. It is only a shortcut:
// a token is cached only after its format was checked.
func cacheable(token, hint string) bool {
	if hint != "" && hint != hintAccessToken {
		return false
	}
	return !strings.HasPrefix(token, "mar_") && !strings.HasPrefix(token, "mcr_") && !strings.HasPrefix(token, "syr_")
}

// serveCached writes the cached answer about token and reports whether
// there was one.
func (h *Handler) serveCached(w http.ResponseWriter, token string, explicitDeviceID bool) bool {
	c, ok := h.Introspection.Get(tokencache.KeyOf(token))
	if !ok {
		return false
	}
	a := &c.answer
	if explicitDeviceID && c.deviceField != nil {
		a = c.deviceField
	}
	if a.plain == nil && a.head == nil {
		writeIntrospection(w, inactive)
		return true
	}
	now := h.Clock.Now()
	if c.activity != "" {
		last, n := c.seen.Load(), now.UnixNano()
		if (n-last >= int64(time.Second) || n < last) && c.seen.CompareAndSwap(last, n) {
			h.Activity.Record(c.activity, c.sessionID, now, "")
		}
	}
	writeAnswer(w, a, c.expiresAt, now)
	return true
}

// cacheAnswer keeps an active answer (resp; nil for "inactive") for the
// token, unless an invalidation happened since g was taken.
func (h *Handler) cacheAnswer(g tokencache.Generation, token string, c *cachedIntrospection, resp *introspectionResponse, refs ...tokencache.Ref) {
	if !g.Valid() {
		return
	}
	if resp != nil {
		c.answer = encodeAnswer(resp, c.expiresAt != nil)
	}
	var expires time.Time
	if c.expiresAt != nil {
		expires = *c.expiresAt
	}
	h.Introspection.Put(g, tokencache.KeyOf(token), c, expires, refs...)
}

func ref(kind store.InvalidationKind, id domain.ID) tokencache.Ref {
	return tokencache.Ref{Kind: kind, ID: id}
}

// cacheCompatAnswer keeps both forms of a compat token's answer: with the
// device in the scope and in device_id.
func (h *Handler) cacheCompatAnswer(g tokencache.Generation, token string, at *domain.CompatAccessToken, s *domain.CompatSession, user *domain.User) {
	if !g.Valid() {
		return
	}
	deviceField, _ := compatIntrospection(s, user, hintAccessToken, at.CreatedAt, true)
	encoded := encodeAnswer(deviceField, at.ExpiresAt != nil)
	c := &cachedIntrospection{deviceField: &encoded, expiresAt: at.ExpiresAt,
		activity: store.ActivityCompatSession, sessionID: s.ID}
	inScope, ok := compatIntrospection(s, user, hintAccessToken, at.CreatedAt, false)
	if !ok {
		inScope = nil
	}
	h.cacheAnswer(g, token, c, inScope, ref(store.InvalidateCompatAccessToken, at.ID), ref(store.InvalidateCompatSession, s.ID),
		ref(store.InvalidateUser, user.ID))
}
