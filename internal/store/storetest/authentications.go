package storetest

import (
	"context"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("BrowserSessionAuthentications",
		test{"LastPicksNewest", testAuthenticationLastPicksNewest},
		test{"SameMillisecond", testAuthenticationSameMillisecond},
		test{"ExactlyOneProof", testAuthenticationExactlyOneProof},
		test{"PerSession", testAuthenticationPerSession},
		test{"LookupForToken", testAuthenticationLookupForToken},
	)
}

func sameAuthentication(t *testing.T, got, want *domain.Authentication) {
	t.Helper()
	if got.ID != want.ID || got.BrowserSessionID != want.BrowserSessionID {
		t.Fatalf("authentication = %+v\nwant %+v", got, want)
	}
	sameTime(t, "authentication created_at", got.CreatedAt, want.CreatedAt)
	sameIDRef(t, "password", got.PasswordID, want.PasswordID)
	sameIDRef(t, "upstream session", got.UpstreamSessionID, want.UpstreamSessionID)
}

func testAuthenticationLastPicksNewest(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	pw := mustGet[*domain.Password](t)(h.S.Passwords().Add(ctx, u.ID, "$argon2id$x", 1, nil))
	p := newUpstreamProvider(t, h, 0)
	l := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", &u.ID, ""))
	up := completedUpstreamSession(t, h, p.ID, l.ID, "st")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))

	_, err := h.S.BrowserSessions().LastAuthentication(ctx, bs.ID)
	wantErr(t, err, store.ErrNotFound)

	h.Clock.Advance(time.Second)
	first := mustGet[*domain.Authentication](t)(h.S.BrowserSessions().Authenticate(ctx, bs.ID, &pw.ID, nil))
	sameTime(t, "created_at", first.CreatedAt, h.Clock.Now())
	sameAuthentication(t, mustGet[*domain.Authentication](t)(h.S.BrowserSessions().LastAuthentication(ctx, bs.ID)), first)

	h.Clock.Advance(time.Minute)
	second := mustGet[*domain.Authentication](t)(h.S.BrowserSessions().Authenticate(ctx, bs.ID, nil, &up.ID))
	sameAuthentication(t, mustGet[*domain.Authentication](t)(h.S.BrowserSessions().LastAuthentication(ctx, bs.ID)), second)

	h.Clock.Advance(time.Minute)
	third := mustGet[*domain.Authentication](t)(h.S.BrowserSessions().Authenticate(ctx, bs.ID, &pw.ID, nil))
	sameAuthentication(t, mustGet[*domain.Authentication](t)(h.S.BrowserSessions().LastAuthentication(ctx, bs.ID)), third)
}

// testAuthenticationSameMillisecond makes authentications microseconds
// apart, within one ULID millisecond, where IDs alone do not tell which is
// newest.
func testAuthenticationSameMillisecond(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	pw := mustGet[*domain.Password](t)(h.S.Passwords().Add(ctx, u.ID, "$argon2id$x", 1, nil))
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	var last *domain.Authentication
	for range 20 {
		h.Clock.Advance(time.Microsecond)
		last = mustGet[*domain.Authentication](t)(h.S.BrowserSessions().Authenticate(ctx, bs.ID, &pw.ID, nil))
	}
	sameAuthentication(t, mustGet[*domain.Authentication](t)(h.S.BrowserSessions().LastAuthentication(ctx, bs.ID)), last)
}

func testAuthenticationExactlyOneProof(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	pw := mustGet[*domain.Password](t)(h.S.Passwords().Add(ctx, u.ID, "$argon2id$x", 1, nil))
	p := newUpstreamProvider(t, h, 0)
	l := mustGet[*domain.UpstreamLink](t)(h.S.UpstreamLinks().Add(ctx, p.ID, "sub", &u.ID, ""))
	up := completedUpstreamSession(t, h, p.ID, l.ID, "st")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	if _, err := h.S.BrowserSessions().Authenticate(ctx, bs.ID, nil, nil); err == nil {
		t.Fatal("authentication without a proof was stored")
	}
	if _, err := h.S.BrowserSessions().Authenticate(ctx, bs.ID, &pw.ID, &up.ID); err == nil {
		t.Fatal("authentication with two proofs was stored")
	}
	if _, err := h.S.BrowserSessions().Authenticate(ctx, nonexistentID(), &pw.ID, nil); err == nil {
		t.Fatal("authentication of a browser session that does not exist was stored")
	}
	_, err := h.S.BrowserSessions().LastAuthentication(ctx, bs.ID)
	wantErr(t, err, store.ErrNotFound)
}

func testAuthenticationPerSession(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	pw := mustGet[*domain.Password](t)(h.S.Passwords().Add(ctx, u.ID, "$argon2id$x", 1, nil))
	a := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	b := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	onA := mustGet[*domain.Authentication](t)(h.S.BrowserSessions().Authenticate(ctx, a.ID, &pw.ID, nil))
	h.Clock.Advance(time.Second)
	onB := mustGet[*domain.Authentication](t)(h.S.BrowserSessions().Authenticate(ctx, b.ID, &pw.ID, nil))
	sameAuthentication(t, mustGet[*domain.Authentication](t)(h.S.BrowserSessions().LastAuthentication(ctx, a.ID)), onA)
	sameAuthentication(t, mustGet[*domain.Authentication](t)(h.S.BrowserSessions().LastAuthentication(ctx, b.ID)), onB)
}

// testAuthenticationLookupForToken checks the session, its user and the
// newest authentication's time read in one query, and that another
// session's authentications do not count.
func testAuthenticationLookupForToken(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	pw := mustGet[*domain.Password](t)(h.S.Passwords().Add(ctx, u.ID, "$argon2id$x", 1, nil))
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, "Mozilla/5.0"))
	other := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))

	got, owner, authTime, err := h.S.BrowserSessions().LookupForToken(ctx, bs.ID)
	must(t, err)
	if got.ID != bs.ID || got.UserAgent != "Mozilla/5.0" || owner.ID != u.ID || owner.Username != "alice" || authTime != nil {
		t.Fatalf("lookup for token = %+v, %+v, %v", got, owner, authTime)
	}

	h.Clock.Advance(time.Second)
	mustGet[*domain.Authentication](t)(h.S.BrowserSessions().Authenticate(ctx, bs.ID, &pw.ID, nil))
	h.Clock.Advance(time.Minute)
	second := mustGet[*domain.Authentication](t)(h.S.BrowserSessions().Authenticate(ctx, bs.ID, &pw.ID, nil))
	h.Clock.Advance(time.Minute)
	mustGet[*domain.Authentication](t)(h.S.BrowserSessions().Authenticate(ctx, other.ID, &pw.ID, nil))

	_, _, authTime, err = h.S.BrowserSessions().LookupForToken(ctx, bs.ID)
	must(t, err)
	sameTimePtr(t, "auth time", authTime, &second.CreatedAt)

	_, _, _, err = h.S.BrowserSessions().LookupForToken(ctx, u.ID) // no session has that ID
	wantErr(t, err, store.ErrNotFound)
}
