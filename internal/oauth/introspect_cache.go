package oauth

// The introspection cache: what an active access token's introspection
// answered, kept until the token expires, an invalidation names its token,
// session or user, or the cache's age bound (see internal/tokencache for
// why it never answers with stale facts). Only active answers are cached:
// an unknown or dead token always costs a lookup.

import (
	"bytes"
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
// a hit records. A cache holds 100,000 of them, which the garbage collector
// scans in every cycle: the encoded forms share one exact-size array, and
// the expiry is held by value.
type cachedIntrospection struct {
	body []byte // the encoded forms, one after the other
	// inScope is the answer (a compat token's with the device in the
	// scope); its zero value stands for "inactive", when the device
	// cannot be written so. deviceField, for compat tokens only, is the
	// answer for callers that take the device in device_id.
	inScope, deviceField span
	expiresAt            time.Time          // zero: the token does not expire
	activity             store.ActivityKind // "" records nothing
	sessionID            domain.ID
	// seen is when a hit last handed a sighting to the activity tracker
	// (Unix nanoseconds): one a second is plenty for a time shown to the
	// minute, and spares every other hit the tracker's lock.
	seen atomic.Int64
}

// span is where one encoded form lies in body: head [start:mid], tail
// [mid:end], or for a token without expiry the whole answer [start:end].
// end is 0 for a form that is absent (an answer is never empty).
type span struct{ start, mid, end uint32 }

func newCachedIntrospection(expiresAt *time.Time, activity store.ActivityKind, sessionID domain.ID) *cachedIntrospection {
	c := &cachedIntrospection{activity: activity, sessionID: sessionID}
	if expiresAt != nil {
		c.expiresAt = *expiresAt
	}
	return c
}

// expiry is the token's expiry, nil when it has none.
func (c *cachedIntrospection) expiry() *time.Time {
	if c.expiresAt.IsZero() {
		return nil
	}
	return &c.expiresAt
}

// add appends an encoded form to body and returns its span.
func (c *cachedIntrospection) add(a encodedAnswer) span {
	start := uint32(len(c.body))
	if a.plain != nil {
		c.body = append(c.body, a.plain...)
		end := uint32(len(c.body))
		return span{start, end, end}
	}
	c.body = append(c.body, a.head...)
	mid := uint32(len(c.body))
	c.body = append(c.body, a.tail...)
	return span{start, mid, uint32(len(c.body))}
}

// seal trims body to its length, once every form was added.
func (c *cachedIntrospection) seal() { c.body = bytes.Clone(c.body) }

// form returns the encoded form at s, the zero value when it is absent.
func (c *cachedIntrospection) form(s span) encodedAnswer {
	switch {
	case s.end == 0:
		return encodedAnswer{}
	case c.expiresAt.IsZero():
		return encodedAnswer{plain: c.body[s.start:s.end:s.end]}
	}
	return encodedAnswer{head: c.body[s.start:s.mid:s.mid], tail: c.body[s.mid:s.end:s.end]}
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
	a := c.form(c.inScope)
	if explicitDeviceID && c.deviceField.end != 0 {
		a = c.form(c.deviceField)
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
	writeAnswer(w, &a, c.expiry(), now)
	return true
}

// cacheAnswer keeps an active answer (resp; nil for "inactive") for the
// token, unless an invalidation happened since g was taken.
func (h *Handler) cacheAnswer(g tokencache.Generation, token string, c *cachedIntrospection, resp *introspectionResponse, refs ...tokencache.Ref) {
	if !g.Valid() {
		return
	}
	if resp != nil {
		c.inScope = c.add(encodeAnswer(resp, c.expiry() != nil))
	}
	c.seal()
	expires := c.expiresAt
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
	c := newCachedIntrospection(at.ExpiresAt, store.ActivityCompatSession, s.ID)
	c.deviceField = c.add(encodeAnswer(deviceField, at.ExpiresAt != nil))
	inScope, ok := compatIntrospection(s, user, hintAccessToken, at.CreatedAt, false)
	if !ok {
		inScope = nil
	}
	h.cacheAnswer(g, token, c, inScope, ref(store.InvalidateCompatAccessToken, at.ID), ref(store.InvalidateCompatSession, s.ID),
		ref(store.InvalidateUser, user.ID))
}
