package storetest

import (
	"context"
	"crypto/sha256"
	"slices"
	"sync"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/store"
)

// PairOpener returns two stores opened on one fresh, migrated database:
// they stand for two processes sharing it.
type PairOpener func(t testing.TB, clk *clocktest.Fake) (a, b store.Store)

// RunInvalidation runs the conformance tests of the invalidation feed.
func RunInvalidation(t *testing.T, open PairOpener) {
	tests := []struct {
		name string
		run  func(t *testing.T, a, b store.Store, clk *clocktest.Fake)
	}{
		{"FreshOnlyWhileFollowing", testFeedFresh},
		{"ReachesFollowerBeforeCommitReturns", testFeedReachesFollower},
		{"EveryEndingWriteRecords", testFeedEveryWrite},
		{"RollbackDeliversNothing", testFeedRollback},
		{"StoppedFollowerIsNotWaitedFor", testFeedStoppedFollower},
		{"OldRowsCleaned", testFeedClean},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktest.New(Start)
			a, b := open(t, clk)
			tc.run(t, a, b, clk)
		})
	}
}

// recorder collects what a feed delivers.
type recorder struct {
	mu  sync.Mutex
	got []store.Invalidation
}

func record(t *testing.T, s store.Store) *recorder {
	r := &recorder{}
	unsubscribe := s.Invalidations().Subscribe(func(inv store.Invalidation) {
		r.mu.Lock()
		r.got = append(r.got, inv)
		r.mu.Unlock()
	})
	t.Cleanup(unsubscribe)
	return r
}

func (r *recorder) has(inv store.Invalidation) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.got, inv)
}

// objects drops InvalidateAll, which depends on when following began.
func (r *recorder) objects() []store.Invalidation {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []store.Invalidation
	for _, inv := range r.got {
		if inv.Kind != store.InvalidateAll {
			out = append(out, inv)
		}
	}
	return out
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.got = nil
	r.mu.Unlock()
}

// Follow makes s follow its invalidation feed, as the server does, until
// stop or the test's end, and waits until the feed is fresh: from then on
// the caches that follow it answer (a condition, not a timing: the bound
// only keeps a broken feed from hanging the test).
func Follow(t testing.TB, s store.Store) (stop func()) {
	t.Helper()
	f, ok := s.(store.FeedFollower)
	if !ok {
		t.Fatalf("%T cannot follow the feed", s)
	}
	stop = f.StartFollowing(context.Background())
	t.Cleanup(stop)
	for deadline := time.Now().Add(20 * time.Second); !s.Invalidations().Fresh(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the feed never became fresh while following")
		}
	}
	return stop
}

func testFeedFresh(t *testing.T, a, b store.Store, clk *clocktest.Fake) {
	if b.Invalidations().Fresh() {
		t.Fatal("fresh before following")
	}
	got := record(t, b)
	stop := Follow(t, b)
	if !got.has(store.Invalidation{Kind: store.InvalidateAll}) {
		t.Error("becoming fresh did not deliver InvalidateAll first")
	}
	if n := countRows(t, a, clk, "cache_followers"); n != 1 {
		t.Errorf("%d followers registered while one follows", n)
	}
	stop()
	if b.Invalidations().Fresh() {
		t.Fatal("fresh after stopping")
	}
	if n := countRows(t, a, clk, "cache_followers"); n != 0 {
		t.Errorf("%d followers registered after the only one stopped", n)
	}
}

func countRows(t *testing.T, s store.Store, clk *clocktest.Fake, table string) int {
	t.Helper()
	var n int
	must(t, bulkDB(t, &H{S: s, Clock: clk}).QueryRow(`SELECT COUNT(*) FROM `+table).Scan(&n))
	return n
}

// fixture is one of each object the kinds name, all live, stored by a.
type fixture struct {
	user     *domain.User
	client   *domain.Client
	session  *domain.Session
	access   *domain.AccessToken
	compat   *domain.CompatSession
	compatAT *domain.CompatAccessToken
	personal *domain.PersonalSession
	pat      *domain.PersonalAccessToken
}

func newFixture(t *testing.T, s store.Store, clk *clocktest.Fake, name string) *fixture {
	t.Helper()
	ctx := context.Background()
	h := &H{S: s, Clock: clk}
	f := &fixture{user: newUser(t, h, name)}
	f.client = &domain.Client{TokenEndpointAuthMethod: "none"}
	must(t, s.Clients().Add(ctx, f.client))
	f.session = &domain.Session{ClientID: f.client.ID, UserID: &f.user.ID, Scope: []string{"openid"}}
	must(t, s.Sessions().Add(ctx, f.session))
	f.access = mustGet[*domain.AccessToken](t)(s.AccessTokens().Add(ctx, f.session.ID, "at-"+name, nil))
	f.compat = newCompatSession(t, h, f.user.ID, "DEV-"+name)
	f.compatAT = mustGet[*domain.CompatAccessToken](t)(s.CompatAccessTokens().Add(ctx, f.compat.ID, "cat-"+name, nil))
	f.personal = newPersonalSession(t, h, f.user.ID)
	sum := sha256.Sum256([]byte("pat-" + name))
	f.pat = mustGet[*domain.PersonalAccessToken](t)(s.PersonalAccessTokens().Add(ctx, f.personal.ID, sum[:], nil))
	return f
}

func testFeedReachesFollower(t *testing.T, a, b store.Store, clk *clocktest.Fake) {
	ctx := context.Background()
	f := newFixture(t, a, clk, "alice")
	local, remote := record(t, a), record(t, b)
	Follow(t, b)

	// Called on the store: its own transaction.
	must(t, a.AccessTokens().Revoke(ctx, f.access))
	want := store.Invalidation{Kind: store.InvalidateAccessToken, ID: f.access.ID}
	if !local.has(want) {
		t.Error("the writing process's subscriber did not hear of the revocation")
	}
	if !remote.has(want) {
		t.Error("the follower had not applied the revocation when the writer's call returned")
	}

	// Inside a transaction: nothing before the commit, everything after.
	tx, err := a.Begin(ctx)
	must(t, err)
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	f.user.Lock(clk.Now())
	must(t, tx.Users().Update(ctx, f.user))
	must(t, tx.Sessions().Finish(ctx, f.session))
	lock := store.Invalidation{Kind: store.InvalidateUser, ID: f.user.ID}
	finish := store.Invalidation{Kind: store.InvalidateOAuthSession, ID: f.session.ID}
	if local.has(lock) || remote.has(lock) {
		t.Fatal("an invalidation was delivered before its transaction committed")
	}
	must(t, tx.Commit())
	for _, inv := range []store.Invalidation{lock, finish} {
		if !local.has(inv) || !remote.has(inv) {
			t.Errorf("%v: local %v, follower %v after Commit returned", inv, local.has(inv), remote.has(inv))
		}
	}
}

func testFeedEveryWrite(t *testing.T, a, _ store.Store, clk *clocktest.Fake) {
	ctx := context.Background()
	cases := []struct {
		name  string
		write func(f *fixture) error
		want  func(f *fixture) []store.Invalidation
	}{
		{"AccessTokens.Revoke", func(f *fixture) error { return a.AccessTokens().Revoke(ctx, f.access) },
			func(f *fixture) []store.Invalidation { return one(store.InvalidateAccessToken, f.access.ID) }},
		{"Sessions.Finish", func(f *fixture) error { return a.Sessions().Finish(ctx, f.session) },
			func(f *fixture) []store.Invalidation { return one(store.InvalidateOAuthSession, f.session.ID) }},
		{"Sessions.FinishAllForUser", func(f *fixture) error { return ignore(a.Sessions().FinishAllForUser(ctx, f.user.ID)) },
			func(f *fixture) []store.Invalidation { return one(store.InvalidateOAuthSession, f.session.ID) }},
		{"CompatSessions.Finish", func(f *fixture) error { return a.CompatSessions().Finish(ctx, f.compat) },
			func(f *fixture) []store.Invalidation { return one(store.InvalidateCompatSession, f.compat.ID) }},
		{"CompatSessions.FinishAllForUser", func(f *fixture) error { return ignore(a.CompatSessions().FinishAllForUser(ctx, f.user.ID)) },
			func(f *fixture) []store.Invalidation { return one(store.InvalidateCompatSession, f.compat.ID) }},
		{"CompatAccessTokens.Expire", func(f *fixture) error { return a.CompatAccessTokens().Expire(ctx, f.compatAT) },
			func(f *fixture) []store.Invalidation { return one(store.InvalidateCompatAccessToken, f.compatAT.ID) }},
		{"CompatAccessTokens.DeleteUnused", func(f *fixture) error { return a.CompatAccessTokens().DeleteUnused(ctx, f.compatAT.ID) },
			func(f *fixture) []store.Invalidation { return one(store.InvalidateCompatAccessToken, f.compatAT.ID) }},
		{"PersonalSessions.Revoke", func(f *fixture) error { return a.PersonalSessions().Revoke(ctx, f.personal) },
			func(f *fixture) []store.Invalidation { return one(store.InvalidatePersonalSession, f.personal.ID) }},
		{"PersonalAccessTokens.Revoke", func(f *fixture) error { return a.PersonalAccessTokens().Revoke(ctx, f.pat) },
			func(f *fixture) []store.Invalidation { return one(store.InvalidatePersonalAccessToken, f.pat.ID) }},
		{"Users.Update", func(f *fixture) error {
			f.user.Lock(clk.Now())
			return a.Users().Update(ctx, f.user)
		}, func(f *fixture) []store.Invalidation { return one(store.InvalidateUser, f.user.ID) }},
		{"Clients.Delete", func(f *fixture) error { return a.Clients().Delete(ctx, f.client.ID) },
			func(f *fixture) []store.Invalidation {
				return append(one(store.InvalidateOAuthSession, f.session.ID), one(store.InvalidateClient, f.client.ID)...)
			}},
		{"Clients.UpsertStatic", func(f *fixture) error {
			f.client.RedirectURIs = []string{"https://changed.example.com/cb"}
			return a.Clients().UpsertStatic(ctx, f.client)
		}, func(f *fixture) []store.Invalidation { return one(store.InvalidateClient, f.client.ID) }},
	}
	got := record(t, a)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, a, clk, "user"+string(rune('a'+i)))
			got.reset()
			must(t, tc.write(f))
			if g, w := got.objects(), tc.want(f); !slices.Equal(g, w) {
				t.Fatalf("delivered %v, want %v", g, w)
			}
		})
	}

	// Writes that end nothing record nothing.
	f := newFixture(t, a, clk, "quiet")
	got.reset()
	must(t, a.CompatAccessTokens().Expire(ctx, f.compatAT))
	must(t, a.CompatAccessTokens().Expire(ctx, f.compatAT)) // already expired
	must(t, ignore(a.Sessions().FinishAllForUser(ctx, f.user.ID)))
	must(t, ignore(a.Sessions().FinishAllForUser(ctx, f.user.ID))) // none left
	if g := got.objects(); len(g) != 2 {
		t.Fatalf("repeated endings delivered %v, want the first of each only", g)
	}
}

func one(kind store.InvalidationKind, id domain.ID) []store.Invalidation {
	return []store.Invalidation{{Kind: kind, ID: id}}
}

func testFeedRollback(t *testing.T, a, b store.Store, clk *clocktest.Fake) {
	ctx := context.Background()
	f := newFixture(t, a, clk, "alice")
	local, remote := record(t, a), record(t, b)
	Follow(t, b)

	tx, err := a.Begin(ctx)
	must(t, err)
	must(t, tx.AccessTokens().Revoke(ctx, f.access))
	must(t, tx.Rollback())
	// A later commit: once the follower has it, it has read past the
	// rolled-back one's place.
	must(t, a.CompatSessions().Finish(ctx, f.compat))
	want := one(store.InvalidateCompatSession, f.compat.ID)
	for name, r := range map[string]*recorder{"writer": local, "follower": remote} {
		if g := r.objects(); !slices.Equal(g, want) {
			t.Errorf("%s heard %v, want only %v", name, g, want)
		}
	}
}

func testFeedStoppedFollower(t *testing.T, a, b store.Store, clk *clocktest.Fake) {
	ctx := context.Background()
	f := newFixture(t, a, clk, "alice")
	remote := record(t, b)
	stop := Follow(t, b)
	stop()
	must(t, a.AccessTokens().Revoke(ctx, f.access))
	if len(remote.objects()) != 0 {
		t.Fatalf("a stopped follower heard %v", remote.objects())
	}
	// Following again starts over: InvalidateAll, then new writes only.
	remote.reset()
	Follow(t, b)
	if !remote.has(store.Invalidation{Kind: store.InvalidateAll}) {
		t.Fatal("following again did not deliver InvalidateAll")
	}
	must(t, a.Sessions().Finish(ctx, f.session))
	if !remote.has(store.Invalidation{Kind: store.InvalidateOAuthSession, ID: f.session.ID}) {
		t.Fatal("following again, the follower missed a commit")
	}
}

// A follower deletes the rows older than the feed keeps (minutes).
func testFeedClean(t *testing.T, a, b store.Store, clk *clocktest.Fake) {
	f := newFixture(t, a, clk, "alice")
	must(t, a.AccessTokens().Revoke(context.Background(), f.access))
	if n := countRows(t, a, clk, "cache_invalidations"); n != 1 {
		t.Fatalf("%d rows recorded, want 1", n)
	}
	clk.Advance(time.Hour)
	Follow(t, b)
	for deadline := time.Now().Add(20 * time.Second); countRows(t, a, clk, "cache_invalidations") != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("an hour-old invalidation was never deleted")
		}
	}
}
