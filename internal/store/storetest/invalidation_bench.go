package storetest

import (
	"context"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store"
)

// BenchInvalidation measures what recording an invalidation adds to a
// write: the same one-row UPDATE by primary key without one (what
// Users().Update cost before the feed), then Users().Update, which now
// also takes the feed's lock, inserts a row and notifies, alone and with
// another process following (the writer then waits for its
// acknowledgement).
func BenchInvalidation(b *testing.B, open PairOpener) {
	ctx := context.Background()
	clk := clocktest.New(Start)
	a, other := open(b, clk)
	user, err := a.Users().Add(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	client := &domain.Client{TokenEndpointAuthMethod: "none"}
	session := &domain.Session{ClientID: client.ID, UserID: &user.ID}
	if err := a.Clients().Add(ctx, client); err != nil {
		b.Fatal(err)
	}
	session.ClientID = client.ID
	if err := a.Sessions().Add(ctx, session); err != nil {
		b.Fatal(err)
	}
	plain := func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if err := a.Sessions().RecordActivity(ctx, session.ID, Start.Add(time.Duration(i)*time.Microsecond), ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	invalidating := func(b *testing.B) {
		for b.Loop() {
			if err := a.Users().Update(ctx, user); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("plain-update", plain)
	b.Run("invalidating-no-follower", invalidating)
	stop := other.(store.FeedFollower).StartFollowing(ctx)
	defer stop()
	for !other.Invalidations().Fresh() {
		time.Sleep(time.Millisecond)
	}
	b.Run("plain-update-while-following", plain)
	b.Run("invalidating-one-follower", invalidating)
}
