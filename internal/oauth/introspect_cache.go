package oauth

// The introspection cache: what an active access token's introspection
// answered, kept until the token expires, an invalidation names its token,
// session or user, or the cache's age bound (see internal/tokencache for
// why it never answers with stale facts). Only active answers are cached:
// an unknown or dead token always costs a lookup.

import (
	"time"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/tokencache"
)

// cachedIntrospection is the part of an answer that does not depend on
// the time of the question, and the session whose activity a hit records.
type cachedIntrospection struct {
	resp introspectionResponse
	// compatDeviceField is a compat token's answer for callers that take
	// the device in device_id; resp is then the answer with the device in
	// the scope, whose Active is false if the device cannot be written so.
	compatDeviceField *introspectionResponse
	expiresAt         *time.Time
	activity          store.ActivityKind // "" records nothing
	sessionID         domain.ID
}

// IntrospectionCache is the cache the Handler answers introspection from.
type IntrospectionCache = tokencache.Cache[*cachedIntrospection]

// NewIntrospectionCache builds a cache following feed.
func NewIntrospectionCache(feed store.InvalidationFeed, clk clock.Clock, opts tokencache.Options) *IntrospectionCache {
	return tokencache.New[*cachedIntrospection](feed, clk, opts)
}

// cachedAnswer answers from the cache, or returns ok false.
func (h *Handler) cachedAnswer(k tokencache.Key, explicitDeviceID bool) (*introspectionResponse, bool) {
	c, ok := h.Introspection.Get(k)
	if !ok {
		return nil, false
	}
	resp := c.resp
	if explicitDeviceID && c.compatDeviceField != nil {
		resp = *c.compatDeviceField
	}
	if !resp.Active {
		return inactive, true
	}
	if c.expiresAt != nil {
		now := h.Clock.Now()
		resp.Exp = unixSeconds(*c.expiresAt)
		resp.ExpiresIn = secondsUntil(now, *c.expiresAt)
	}
	if c.activity != "" {
		h.Activity.Record(c.activity, c.sessionID, h.Clock.Now(), "")
	}
	return &resp, true
}

// cacheAnswer keeps an active answer (without its time-dependent fields)
// for the token, unless an invalidation happened since g was taken.
func (h *Handler) cacheAnswer(g tokencache.Generation, token string, c *cachedIntrospection, refs ...tokencache.Ref) {
	if h.Introspection == nil {
		return
	}
	c.resp.Exp, c.resp.ExpiresIn = nil, nil
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
	if h.Introspection == nil {
		return
	}
	deviceField, _ := compatIntrospection(s, user, hintAccessToken, at.CreatedAt, true)
	c := &cachedIntrospection{compatDeviceField: deviceField, expiresAt: at.ExpiresAt,
		activity: store.ActivityCompatSession, sessionID: s.ID}
	if inScope, ok := compatIntrospection(s, user, hintAccessToken, at.CreatedAt, false); ok {
		c.resp = *inScope
	}
	h.cacheAnswer(g, token, c, ref(store.InvalidateCompatAccessToken, at.ID), ref(store.InvalidateCompatSession, s.ID),
		ref(store.InvalidateUser, user.ID))
}
