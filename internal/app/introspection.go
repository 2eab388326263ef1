package app

import (
	"context"

	"mas/internal/activity"
	"mas/internal/oauth"
	"mas/internal/store"
	"mas/internal/tokencache"
)

// introspectionParts builds the introspection cache, which follows the
// store's invalidation feed, and the tracker that batches session activity.
// Neither needs configuration: the defaults are in their packages.
func (a *App) introspectionParts() (*oauth.IntrospectionCache, *activity.Tracker) {
	cache := oauth.NewIntrospectionCache(a.Store.Invalidations(), a.Clock, tokencache.Options{})
	return cache, activity.New(a.Store, activity.Options{Logger: a.Logger})
}

// startIntrospection makes the server follow the invalidation feed (the
// cache answers only while it is fresh; a second StartFollowing is a
// no-op) and runs the activity tracker's flush loop. The returned func,
// for shutdown, writes the pending activity, drops the cache and stops
// following.
func (a *App) startIntrospection(h *handlers) (stop func(context.Context) error) {
	stopFollowing := func() {}
	if f, ok := a.Store.(store.FeedFollower); ok {
		stopFollowing = f.StartFollowing(context.Background())
	}
	h.oauth.Activity.Start()
	return func(ctx context.Context) error {
		err := h.oauth.Activity.Stop(ctx)
		h.oauth.Introspection.Close()
		h.oauth.ClientCache.Close()
		stopFollowing()
		return err
	}
}
