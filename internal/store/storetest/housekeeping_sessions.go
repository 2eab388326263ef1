package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// The housekeeping batches (rules in store/housekeeping.go). Each test
// stamps one row exactly at the cut-off, which must stay, and drains the
// batch with a limit of 1 so that the batching itself is exercised.

func init() {
	register("HousekeepingSessions",
		test{"FinishedCompatSessions", testHousekeepingFinishedCompat},
		test{"FinishedOAuth2Sessions", testHousekeepingFinishedOAuth2},
		test{"FinishedBrowserSessions", testHousekeepingFinishedBrowser},
		test{"FinishedBrowserSessionsPosition", testHousekeepingFinishedBrowserPosition},
		test{"ForgetIPs", testHousekeepingForgetIPs},
		test{"ListInactiveCompat", testHousekeepingInactiveCompat},
		test{"ListInactiveOAuth2", testHousekeepingInactiveOAuth2},
		test{"ListInactiveBrowser", testHousekeepingInactiveBrowser},
	)
}

// drainBatches calls batch with a limit of 1 until it comes back short and
// checks that want rows were handled in all.
func drainBatches(t *testing.T, what string, want int, batch func(limit int) (int, error)) {
	t.Helper()
	total := 0
	for range want + 1 {
		n, err := batch(1)
		must(t, err)
		if n > 1 {
			t.Fatalf("%s handled %d rows with a limit of 1", what, n)
		}
		if n == 0 {
			break
		}
		total += n
	}
	if total != want {
		t.Fatalf("%s handled %d rows, want %d", what, total, want)
	}
}

func testHousekeepingFinishedCompat(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.CompatSessions()
	u := newUser(t, h, "alice")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	old, old2 := newCompatSession(t, h, u.ID, "OLD"), newCompatSession(t, h, u.ID, "OLD2")
	at := mustGet[*domain.CompatAccessToken](t)(h.S.CompatAccessTokens().Add(ctx, old.ID, "mct_old", nil))
	rt := mustGet[*domain.CompatRefreshToken](t)(h.S.CompatRefreshTokens().Add(ctx, old.ID, at.ID, "mcr_old"))
	login := mustGet[*domain.CompatSSOLogin](t)(h.S.CompatSSOLogins().Add(ctx, "https://app.example/", "login-old"))
	must(t, h.S.CompatSSOLogins().Fulfill(ctx, login, bs.ID))
	must(t, h.S.CompatSSOLogins().Exchange(ctx, login, old.ID))
	must(t, repo.Finish(ctx, old))
	must(t, repo.Finish(ctx, old2))
	h.Clock.Advance(time.Hour)
	cutoff := h.Clock.Now()
	atCutoff := newCompatSession(t, h, u.ID, "CUTOFF")
	must(t, repo.Finish(ctx, atCutoff))
	h.Clock.Advance(time.Hour)
	recent := newCompatSession(t, h, u.ID, "RECENT")
	must(t, repo.Finish(ctx, recent))
	active := newCompatSession(t, h, u.ID, "ACTIVE")

	drainBatches(t, "DeleteFinishedBefore", 2, func(limit int) (int, error) { return repo.DeleteFinishedBefore(ctx, cutoff, limit) })
	for _, gone := range []*domain.CompatSession{old, old2} {
		cleanupWantGone(t, gone.DeviceID, func() (*domain.CompatSession, error) { return repo.Lookup(ctx, gone.ID) })
	}
	for _, kept := range []*domain.CompatSession{atCutoff, recent, active} {
		cleanupWantKept(t, kept.DeviceID, func() (*domain.CompatSession, error) { return repo.Lookup(ctx, kept.ID) })
	}
	cleanupWantGone(t, "access token", func() (*domain.CompatAccessToken, error) { return h.S.CompatAccessTokens().Lookup(ctx, at.ID) })
	cleanupWantGone(t, "refresh token", func() (*domain.CompatRefreshToken, error) { return h.S.CompatRefreshTokens().Lookup(ctx, rt.ID) })
	got := cleanupWantKept(t, "SSO login", func() (*domain.CompatSSOLogin, error) { return h.S.CompatSSOLogins().Lookup(ctx, login.ID) })
	if got.SessionID != nil {
		t.Fatalf("SSO login still names deleted session %v", *got.SessionID)
	}
}

func testHousekeepingFinishedOAuth2(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.Sessions()
	f := newOAuth2Fixture(t, h, "alice")
	old, old2 := addOAuth2Session(t, h, f), addOAuth2Session(t, h, f)
	at := mustGet[*domain.AccessToken](t)(h.S.AccessTokens().Add(ctx, old.ID, "mat_old", nil))
	rt := mustGet[*domain.RefreshToken](t)(h.S.RefreshTokens().Add(ctx, old.ID, &at.ID, "mar_old"))
	grant := oauth2PendingGrant(f, "code-old")
	must(t, h.S.AuthorizationGrants().Add(ctx, grant))
	must(t, h.S.AuthorizationGrants().Fulfill(ctx, grant, f.browser.ID))
	must(t, h.S.AuthorizationGrants().Exchange(ctx, grant, old.ID))
	must(t, repo.Finish(ctx, old))
	must(t, repo.Finish(ctx, old2))
	h.Clock.Advance(time.Hour)
	cutoff := h.Clock.Now()
	atCutoff := addOAuth2Session(t, h, f)
	must(t, repo.Finish(ctx, atCutoff))
	h.Clock.Advance(time.Hour)
	recent := addOAuth2Session(t, h, f)
	must(t, repo.Finish(ctx, recent))
	active := addOAuth2Session(t, h, f)

	drainBatches(t, "DeleteFinishedBefore", 2, func(limit int) (int, error) { return repo.DeleteFinishedBefore(ctx, cutoff, limit) })
	for _, gone := range []*domain.Session{old, old2} {
		cleanupWantGone(t, "session finished before the cut-off", func() (*domain.Session, error) { return repo.Lookup(ctx, gone.ID) })
	}
	for _, kept := range []*domain.Session{atCutoff, recent, active} {
		cleanupWantKept(t, "session", func() (*domain.Session, error) { return repo.Lookup(ctx, kept.ID) })
	}
	cleanupWantGone(t, "access token", func() (*domain.AccessToken, error) { return h.S.AccessTokens().Lookup(ctx, at.ID) })
	cleanupWantGone(t, "refresh token", func() (*domain.RefreshToken, error) { return h.S.RefreshTokens().Lookup(ctx, rt.ID) })
	got := cleanupWantKept(t, "grant", func() (*domain.AuthorizationGrant, error) { return h.S.AuthorizationGrants().Lookup(ctx, grant.ID) })
	if got.SessionID != nil {
		t.Fatalf("grant still names deleted session %v", *got.SessionID)
	}
}

// A finished browser session goes only once no OAuth 2.0 or compat session
// points at it, whether that child is active or finished.
func testHousekeepingFinishedBrowser(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.BrowserSessions()
	u := newUser(t, h, "alice")
	pw := mustGet[*domain.Password](t)(h.S.Passwords().Add(ctx, u.ID, "hash", 1, nil))
	add := func() *domain.BrowserSession {
		t.Helper()
		return mustGet[*domain.BrowserSession](t)(repo.Add(ctx, u.ID, "Mozilla/5.0"))
	}
	plain, withAuth := add(), add()
	must(t, ignore(repo.Authenticate(ctx, withAuth.ID, &pw.ID, nil)))
	emailAuth := &domain.EmailAuthentication{Email: "new@example.com", BrowserSessionID: &withAuth.ID}
	must(t, h.S.EmailAuthentications().Add(ctx, emailAuth))
	oauthParent, compatParent := add(), add()
	c := &domain.Client{TokenEndpointAuthMethod: "none"}
	must(t, h.S.Clients().Add(ctx, c))
	child := &domain.Session{ClientID: c.ID, UserID: &u.ID, BrowserSessionID: &oauthParent.ID, Scope: []string{"openid"}}
	must(t, h.S.Sessions().Add(ctx, child))
	must(t, h.S.Sessions().Finish(ctx, child))
	compatChild := &domain.CompatSession{UserID: u.ID, DeviceID: "CHILD", BrowserSessionID: &compatParent.ID}
	must(t, h.S.CompatSessions().Add(ctx, compatChild))
	for _, s := range []*domain.BrowserSession{plain, withAuth, oauthParent, compatParent} {
		must(t, repo.Finish(ctx, s))
	}
	h.Clock.Advance(time.Hour)
	cutoff := h.Clock.Now()
	atCutoff := add()
	must(t, repo.Finish(ctx, atCutoff))
	active := add()

	var pos store.CleanupPosition
	drainBatches(t, "DeleteFinishedBefore", 2, func(limit int) (n int, err error) {
		n, pos, err = repo.DeleteFinishedBefore(ctx, cutoff, pos, limit)
		return n, err
	})
	for _, gone := range []*domain.BrowserSession{plain, withAuth} {
		cleanupWantGone(t, "browser session without children", func() (*domain.BrowserSession, error) { return repo.Lookup(ctx, gone.ID) })
	}
	for _, kept := range []*domain.BrowserSession{oauthParent, compatParent, atCutoff, active} {
		cleanupWantKept(t, "browser session", func() (*domain.BrowserSession, error) { return repo.Lookup(ctx, kept.ID) })
	}
	cleanupWantGone(t, "email authentication of a deleted session", func() (*domain.EmailAuthentication, error) {
		return h.S.EmailAuthentications().Lookup(ctx, emailAuth.ID)
	})
	_, err := repo.LastAuthentication(ctx, withAuth.ID)
	wantErr(t, err, store.ErrNotFound)

	// Once its children are cleaned up, a parent goes on the next run.
	must(t, h.S.CompatSessions().Finish(ctx, compatChild))
	h.Clock.Advance(time.Hour)
	now := h.Clock.Now()
	drainBatches(t, "DeleteFinishedBefore (children)", 1, func(limit int) (int, error) { return h.S.Sessions().DeleteFinishedBefore(ctx, now, limit) })
	drainBatches(t, "DeleteFinishedBefore (children)", 1, func(limit int) (int, error) {
		return h.S.CompatSessions().DeleteFinishedBefore(ctx, now, limit)
	})
	n, _, err := repo.DeleteFinishedBefore(ctx, cutoff, store.CleanupPosition{}, 10)
	cleanupWantDeleted(t, "DeleteFinishedBefore (orphaned parents)", n, err, 2)
}

// Sessions finished at the same instant are told apart by ID, so resuming
// from a position neither repeats nor skips one; the position does not
// move on an empty batch.
func testHousekeepingFinishedBrowserPosition(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.BrowserSessions()
	u := newUser(t, h, "alice")
	var all []*domain.BrowserSession
	for range 5 {
		s := mustGet[*domain.BrowserSession](t)(repo.Add(ctx, u.ID, ""))
		must(t, repo.Finish(ctx, s))
		all = append(all, s)
	}
	h.Clock.Advance(time.Second)
	cutoff := h.Clock.Now()

	n, pos, err := repo.DeleteFinishedBefore(ctx, cutoff, store.CleanupPosition{}, 2)
	cleanupWantDeleted(t, "first batch", n, err, 2)
	if pos.ID != all[1].ID || !pos.At.Equal(*all[1].FinishedAt) {
		t.Fatalf("position after the first batch = %v, want the second session %v", pos, all[1].ID)
	}
	n, pos, err = repo.DeleteFinishedBefore(ctx, cutoff, pos, 10)
	cleanupWantDeleted(t, "second batch", n, err, 3)
	n, again, err := repo.DeleteFinishedBefore(ctx, cutoff, pos, 10)
	cleanupWantDeleted(t, "third batch", n, err, 0)
	if again != pos {
		t.Fatalf("an empty batch moved the position from %v to %v", pos, again)
	}
}

func ignore[T any](_ T, err error) error { return err }

// The IP address of a session last active before the cut-off is
// forgotten, finished or not; its last activity time stays.
func testHousekeepingForgetIPs(t *testing.T, h *H) {
	ctx := context.Background()
	f := newOAuth2Fixture(t, h, "alice")
	old := h.Clock.Now()
	h.Clock.Advance(time.Hour)
	cutoff := h.Clock.Now()
	h.Clock.Advance(time.Hour)
	recent := h.Clock.Now()
	stamps := []time.Time{old, old, cutoff, recent}

	type lookup func(domain.ID) (*time.Time, string)
	check := func(what string, ids []domain.ID, get lookup, forget func(int) (int, error)) {
		t.Helper()
		drainBatches(t, what, 2, forget)
		for i, id := range ids {
			at, ip := get(id)
			if at == nil || !at.Equal(stamps[i]) {
				t.Fatalf("%s: session %d last active at %v, want %v", what, i, at, stamps[i])
			}
			if wantIP := i >= 2; (ip != "") != wantIP {
				t.Fatalf("%s: session %d last active at %v keeps IP %q", what, i, at, ip)
			}
		}
	}

	var compat, oauth, browser []domain.ID
	for i, at := range stamps {
		c := newCompatSession(t, h, f.user.ID, "D"+string(rune('A'+i)))
		must(t, h.S.CompatSessions().RecordActivity(ctx, c.ID, at, "198.51.100.7"))
		o := addOAuth2Session(t, h, f)
		must(t, h.S.Sessions().RecordActivity(ctx, o.ID, at, "198.51.100.7"))
		b := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, f.user.ID, ""))
		must(t, h.S.BrowserSessions().RecordActivity(ctx, b.ID, at, "198.51.100.7"))
		if i == 0 { // finished sessions are covered too
			must(t, h.S.CompatSessions().Finish(ctx, c))
			must(t, h.S.Sessions().Finish(ctx, o))
			must(t, h.S.BrowserSessions().Finish(ctx, b))
		}
		compat, oauth, browser = append(compat, c.ID), append(oauth, o.ID), append(browser, b.ID)
	}
	// Never active: nothing to forget.
	newCompatSession(t, h, f.user.ID, "NEVER")
	addOAuth2Session(t, h, f)

	check("compat", compat, func(id domain.ID) (*time.Time, string) {
		s := mustGet[*domain.CompatSession](t)(h.S.CompatSessions().Lookup(ctx, id))
		return s.LastActiveAt, s.LastActiveIP
	}, func(limit int) (int, error) { return h.S.CompatSessions().ForgetIPsInactiveBefore(ctx, cutoff, limit) })
	check("oauth2", oauth, func(id domain.ID) (*time.Time, string) {
		s := mustGet[*domain.Session](t)(h.S.Sessions().Lookup(ctx, id))
		return s.LastActiveAt, s.LastActiveIP
	}, func(limit int) (int, error) { return h.S.Sessions().ForgetIPsInactiveBefore(ctx, cutoff, limit) })
	check("browser", browser, func(id domain.ID) (*time.Time, string) {
		s := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Lookup(ctx, id))
		return s.LastActiveAt, s.LastActiveIP
	}, func(limit int) (int, error) { return h.S.BrowserSessions().ForgetIPsInactiveBefore(ctx, cutoff, limit) })
}

// inactiveOps drive one kind of session through checkInactive.
type inactiveOps struct {
	add    func() domain.ID   // an active session, created at the clock's time
	touch  func(id domain.ID) // activity at the clock's time
	finish func(id domain.ID)
	list   func(before time.Time, limit int) ([]domain.ID, error)
}

// checkInactive builds a timeline around a cut-off and checks that exactly
// the active sessions idle since before it are listed, longest idle first,
// within the limit.
func checkInactive(t *testing.T, h *H, ops inactiveOps) {
	t.Helper()
	idle := ops.add()
	never, touchedAtCutoff, revived := ops.add(), ops.add(), ops.add()
	ops.finish(ops.add())
	h.Clock.Advance(time.Minute)
	ops.touch(idle) // created before never, idle for less long
	h.Clock.Advance(time.Hour)
	cutoff := h.Clock.Now()
	ops.touch(touchedAtCutoff)
	ops.add() // created at the cut-off
	h.Clock.Advance(time.Hour)
	ops.touch(revived)
	ops.add()
	want := []domain.ID{never, idle}

	all, err := ops.list(cutoff, 100)
	must(t, err)
	if !slices.Equal(all, want) {
		t.Fatalf("inactive sessions = %v, want %v", all, want)
	}
	first, err := ops.list(cutoff, 1)
	must(t, err)
	if !slices.Equal(first, want[:1]) {
		t.Fatalf("inactive sessions with a limit of 1 = %v, want %v", first, want[:1])
	}
}

// ids maps a listing to its IDs.
func ids[T any](list []*T, err error, id func(*T) domain.ID) ([]domain.ID, error) {
	out := make([]domain.ID, 0, len(list))
	for _, v := range list {
		out = append(out, id(v))
	}
	return out, err
}

func testHousekeepingInactiveCompat(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.CompatSessions()
	u := newUser(t, h, "alice")
	n := 0
	checkInactive(t, h, inactiveOps{
		add: func() domain.ID {
			n++
			return newCompatSession(t, h, u.ID, fmt.Sprintf("DEVICE%d", n)).ID
		},
		touch: func(id domain.ID) { must(t, repo.RecordActivity(ctx, id, h.Clock.Now(), "")) },
		finish: func(id domain.ID) {
			must(t, repo.Finish(ctx, mustGet[*domain.CompatSession](t)(repo.Lookup(ctx, id))))
		},
		list: func(before time.Time, limit int) ([]domain.ID, error) {
			l, err := repo.ListInactive(ctx, before, limit)
			return ids(l, err, func(s *domain.CompatSession) domain.ID { return s.ID })
		},
	})
}

// OAuth 2.0 expiry leaves client-credentials sessions and the sessions of
// clients from the configuration alone.
func testHousekeepingInactiveOAuth2(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.Sessions()
	f := newOAuth2Fixture(t, h, "alice")
	static := &domain.Client{ID: oauth2UnknownID(), TokenEndpointAuthMethod: "none", IsStatic: true}
	must(t, h.S.Clients().UpsertStatic(ctx, static))
	must(t, repo.Add(ctx, &domain.Session{ClientID: static.ID, UserID: &f.user.ID, Scope: []string{"openid"}}))
	must(t, repo.Add(ctx, &domain.Session{ClientID: f.client.ID, Scope: []string{"urn:mas:admin"}}))
	checkInactive(t, h, inactiveOps{
		add:   func() domain.ID { return addOAuth2Session(t, h, f).ID },
		touch: func(id domain.ID) { must(t, repo.RecordActivity(ctx, id, h.Clock.Now(), "")) },
		finish: func(id domain.ID) {
			must(t, repo.Finish(ctx, mustGet[*domain.Session](t)(repo.Lookup(ctx, id))))
		},
		list: func(before time.Time, limit int) ([]domain.ID, error) {
			l, err := repo.ListInactive(ctx, before, limit)
			return ids(l, err, func(s *domain.Session) domain.ID { return s.ID })
		},
	})
}

func testHousekeepingInactiveBrowser(t *testing.T, h *H) {
	ctx := context.Background()
	repo := h.S.BrowserSessions()
	u := newUser(t, h, "alice")
	checkInactive(t, h, inactiveOps{
		add:   func() domain.ID { return mustGet[*domain.BrowserSession](t)(repo.Add(ctx, u.ID, "")).ID },
		touch: func(id domain.ID) { must(t, repo.RecordActivity(ctx, id, h.Clock.Now(), "")) },
		finish: func(id domain.ID) {
			must(t, repo.Finish(ctx, mustGet[*domain.BrowserSession](t)(repo.Lookup(ctx, id))))
		},
		list: func(before time.Time, limit int) ([]domain.ID, error) {
			l, err := repo.ListInactive(ctx, before, limit)
			return ids(l, err, func(s *domain.BrowserSession) domain.ID { return s.ID })
		},
	})
}
