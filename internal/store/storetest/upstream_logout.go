package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("UpstreamLogout",
		test{"ListLoggedInBySubAndSid", testUpstreamListLoggedIn},
		test{"LogoutTokenReplay", testUpstreamLogoutTokenReplay},
		test{"DeletePending", testUpstreamDeletePending},
	)
}

// loggedInAttempt stores an attempt of provider p that completed with the
// given ID token claims and, when bs is set, signed bs in.
func loggedInAttempt(t *testing.T, h *H, p, link domain.ID, claims string, bs *domain.BrowserSession) *domain.UpstreamAuthSession {
	t.Helper()
	ctx := context.Background()
	s := &domain.UpstreamAuthSession{ProviderID: p, State: fmt.Sprintf("state-%d", time.Now().UnixNano())}
	must(t, h.S.UpstreamSessions().Add(ctx, s))
	s.LinkID = &link
	s.IDTokenClaims = claims
	must(t, h.S.UpstreamSessions().Complete(ctx, s))
	if bs != nil {
		must(t, h.S.UpstreamSessions().Consume(ctx, s, bs.ID))
	}
	return s
}

func testUpstreamListLoggedIn(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	p := newUpstreamProvider(t, h, 0)
	other := newUpstreamProvider(t, h, 1)
	l := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub-a", &u.ID, ""))
	lo := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, other.ID, "sub-a", &u.ID, ""))
	newBS := func() *domain.BrowserSession {
		return mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	}
	one := loggedInAttempt(t, h, p.ID, l.ID, `{"sub":"sub-a","sid":"sid-1"}`, newBS())
	two := loggedInAttempt(t, h, p.ID, l.ID, `{"sub":"sub-a","sid":"sid-2"}`, newBS())
	noSid := loggedInAttempt(t, h, p.ID, l.ID, `{"sub":"sub-a"}`, newBS())
	loggedInAttempt(t, h, p.ID, l.ID, `{"sub":"sub-a","sid":"sid-1"}`, nil) // completed, never signed in
	loggedInAttempt(t, h, other.ID, lo.ID, `{"sub":"sub-a","sid":"sid-1"}`, newBS())
	loggedInAttempt(t, h, p.ID, l.ID, `{"sub":"sub-b","sid":"sid-1"}`, newBS())
	loggedInAttempt(t, h, p.ID, l.ID, `{"sub":12,"sid":["x"]}`, newBS()) // not strings: never matched

	ids := func(list []*domain.UpstreamAuthSession) []domain.ID {
		out := make([]domain.ID, len(list))
		for i, s := range list {
			out[i] = s.ID
		}
		return out
	}
	for _, c := range []struct {
		name, sub, sid string
		want           []domain.ID
	}{
		{"sub and sid", "sub-a", "sid-1", []domain.ID{one.ID}},
		{"sub alone", "sub-a", "", []domain.ID{one.ID, two.ID, noSid.ID}},
		{"sid alone", "", "sid-2", []domain.ID{two.ID}},
		{"unknown", "sub-z", "", nil},
	} {
		got := ids(mustGet[[]*domain.UpstreamAuthSession](t)(h.S.UpstreamSessions().ListLoggedIn(ctx, p.ID, c.sub, c.sid)))
		if fmt.Sprint(got) != fmt.Sprint(c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if _, err := h.S.UpstreamSessions().ListLoggedIn(ctx, p.ID, "", ""); err == nil {
		t.Error("listing with neither sub nor sid succeeded")
	}
}

func testUpstreamLogoutTokenReplay(t *testing.T, h *H) {
	ctx := context.Background()
	p := newUpstreamProvider(t, h, 0)
	other := newUpstreamProvider(t, h, 1)
	repo := h.S.UpstreamSessions()
	keep := h.Clock.Now().Add(time.Hour)
	must(t, repo.RecordLogoutToken(ctx, p.ID, "jti-1", keep))
	wantErr(t, repo.RecordLogoutToken(ctx, p.ID, "jti-1", keep), store.ErrConflict)
	// The same jti from another provider is another token.
	must(t, repo.RecordLogoutToken(ctx, other.ID, "jti-1", keep))
	// Inside a transaction too.
	err := store.WithTx(ctx, h.S, func(tx store.Tx) error {
		return tx.UpstreamSessions().RecordLogoutToken(ctx, p.ID, "jti-1", keep)
	})
	wantErr(t, err, store.ErrConflict)
	// Once kept long enough, a token is forgotten.
	h.Clock.Advance(2 * time.Hour)
	must(t, repo.RecordLogoutToken(ctx, p.ID, "jti-1", h.Clock.Now().Add(time.Hour)))
}

func testUpstreamDeletePending(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	p := newUpstreamProvider(t, h, 0)
	l := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", &u.ID, ""))
	old := &domain.UpstreamAuthSession{ProviderID: p.ID, State: "old"}
	must(t, h.S.UpstreamSessions().Add(ctx, old))
	completed := loggedInAttempt(t, h, p.ID, l.ID, `{"sub":"sub"}`, nil)
	cut := h.Clock.Now().Add(time.Second)
	h.Clock.Advance(2 * time.Second)
	fresh := &domain.UpstreamAuthSession{ProviderID: p.ID, State: "fresh"}
	must(t, h.S.UpstreamSessions().Add(ctx, fresh))

	n := mustGet[int](t)(h.S.UpstreamSessions().DeletePendingCreatedBefore(ctx, cut, 10))
	if n != 1 {
		t.Fatalf("deleted %d, want 1", n)
	}
	_, err := h.S.UpstreamSessions().Lookup(ctx, old.ID)
	wantErr(t, err, store.ErrNotFound)
	for _, kept := range []*domain.UpstreamAuthSession{completed, fresh} {
		if _, err := h.S.UpstreamSessions().Lookup(ctx, kept.ID); err != nil {
			t.Errorf("%s: %v", kept.State, err)
		}
	}
}
