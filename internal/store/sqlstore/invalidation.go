package sqlstore

import "mas/internal/store"

// Invalidations returns the feed of cache invalidations.
//
// Not built yet: the feed never delivers and is never fresh, so that
// caches built on it stay off.
func (s *Store) Invalidations() store.InvalidationFeed { return staleFeed{} }

type staleFeed struct{}

func (staleFeed) Subscribe(func(store.Invalidation)) func() { return func() {} }
func (staleFeed) Fresh() bool                              { return false }
