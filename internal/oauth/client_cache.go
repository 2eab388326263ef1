package oauth

import (
	"context"
	"time"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/tokencache"
)

// ClientCache keeps the clients the handler looked up, until an
// invalidation names one (a configuration sync changed it, or it was
// deleted, on any replica) or the cache's age bound. Every authorization
// request and every token request reads its client, and clients change
// rarely. Like the introspection cache it answers only while the store's
// feed is fresh. The clients it returns are shared: callers must not
// change them.
type ClientCache = tokencache.Cache[*domain.Client]

// clientCacheEntries bounds the clients kept: static ones and the dynamic
// registrations in use, with room to spare.
const clientCacheEntries = 10_000

// NewClientCache builds a cache following feed.
func NewClientCache(feed store.InvalidationFeed, clk clock.Clock) *ClientCache {
	return tokencache.New[*domain.Client](feed, clk, tokencache.Options{MaxEntries: clientCacheEntries})
}

// lookupClient is Clients().Lookup through the cache, when there is one.
func (h *Handler) lookupClient(ctx context.Context, id domain.ID) (*domain.Client, error) {
	if h.ClientCache == nil {
		return h.Store.Clients().Lookup(ctx, id)
	}
	key := tokencache.KeyOf("client:" + id.String())
	if c, ok := h.ClientCache.Get(key); ok {
		return c, nil
	}
	g := h.ClientCache.Generation()
	c, err := h.Store.Clients().Lookup(ctx, id)
	if err == nil {
		h.ClientCache.Put(g, key, c, time.Time{}, tokencache.Ref{Kind: store.InvalidateClient, ID: id})
	}
	return c, err
}
