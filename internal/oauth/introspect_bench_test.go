package oauth

// Introspection benchmarks. BenchmarkIntrospectAccessTokenCeiling runs the
// same handler with the store lookup replaced by a map, which is the cost
// of everything but the database (form parsing, the shared-secret check,
// the token format check, JSON). BenchmarkIntrospectAccessToken reports
// its own cost as a multiple of that ceiling ("x_ceiling"), so `make
// bench` shows how much the SQLite lookup adds.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
)

// ceilingNsPerOp is the last measurement of the ceiling benchmark, reused
// by BenchmarkIntrospectAccessToken when both run (the ceiling is declared
// first, so it runs first).
var ceilingNsPerOp float64

// introspectionBench prepares an environment with one live access token,
// already introspected once (its first use and the session activity are
// recorded, as for any token Synapse sees repeatedly).
func introspectionBench(b *testing.B, tweak ...func(*Handler)) (*tokenEnv, string) {
	e := newTokenEnv(b, tweak...)
	p := e.issue(e.client(), e.user("alice"), "openid", "urn:matrix:client:api:*", "urn:matrix:client:device:BENCHDEVIC")
	if !e.active(p.access.Token) {
		b.Fatal("token not active")
	}
	return e, p.access.Token
}

// introspectOnce sends one request through the mux, the way Synapse
// sends it.
func introspectOnce(tb testing.TB, e *tokenEnv, body, auth string) {
	req := httptest.NewRequest(http.MethodPost, routes.OAuth2Introspection, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", auth)
	req.Header.Set("X-MAS-Supports-Device-Id", "1")
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), `{"active":true`) {
		tb.Fatalf("introspection = %d %s", rec.Code, rec.Body.String())
	}
}

func introspectionRequest(e *tokenEnv, token string) (body, auth string) {
	return url.Values{"token": {token}, "token_type_hint": {"access_token"}}.Encode(), "Bearer " + e.hs.Secret()
}

// runIntrospection is the measured loop; it returns the cost per request.
func runIntrospection(b *testing.B, e *tokenEnv, token string) float64 {
	body, auth := introspectionRequest(e, token)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		introspectOnce(b, e, body, auth)
	}
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}

// ceilingEnv swaps the store of an environment for the map-backed one.
func ceilingEnv(b *testing.B) (*tokenEnv, string) {
	e, token := introspectionBench(b)
	ms, err := newMapIntrospectionStore(e.db, token)
	if err != nil {
		b.Fatal(err)
	}
	e.h.Store = ms
	return e, token
}

func BenchmarkIntrospectAccessTokenCeiling(b *testing.B) {
	e, token := ceilingEnv(b)
	ceilingNsPerOp = runIntrospection(b, e, token)
}

func BenchmarkIntrospectAccessToken(b *testing.B) {
	e, token := introspectionBench(b)
	ns := runIntrospection(b, e, token)
	if ceilingNsPerOp == 0 {
		// Run alone (-bench filtered): time the ceiling here, outside the
		// measurement. testing.Benchmark cannot nest in a benchmark.
		ce, ctoken := ceilingEnv(b)
		body, auth := introspectionRequest(ce, ctoken)
		const n = 5000
		start := time.Now()
		for range n {
			introspectOnce(b, ce, body, auth)
		}
		ceilingNsPerOp = float64(time.Since(start).Nanoseconds()) / n
	}
	b.ReportMetric(ns/ceilingNsPerOp, "x_ceiling")
}

// BenchmarkIntrospectAccessTokenParallel measures throughput with as many
// concurrent callers as GOMAXPROCS, as several Synapse workers would be.
func BenchmarkIntrospectAccessTokenParallel(b *testing.B) {
	e, token := introspectionBench(b)
	body := url.Values{"token": {token}}.Encode()
	auth := "Bearer " + e.hs.Secret()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, routes.OAuth2Introspection, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			rec := httptest.NewRecorder()
			e.mux.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("introspection = %d", rec.Code)
				return
			}
		}
	})
}

// mapIntrospectionStore answers the introspection lookup from memory and
// everything else from the real store.
type mapIntrospectionStore struct {
	store.Store
	m map[string]mapIntrospectionEntry
}

type mapIntrospectionEntry struct {
	at   *domain.AccessToken
	s    *domain.Session
	user *domain.User
}

func newMapIntrospectionStore(s store.Store, token string) (*mapIntrospectionStore, error) {
	at, sess, user, err := s.AccessTokens().FindForIntrospection(context.Background(), token)
	if err != nil {
		return nil, err
	}
	return &mapIntrospectionStore{Store: s, m: map[string]mapIntrospectionEntry{token: {at, sess, user}}}, nil
}

func (m *mapIntrospectionStore) AccessTokens() store.AccessTokenRepository {
	return mapAccessTokens{AccessTokenRepository: m.Store.AccessTokens(), m: m.m}
}

type mapAccessTokens struct {
	store.AccessTokenRepository
	m map[string]mapIntrospectionEntry
}

func (r mapAccessTokens) FindForIntrospection(_ context.Context, token string) (*domain.AccessToken, *domain.Session, *domain.User, error) {
	e, ok := r.m[token]
	if !ok {
		return nil, nil, nil, store.ErrNotFound
	}
	return e.at, e.s, e.user, nil
}
