package oauth

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func refreshForm(c *domain.Client, token string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}, "client_id": {c.ID.String()}}
}

// refreshed is one successful refresh.
type refreshed struct{ access, refresh string }

func (e *tokenEnv) refresh(c *domain.Client, token string) refreshed {
	e.t.Helper()
	m := wantTokenOK(e.t, e.tokenRequest(refreshForm(c, token)))
	return refreshed{access: m["access_token"].(string), refresh: m["refresh_token"].(string)}
}

func TestRefreshTokenRotation(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	p := e.issue(c, e.user("alice"), "urn:matrix:client:api:*", "openid")
	e.clock.Advance(time.Minute)

	m := wantTokenOK(t, e.tokenRequest(refreshForm(c, p.refresh.Token)))
	if m["expires_in"] != float64(300) || m["scope"] != "openid urn:matrix:client:api:*" {
		t.Errorf("response = %v", m)
	}
	if _, ok := m["id_token"]; ok {
		t.Errorf("refresh returned an ID token: %v", m)
	}
	next := refreshed{access: m["access_token"].(string), refresh: m["refresh_token"].(string)}

	// The old pair is dead: the access token revoked, the refresh token
	// consumed into the new one.
	if e.active(p.access.Token) || e.active(p.refresh.Token) {
		t.Fatal("old tokens still active after rotation")
	}
	if !e.active(next.access) || !e.active(next.refresh) {
		t.Fatal("new tokens not active")
	}
	old, err := e.db.RefreshTokens().Lookup(context.Background(), p.refresh.ID)
	e.must(err)
	newRT, err := e.db.RefreshTokens().FindByToken(context.Background(), next.refresh)
	e.must(err)
	if old.ConsumedAt == nil || old.NextRefreshTokenID == nil || *old.NextRefreshTokenID != newRT.ID {
		t.Fatalf("old refresh token = %+v, want consumed into %s", old, newRT.ID)
	}

	// The chain continues; the session is the same throughout.
	third := e.refresh(c, next.refresh)
	if e.sessionOfAccessToken(third.access).ID != p.session.ID {
		t.Fatal("refresh moved the tokens to another session")
	}
	// Once a successor has been used (introspection marks it), its consumed
	// predecessors are replays; replays of merely consumed tokens are
	// covered by TestRefreshTokenReplayAfterSuccessorUsed.
	if !e.active(third.access) {
		t.Fatal("third access token not active")
	}
}

// TestRefreshTokenLostResponse covers the one retry a client gets when our
// answer to a refresh never reached it.
func TestRefreshTokenLostResponse(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	p := e.issue(c, e.user("alice"), "openid")

	lost := e.refresh(c, p.refresh.Token) // the client never sees this
	retry := e.refresh(c, p.refresh.Token)

	// The lost pair is revoked, the retry's pair works.
	ctx := context.Background()
	lostRT, err := e.db.RefreshTokens().FindByToken(ctx, lost.refresh)
	e.must(err)
	lostAT, err := e.db.AccessTokens().FindByToken(ctx, lost.access)
	e.must(err)
	if lostRT.RevokedAt == nil || lostAT.RevokedAt == nil {
		t.Fatalf("lost pair not revoked: %+v %+v", lostRT, lostAT)
	}
	if !e.active(retry.access) || !e.active(retry.refresh) {
		t.Fatal("retried pair not active")
	}

	// Only once: the old token's successor is now revoked.
	wantTokenError(t, e.tokenRequest(refreshForm(c, p.refresh.Token)), http.StatusBadRequest, ErrInvalidGrant)
	// The lost refresh token itself is dead.
	wantTokenError(t, e.tokenRequest(refreshForm(c, lost.refresh)), http.StatusBadRequest, ErrInvalidGrant)
	// And the chain goes on from the retry.
	e.refresh(c, retry.refresh)
}

// TestRefreshTokenReplayAfterSuccessorUsed: a consumed refresh token that
// comes back after the pair it was rotated into was used is a proven
// replay (RFC 9700 §4.14.2). Two parties hold the session's tokens, so the
// session ends, the homeserver is told to drop the device, and the log
// carries a security event naming client and session.
func TestRefreshTokenReplayAfterSuccessorUsed(t *testing.T) {
	check := func(t *testing.T, e *tokenEnv, c *domain.Client, p issued, live ...string) {
		t.Helper()
		rec := e.tokenRequest(refreshForm(c, p.refresh.Token))
		wantTokenError(t, rec, http.StatusBadRequest, ErrInvalidGrant)
		if s := e.session(p.session.ID); s.Active() {
			t.Fatalf("session still active after a proven replay: %+v", s)
		}
		for _, tok := range live {
			if e.active(tok) {
				t.Fatal("a token of the ended session is still active")
			}
		}
		if jobs := e.jobs("sync-devices"); len(jobs) != 1 {
			t.Fatalf("sync-devices jobs = %v, want one", jobs)
		}
		logged := e.logs.String()
		for _, want := range []string{"security: refresh token replayed", "client_id=" + c.ID.String(), "session=" + p.session.ID.String()} {
			if !strings.Contains(logged, want) {
				t.Errorf("log lacks %q:\n%s", want, logged)
			}
		}
		if strings.Contains(logged, p.refresh.Token) {
			t.Error("the log carries the refresh token itself")
		}
	}
	t.Run("successor access token used", func(t *testing.T) {
		e := newTokenEnv(t)
		c := e.client()
		p := e.issue(c, e.user("alice"), "openid")
		next := e.refresh(c, p.refresh.Token)
		e.introspect(next.access, nil) // the homeserver saw it: the client got the response
		check(t, e, c, p, next.access, next.refresh)
	})
	t.Run("successor refresh token used", func(t *testing.T) {
		e := newTokenEnv(t)
		c := e.client()
		p := e.issue(c, e.user("alice"), "openid")
		next := e.refresh(c, p.refresh.Token)
		third := e.refresh(c, next.refresh)
		check(t, e, c, p, third.access, third.refresh)
	})
}

// TestRefreshTokenConcurrent races refreshes of one token. Whatever the
// interleaving, exactly one chain of tokens must survive: the conditional
// consume lets one rotation win, and a late request either loses with
// invalid_grant or takes the lost-response path, which revokes the pair it
// replaces.
func TestRefreshTokenConcurrent(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	p := e.issue(c, e.user("alice"), "openid")
	const n = 8
	recs := make([]map[string]any, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			rec := e.tokenRequest(refreshForm(c, p.refresh.Token))
			statuses[i] = rec.Code
			if rec.Code == http.StatusOK {
				recs[i] = jsonBody(t, rec)
			}
		})
	}
	wg.Wait()
	var live, ok int
	for i, st := range statuses {
		switch st {
		case http.StatusOK:
			ok++
			if e.active(recs[i]["refresh_token"].(string)) {
				live++
				if !e.active(recs[i]["access_token"].(string)) {
					t.Error("live refresh token with a dead access token")
				}
			}
		case http.StatusBadRequest:
		default:
			t.Fatalf("statuses = %v", statuses)
		}
	}
	if ok == 0 || live != 1 {
		t.Fatalf("%d refreshes succeeded, %d chains alive (statuses %v); want exactly one alive", ok, live, statuses)
	}
	if n := e.count(`SELECT COUNT(*) FROM oauth2_refresh_tokens WHERE consumed_at IS NULL AND revoked_at IS NULL`); n != 1 {
		t.Fatalf("%d usable refresh tokens in the store", n)
	}
	// Concurrent refreshes by the client itself prove nothing: the
	// session lives on.
	if s := e.session(p.session.ID); !s.Active() {
		t.Fatalf("session ended by concurrent refreshes: %+v", s)
	}
	if jobs := e.jobs("sync-devices"); len(jobs) != 0 {
		t.Fatalf("sync-devices jobs = %v", jobs)
	}
}

func TestRefreshTokenRecordsActivity(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	p := e.issue(c, e.user("alice"), "openid")
	e.clock.Advance(time.Hour)
	e.refresh(c, p.refresh.Token)
	e.flushActivity()
	s := e.session(p.session.ID)
	if s.LastActiveAt == nil || !s.LastActiveAt.Equal(e.clock.Now()) {
		t.Fatalf("last_active_at = %v, want %v", s.LastActiveAt, e.clock.Now())
	}
}

// staleRefreshStore answers FindByToken with a copy read earlier, which is
// what a request sees when it read the token just before a concurrent
// refresh committed.
type staleRefreshStore struct {
	store.Store
	stale *domain.RefreshToken
}

func (s staleRefreshStore) RefreshTokens() store.RefreshTokenRepository {
	return staleRefreshTokens{RefreshTokenRepository: s.Store.RefreshTokens(), stale: s.stale}
}

type staleRefreshTokens struct {
	store.RefreshTokenRepository
	stale *domain.RefreshToken
}

func (r staleRefreshTokens) FindByToken(context.Context, string) (*domain.RefreshToken, error) {
	cp := *r.stale
	return &cp, nil
}

// TestRefreshTokenRaceLoser pins the losing side of a race: a request that
// read the token as unconsumed, then finds it consumed when it writes,
// fails with invalid_grant and writes nothing.
func TestRefreshTokenRaceLoser(t *testing.T) {
	e := newTokenEnv(t)
	c := e.client()
	p := e.issue(c, e.user("alice"), "openid")
	winner := e.refresh(c, p.refresh.Token)

	real := e.h.Store
	e.h.Store = staleRefreshStore{Store: real, stale: p.refresh}
	wantTokenError(t, e.tokenRequest(refreshForm(c, p.refresh.Token)), http.StatusBadRequest, ErrInvalidGrant)
	e.h.Store = real

	if !e.active(winner.access) || !e.active(winner.refresh) {
		t.Fatal("the losing refresh disturbed the winner")
	}
	if n := e.count(`SELECT COUNT(*) FROM oauth2_access_tokens`); n != 2 {
		t.Fatalf("%d access tokens, want 2 (the losing request's must be rolled back)", n)
	}
}
