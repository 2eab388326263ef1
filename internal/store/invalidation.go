package store

import (
	"context"

	"mas/internal/domain"
)

// InvalidationKind names the kind of object an Invalidation is about.
type InvalidationKind string

// The objects whose changes a cache of token facts (the introspection
// cache) or of clients must hear of. Every write that ends, revokes,
// locks or deactivates one of them, or changes a client, records an
// invalidation in the same transaction.
const (
	InvalidateUser                InvalidationKind = "user" // locked, unlocked, deactivated, reactivated, changed
	InvalidateOAuthSession        InvalidationKind = "oauth2-session"
	InvalidateAccessToken         InvalidationKind = "access-token"
	InvalidateCompatSession       InvalidationKind = "compat-session"
	InvalidateCompatAccessToken   InvalidationKind = "compat-access-token"
	InvalidatePersonalSession     InvalidationKind = "personal-session"
	InvalidatePersonalAccessToken InvalidationKind = "personal-access-token"
	InvalidateClient              InvalidationKind = "oauth2-client" // re-synchronised from the configuration, or deleted
	// InvalidateAll (ID zero) says that invalidations may have been missed:
	// the feed delivers it whenever it becomes fresh again after a break
	// (start, lost connection, lease run out), and every cached fact must
	// then be forgotten.
	InvalidateAll InvalidationKind = "all"
)

// Invalidation says that cached facts about one object may be stale.
type Invalidation struct {
	Kind InvalidationKind
	ID   domain.ID
}

// InvalidationFeed delivers the invalidations committed by every process
// sharing the database (replicas, workers, CLI commands), so that a cache
// in one process never answers with facts another has changed.
type InvalidationFeed interface {
	// Subscribe calls fn for every invalidation committed from now on: by
	// this process before its Commit returns, by another as soon as this
	// process sees it. fn must be quick and must not call the store. The
	// returned func unsubscribes.
	Subscribe(fn func(Invalidation)) (unsubscribe func())
	// Fresh reports whether this process is following the feed closely
	// enough that a writer's Commit has waited for it to apply every
	// invalidation committed so far. While it is false a cache must not
	// answer from memory.
	Fresh() bool
}

// FeedFollower is implemented by stores whose feed follows the other
// processes' invalidations once started. Only the server follows: a
// process that follows makes every invalidating writer wait for it.
type FeedFollower interface {
	// StartFollowing registers this process as a follower and keeps it
	// caught up until stop is called (or ctx ends). The feed becomes Fresh
	// after the first successful catch-up.
	StartFollowing(ctx context.Context) (stop func())
}
