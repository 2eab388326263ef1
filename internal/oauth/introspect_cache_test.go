package oauth

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store/storetest"
)

// flushActivity writes the batched session activity now.
func (e *tokenEnv) flushActivity() {
	e.t.Helper()
	e.must(e.h.Activity.Flush(context.Background()))
}

// followFeed makes the store follow its invalidation feed, as the server
// does, and waits until it is fresh: from then on the cache answers.
func (e *tokenEnv) followFeed() { storetest.Follow(e.t, e.db) }

func (e *tokenEnv) cacheHits() uint64 { return e.h.Introspection.Stats().Hits }

// introspectCached introspects a token twice and checks that the second
// answer came from the cache and is the first one.
func (e *tokenEnv) introspectCached(token string, header http.Header) map[string]any {
	e.t.Helper()
	first := e.introspect(token, header)
	if first["active"] != true {
		e.t.Fatalf("token not active: %v", first)
	}
	hits := e.cacheHits()
	second := e.introspect(token, header)
	if e.cacheHits() != hits+1 {
		e.t.Fatal("second introspection was not answered from the cache")
	}
	if !reflect.DeepEqual(first, second) {
		e.t.Fatalf("cached answer %v differs from %v", second, first)
	}
	return second
}

// TestIntrospectionCacheNeverLies: once a token's answer is cached, every
// way of ending what it grants makes the very next introspection inactive.
func TestIntrospectionCacheNeverLies(t *testing.T) {
	ctx := context.Background()
	cases := map[string]func(e *tokenEnv) (token string, end func()){
		"revoked access token": func(e *tokenEnv) (string, func()) {
			c := e.client()
			p := e.issue(c, e.user("alice"), "urn:matrix:client:api:*")
			return p.access.Token, func() {
				if code, body := e.revoke(c, p.access.Token, ""); code != http.StatusOK {
					t.Fatalf("revoke = %d %s", code, body)
				}
			}
		},
		"revoked refresh token": func(e *tokenEnv) (string, func()) {
			c := e.client()
			p := e.issue(c, e.user("alice"), "urn:matrix:client:api:*")
			return p.access.Token, func() {
				if code, body := e.revoke(c, p.refresh.Token, ""); code != http.StatusOK {
					t.Fatalf("revoke = %d %s", code, body)
				}
			}
		},
		"finished oauth2 session": func(e *tokenEnv) (string, func()) {
			p := e.issue(e.client(), e.user("alice"), "urn:matrix:client:api:*")
			return p.access.Token, func() { e.must(e.db.Sessions().Finish(ctx, e.session(p.session.ID))) }
		},
		"locked user": func(e *tokenEnv) (string, func()) {
			u := e.user("alice")
			p := e.issue(e.client(), u, "urn:matrix:client:api:*")
			return p.access.Token, func() { e.lock(u) }
		},
		"compat logout": func(e *tokenEnv) (string, func()) {
			s, at := e.compatToken(e.user("bob"), "COMPATDEV1", false, nil)
			return at.Token, func() { e.must(e.db.CompatSessions().Finish(ctx, s)) }
		},
		"compat user locked": func(e *tokenEnv) (string, func()) {
			u := e.user("bob")
			_, at := e.compatToken(u, "COMPATDEV1", false, nil)
			return at.Token, func() { e.lock(u) }
		},
		"personal token revoked": func(e *tokenEnv) (string, func()) {
			s, tok := e.personalToken(e.user("alice"), nil, e.user("bot"), nil)
			return tok, func() {
				pat, err := e.db.PersonalAccessTokens().ActiveForSession(ctx, s.ID)
				e.must(err)
				e.must(e.db.PersonalAccessTokens().Revoke(ctx, pat))
			}
		},
		"personal session revoked": func(e *tokenEnv) (string, func()) {
			s, tok := e.personalToken(e.user("alice"), nil, e.user("bot"), nil)
			return tok, func() { e.must(e.db.PersonalSessions().Revoke(ctx, s)) }
		},
		"personal token owner locked": func(e *tokenEnv) (string, func()) {
			owner := e.user("alice")
			_, tok := e.personalToken(owner, nil, e.user("bot"), nil)
			return tok, func() { e.lock(owner) }
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			e := newTokenEnv(t)
			e.followFeed()
			token, end := setup(e)
			e.introspectCached(token, nil)
			end()
			if got := e.introspect(token, nil); got["active"] != false {
				t.Fatalf("after the end, introspection = %v", got)
			}
		})
	}
}

func (e *tokenEnv) lock(u *domain.User) {
	e.t.Helper()
	u, err := e.db.Users().Lookup(context.Background(), u.ID)
	e.must(err)
	u.Lock(e.clock.Now())
	e.must(e.db.Users().Update(context.Background(), u))
}

// TestIntrospectionCacheAnswers: a hit answers what a lookup would, with
// exp and expires_in counted from now, both forms of a compat answer, and
// never past the token's expiry.
func TestIntrospectionCacheAnswers(t *testing.T) {
	e := newTokenEnv(t)
	e.followFeed()
	p := e.issue(e.client(), e.user("alice"), "urn:matrix:client:api:*")
	e.introspectCached(p.access.Token, nil)
	e.clock.Advance(time.Minute)
	hits := e.cacheHits()
	got := e.introspect(p.access.Token, nil)
	if e.cacheHits() != hits+1 {
		t.Fatal("not a hit")
	}
	if got["expires_in"] != float64(4*60) {
		t.Fatalf("expires_in = %v after a minute of a five-minute token", got["expires_in"])
	}
	// Expiry is checked on every hit.
	e.clock.Advance(4 * time.Minute)
	if e.active(p.access.Token) {
		t.Fatal("expired token answered active")
	}

	// Compat: the device in the scope, or in device_id.
	_, at := e.compatToken(e.user("bob"), "COMPATDEV1", true, nil)
	inScope := http.Header{"X-Mas-Supports-Device-Id": {"no"}}
	if reflect.DeepEqual(e.introspectCached(at.Token, inScope), e.introspectCached(at.Token, nil)) {
		t.Fatal("both forms answered alike")
	}
	// A device that cannot be a scope token: active in device_id, cached
	// or not, inactive in the scope form.
	_, odd := e.compatToken(e.user("carol"), "ODD DEVICE", false, nil)
	e.introspectCached(odd.Token, nil)
	hits = e.cacheHits()
	if got := e.introspect(odd.Token, inScope); got["active"] != false || e.cacheHits() != hits+1 {
		t.Fatalf("device that is no scope token answered %v in the scope", got)
	}

	// Activity still reaches the session on hits.
	e.flushActivity()
	if s := e.session(p.session.ID); s.LastActiveAt == nil {
		t.Fatal("no activity recorded")
	}
}

// TestIntrospectionCacheOffWhileNotFresh: without a fresh feed every
// introspection asks the database.
func TestIntrospectionCacheOffWhileNotFresh(t *testing.T) {
	e := newTokenEnv(t)
	p := e.issue(e.client(), e.user("alice"), "urn:matrix:client:api:*")
	for range 3 {
		if !e.active(p.access.Token) {
			t.Fatal("token not active")
		}
	}
	if s := e.h.Introspection.Stats(); s.Hits != 0 || s.Entries != 0 {
		t.Fatalf("cache used without a fresh feed: %+v", s)
	}
}

// BenchmarkIntrospectAccessTokenCached is BenchmarkIntrospectAccessToken
// answered from the cache (the store follows its feed); its x_ceiling is
// against BenchmarkIntrospectAccessTokenCeiling when run with it.
func BenchmarkIntrospectAccessTokenCached(b *testing.B) {
	e, token := introspectionBench(b)
	e.followFeed()
	if !e.active(token) {
		b.Fatal("token not active")
	}
	hits := e.cacheHits()
	ns := runIntrospection(b, e, token)
	if e.cacheHits()-hits < uint64(b.N) {
		b.Fatalf("%d hits for %d requests", e.cacheHits()-hits, b.N)
	}
	if ceilingNsPerOp != 0 {
		b.ReportMetric(ns/ceilingNsPerOp, "x_ceiling")
	}
}
