package compat_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"mas/internal/domain"
	"mas/internal/store"
)

// countingStore is the real store, counting the listings of personal
// sessions, which only counting the sessions for the session limit does.
type countingStore struct {
	store.Store
	listings *atomic.Int32
}

func (s countingStore) PersonalSessions() store.PersonalSessionRepository {
	return countingPersonalSessions{s.Store.PersonalSessions(), s.listings}
}

type countingPersonalSessions struct {
	store.PersonalSessionRepository
	listings *atomic.Int32
}

func (r countingPersonalSessions) ListActiveForActor(ctx context.Context, userID domain.ID) ([]*domain.PersonalSession, error) {
	r.listings.Add(1)
	return r.PersonalSessionRepository.ListActiveForActor(ctx, userID)
}

// A login, and the SSO consent page, count the user's sessions only when
// a session limit is configured: without one the counts decide nothing.
func TestLoginCountsSessionsOnlyUnderALimit(t *testing.T) {
	for _, tt := range []struct {
		name    string
		limited bool
	}{{"no limit", false}, {"limit", true}} {
		t.Run(tt.name, func(t *testing.T) {
			opts := envOptions{}
			if tt.limited {
				opts.policy = sessionLimit(t, 10, 20)
			}
			e := newEnv(t, opts)
			var listings atomic.Int32
			e.h.Store = countingStore{e.store, &listings}
			alice := e.user("alice", "correct horse")
			e.login("alice", "correct horse", nil)
			if got := listings.Swap(0) > 0; got != tt.limited {
				t.Errorf("login: sessions counted: %v, want %v", got, tt.limited)
			}
			b := e.browser()
			e.loginAs(b, alice)
			if page := b.Get(e.ssoStart("https://client.example/", "")); page.Status != http.StatusOK {
				t.Fatalf("SSO consent page: %d %s", page.Status, page.Body)
			}
			if got := listings.Load() > 0; got != tt.limited {
				t.Errorf("SSO consent page: sessions counted: %v, want %v", got, tt.limited)
			}
		})
	}
}
